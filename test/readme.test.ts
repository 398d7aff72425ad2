import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Permission, Role, roleAllows } from '../src/kernel/auth/roles';

const README = readFileSync(path.join(__dirname, '../README.md'), 'utf8').split('\n');
const cells = (line: string): string[] => line.split('|').slice(1, -1).map((cell) => cell.trim());

test('the README permission matrix is exactly ROLE_PERMISSIONS', () => {
  const header = README.find((line) => line.startsWith('| Permission | Covers |'));
  expect(header).toBeDefined();
  expect(cells(header!).slice(2)).toEqual(Object.values(Role));

  const rows = README.filter((line) => /^\| `[a-z]+:[a-z]+` \|/.test(line)).map(cells);
  const marks = new Map(rows.map(([permission, , ...roleMarks]) => [permission.replace(/`/g, ''), roleMarks]));
  expect([...marks.keys()].sort()).toEqual(Object.values(Permission).sort());
  for (const permission of Object.values(Permission)) {
    const expected = Object.values(Role).map((role) => (roleAllows(role, permission) ? '✓' : '—'));
    expect({ permission, marks: marks.get(permission) }).toEqual({ permission, marks: expected });
  }
});
