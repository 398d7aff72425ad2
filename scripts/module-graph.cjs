#!/usr/bin/env node
/**
 * Writes the module graph (which module imports which, as dependency-cruiser sees the code)
 * into docs/architecture.md between its module-graph markers, as a mermaid flowchart.
 * `--check`: writes nothing, exits 1 when the committed graph is not the code's.
 * `--doc <file>`: another copy of the page (the test checks a stale one).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const docArg = process.argv.indexOf('--doc');
const doc = docArg > 0 ? path.resolve(process.argv[docArg + 1]) : path.join(root, 'docs', 'architecture.md');
const BEGIN = '<!-- module-graph:begin (npm run docs:graph) -->';
const END = '<!-- module-graph:end -->';

const mermaid = execFileSync(
  path.join(root, 'node_modules', '.bin', 'depcruise'),
  [
    'src',
    '--config', '.dependency-cruiser.cjs',
    '--include-only', '^src/modules/',
    '--collapse', '^src/modules/[^/]+',
    '--output-type', 'mermaid',
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
).trim();

const text = readFileSync(doc, 'utf8');
const begin = text.indexOf(BEGIN);
const end = text.indexOf(END);
if (begin < 0 || end < begin) throw new Error(`${doc} has no ${BEGIN} … ${END} block`);
const updated = `${text.slice(0, begin)}${BEGIN}\n\`\`\`mermaid\n${mermaid}\n\`\`\`\n${text.slice(end)}`;

if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error(`${path.relative(root, doc)}: the module graph is stale; run \`npm run docs:graph\``);
    process.exit(1);
  }
  console.log(`${path.relative(root, doc)}: the module graph is the code’s`);
} else {
  writeFileSync(doc, updated);
  console.log(`${path.relative(root, doc)}: module graph written (${mermaid.split('\n').filter((l) => l.includes('-->')).length} edges)`);
}
