import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Just enough Markdown for the documentation tests: the lines outside fenced code blocks, the
 * headings' anchors as GitHub makes them, and the relative links of a file.
 */

/** The lines of a Markdown text, with those inside ``` fences left out (their `#` are comments). */
export function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (line.startsWith('```')) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings; a repeated heading gets `-1`, `-2`, … as on GitHub. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6} +(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n += 1) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Links that leave the repository (or are not files) are not checked. */
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Every relative link and anchor in the given Markdown files that does not resolve, as
 * `file:line: target (why)`. Inline code is skipped: a link written in backticks is an example.
 */
export function brokenLinks(root: string, files: string[]): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    let fenced = false;
    text.split('\n').forEach((line, index) => {
      if (line.startsWith('```')) fenced = !fenced;
      if (fenced || line.startsWith('```')) return;
      const prose = line.replace(/`[^`]*`/g, '``');
      for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const problem = linkProblem(root, file, match[1]);
        if (problem) broken.push(`${file}:${index + 1}: ${match[1]} (${problem})`);
      }
    });
  }
  return broken;
}

function linkProblem(root: string, from: string, target: string): string | undefined {
  if (EXTERNAL.test(target)) return undefined;
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = pathPart === '' ? path.join(root, from) : path.join(root, path.dirname(from), decodeURI(pathPart));
  if (path.relative(root, resolved).startsWith('..')) return 'outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (anchor === undefined) return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return 'anchor on a file that is not Markdown';
  return anchorsOf(readFileSync(resolved, 'utf8')).has(anchor) ? undefined : 'no such heading';
}
