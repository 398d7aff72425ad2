import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of V8's .cpuprofile (written by node --cpu-prof) the summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** The .cpuprofile, relative to the repository, for Chrome DevTools. */
  file: string;
  /** Sampled time inside the measurement window, idle included. */
  totalMs: number;
  idlePercent: number;
  topFunctions: Array<ProfileLine & { location: string }>;
  byComponent: ProfileLine[];
  /** False when no sample fell into the window and the whole profile was used. */
  windowed: boolean;
}

const ROOT = path.resolve(__dirname, '../..');

function packageOf(url: string): string | null {
  const at = url.lastIndexOf('node_modules/');
  if (at < 0) return null;
  const parts = url.slice(at + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Which part of the stack a function belongs to: a package, node core, V8, the app, or a V8 pseudo-node. */
function componentOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 builtins / native';
  if (url.startsWith('node:')) return 'node core';
  const pkg = packageOf(url);
  if (pkg) return pkg;
  return url.includes('/dist/src/') ? 'app (src/)' : 'app (other)';
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const at = file.lastIndexOf('node_modules/');
  const short = at >= 0 ? file.slice(at + 'node_modules/'.length) : path.relative(ROOT, file) || file;
  return `${short}:${line + 1}`;
}

function ranked(totals: Map<string, number>, totalUs: number, limit: number): ProfileLine[] {
  return [...totals.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / totalUs }));
}

/**
 * Self time per function over the samples between `fromUs` and `toUs` (monotonic clock, like
 * V8's timestamps), so start-up and shutdown do not crowd out the work under load.
 */
export function summarizeProfile(file: string, fromUs: number, toUs: number, limit = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const inWindow = times.some((time) => time >= fromUs && time <= toUs);
  const selfByFunction = new Map<string, number>();
  const selfByComponent = new Map<string, number>();
  const labels = new Map<string, { name: string; location: string }>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length - 1; i++) {
    if (inWindow && (times[i] < fromUs || times[i] > toUs)) continue;
    const frame = nodes.get(profile.samples[i])!;
    const us = times[i + 1] - times[i];
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${frame.url}:${frame.lineNumber}`;
    labels.set(key, { name, location: shortLocation(frame.url, frame.lineNumber) });
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
    const component = componentOf(frame.url, name);
    selfByComponent.set(component, (selfByComponent.get(component) ?? 0) + us);
    totalUs += us;
  }
  const idleUs = selfByComponent.get('(idle)') ?? 0;
  const busy = new Map([...selfByFunction].filter(([key]) => labels.get(key)?.name !== '(idle)'));
  return {
    file: path.relative(ROOT, file),
    totalMs: totalUs / 1000,
    idlePercent: (100 * idleUs) / totalUs,
    topFunctions: ranked(busy, totalUs, limit).map((line) => ({ ...line, ...labels.get(line.name)! })),
    byComponent: ranked(selfByComponent, totalUs, 20),
    windowed: inWindow,
  };
}
