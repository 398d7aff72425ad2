import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Config } from '../../src/config/config';

/** Collects a child process's JSON log lines (stdout) into `lines`; its stderr goes to ours. */
export function collectJsonLines(child: ChildProcess, lines: Array<Record<string, any>>): void {
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop()!;
    for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part));
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * workers/index.ts from source as its own process, over `config`'s databases, Redis and secrets,
 * with `env` added (queue prefix, timings, log level); `stdio` as for `spawn`.
 */
export function spawnWorkerProcess(config: Config, env: Record<string, string>, stdio: StdioOptions = ['ignore', 'ignore', 'inherit']): ChildProcess {
  return spawn(process.execPath, ['-r', './test/support/ts-register.js', 'workers/index.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    stdio,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.DATABASE_URL,
      WORKER_DATABASE_URL: config.WORKER_DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      JWT_SECRET: config.JWT_SECRET,
      DATA_ENCRYPTION_KEY: config.DATA_ENCRYPTION_KEY,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: config.WEBHOOK_ALLOW_PRIVATE_TARGETS.join(','),
      ...env,
    },
  });
}
