import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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
