import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
const DOC = path.join(ROOT, 'docs', 'architecture.md');

const checkGraph = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'module-graph.cjs'), '--check', ...args], { cwd: ROOT, encoding: 'utf8' });

test('docs/architecture.md shows the module graph the code has (run `npm run docs:graph` after changing imports between modules)', () => {
  const result = checkGraph();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

test('a page whose graph lacks an edge the code has is refused', () => {
  const stale = path.join(mkdtempSync(path.join(tmpdir(), 'architecture-')), 'architecture.md');
  const committed = readFileSync(DOC, 'utf8');
  expect(committed).toContain('src_modules_tickets-->src_modules_accounts\n');
  writeFileSync(stale, committed.replace('src_modules_tickets-->src_modules_accounts\n', ''));
  const result = checkGraph('--doc', stale);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('module graph is stale');
});
