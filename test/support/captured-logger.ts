import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/kernel/logger';

export type LogLine = Record<string, unknown> & { msg: string; level: number };

/** A real pino logger whose JSON lines land in `lines`, for tests that assert what was logged. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
