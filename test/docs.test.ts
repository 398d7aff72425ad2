import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Permission, Role, roleAllows } from '../src/kernel/auth/roles';
import { brokenLinks, proseLines } from './support/markdown';

/** The documentation: the README (the front door) and its topics under docs/. */
const ROOT = path.join(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const README = read('README.md');
const ROLES_DOC = 'docs/roles.md';

/** Every Markdown file of the repository outside dependencies and build output. */
function markdownFiles(dir = ''): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist', 'coverage'].includes(entry.name) || entry.name.startsWith('.') ? [] : markdownFiles(file);
    return entry.name.endsWith('.md') ? [file] : [];
  });
}

const cells = (line: string): string[] => line.split('|').slice(1, -1).map((cell) => cell.trim());

/** How a permission matrix written as a Markdown table differs from ROLE_PERMISSIONS (none: []). */
function matrixProblems(text: string): string[] {
  const lines = proseLines(text);
  const header = lines.find((line) => line.startsWith('| Permission | Covers |'));
  if (!header) return ['no table headed "| Permission | Covers |"'];
  const problems: string[] = [];
  const roles = cells(header).slice(2);
  if (JSON.stringify(roles) !== JSON.stringify(Object.values(Role))) problems.push(`roles ${roles.join(', ')} are not ${Object.values(Role).join(', ')}`);
  const rows = lines.filter((line) => /^\| `[a-z]+:[a-z]+` \|/.test(line)).map(cells);
  const marks = new Map(rows.map(([permission, , ...roleMarks]) => [permission.replace(/`/g, ''), roleMarks]));
  for (const permission of Object.values(Permission)) {
    const given = marks.get(permission);
    const expected = Object.values(Role).map((role) => (roleAllows(role, permission) ? '✓' : '—'));
    if (!given) problems.push(`${permission}: no row`);
    else if (given.join(' ') !== expected.join(' ')) problems.push(`${permission}: ${given.join(' ')} instead of ${expected.join(' ')}`);
  }
  for (const permission of marks.keys()) {
    if (!(Object.values(Permission) as string[]).includes(permission)) problems.push(`${permission}: no such permission`);
  }
  return problems;
}

describe('the permission matrix', () => {
  const doc = read(ROLES_DOC);

  test(`${ROLES_DOC} is exactly ROLE_PERMISSIONS`, () => {
    expect(matrixProblems(doc)).toEqual([]);
  });

  test('a matrix that differs is caught: a wrong mark, a missing row, an unknown permission, a renamed role', () => {
    const row = doc.split('\n').find((line) => line.startsWith('| `deals:write` |'))!;
    const flipped = row.replace(/\| (✓|—) \|(?=[^|]*\|$)/, (_, mark: string) => `| ${mark === '✓' ? '—' : '✓'} |`);
    expect(flipped).not.toBe(row);
    expect(matrixProblems(doc.replace(row, flipped))).toEqual([expect.stringMatching(/^deals:write: /)]);
    expect(matrixProblems(doc.replace(`${row}\n`, ''))).toEqual(['deals:write: no row']);
    expect(matrixProblems(doc.replace(row, `${row}\n${row.replace('deals:write', 'deals:fly')}`))).toEqual(['deals:fly: no such permission']);
    expect(matrixProblems(doc.replace('| READ_ONLY |', '| VIEWER |'))).toHaveLength(1);
  });
});

describe('links', () => {
  test('every relative link and anchor in README.md, docs/ and the other Markdown files resolves', () => {
    const files = markdownFiles();
    expect(files).toEqual(expect.arrayContaining(['README.md', ROLES_DOC, 'bench/README.md']));
    expect(brokenLinks(ROOT, files)).toEqual([]);
  });

  test('the check finds a missing file, a missing heading and a link out of the repository', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-docs-'));
    try {
      mkdirSync(path.join(dir, 'docs'));
      writeFileSync(path.join(dir, 'docs/a.md'), '# A\n\n## Safe retries: `Idempotency-Key`\n\n```sh\n# not a heading\n```\n');
      writeFileSync(
        path.join(dir, 'README.md'),
        [
          '[fine](docs/a.md#safe-retries-idempotency-key) [web](https://example.com/x.md#y) [self](#readme)',
          '# README',
          '[gone](docs/b.md) [no heading](docs/a.md#not-a-heading) [out](../elsewhere.md) [code: `[x](y.md)`]',
        ].join('\n'),
      );
      expect(brokenLinks(dir, ['README.md', 'docs/a.md'])).toEqual([
        'README.md:3: docs/b.md (no such file)',
        'README.md:3: docs/a.md#not-a-heading (no such heading)',
        'README.md:3: ../elsewhere.md (outside the repository)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the README is the front door', () => {
  const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
  const commandUnder = (heading: string) => {
    const section = README.slice(README.indexOf(`\n## ${heading}\n`));
    return /```sh\n(.*)\n```/.exec(section)?.[1];
  };

  test('its Start and Test commands are scripts, and CI runs the Test command', () => {
    expect(commandUnder('Start')).toBe('npm run dev');
    expect(commandUnder('Test')).toBe('npm test');
    expect(scripts.dev).toContain('npm run setup -- --demo');
    expect(scripts.test).toContain('jest');
    expect(read('.ci/run').trimEnd().split('\n').pop()).toBe(commandUnder('Test'));
  });

  test('it stays short and maps every file under docs/', () => {
    expect(README.split('\n').length).toBeLessThan(250);
    const docs = readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((name) => !README.includes(`](docs/${name})`))).toEqual([]);
  });
});
