import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A server the runner started as a child process; it stops it by PID. */
export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** The application_name its PostgreSQL connections carry. */
  applicationName: string;
}

export interface ServerSpec {
  name: string;
  script: string;
  env: Record<string, string>;
  applicationName: string;
  nodeFlags?: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilHealthy(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited with code ${server.child.exitCode}; see its log`);
    const healthy = await fetch(`${server.url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${server.name} did not answer /healthz within ${timeoutMs / 1000} s`);
}

/** Starts `node [nodeFlags] script` with `env` on a free port, output appended to `logFile`, without waiting for it. */
export async function spawnProcess(spec: ServerSpec, logFile: string): Promise<ServerProcess> {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), spec.script], {
    env: { ...process.env, ...spec.env, PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return { name: spec.name, url: `http://127.0.0.1:${port}`, child, applicationName: spec.applicationName };
}

/** Spawns a server (see spawnProcess) and waits for /healthz. */
export async function startServer(spec: ServerSpec, logFile: string): Promise<ServerProcess> {
  const server = await spawnProcess(spec, logFile);
  try {
    await waitUntilHealthy(server);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return server;
}

/** SIGTERM (the API drains and exits; --cpu-prof writes its profile then), SIGKILL after `graceMs`. */
export function stopServer(server: ServerProcess, graceMs = 15_000): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    if (child.pid) process.kill(child.pid, 'SIGTERM');
  });
}

/** CPU time (user + system) a process has used so far, from /proc; null where there is no /proc or no such process. */
export function cpuTimeMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in clock ticks (100 per second).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Runs a bench script's `main`, then `cleanUp` (on Ctrl-C too); a failure is printed under `tag` and sets the exit code. */
export function runBench(tag: string, main: () => Promise<void>, cleanUp: () => Promise<void>): void {
  process.once('SIGINT', () => {
    cleanUp().finally(() => process.exit(130));
  });
  main()
    .catch((error: unknown) => {
      process.stderr.write(`[${tag}] failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(cleanUp);
}
