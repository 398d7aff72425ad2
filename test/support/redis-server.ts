import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait';

/** A private redis-server on a free port, for tests that take Redis down and bring it back. */

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const redisServer = (port: number) =>
  execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);

export const redisShutdown = (port: number) => {
  try {
    execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
  } catch {
    // already down
  }
};

export const redisUp = (port: number) =>
  waitFor(`redis on ${port}`, async () => {
    try {
      return execFileSync('redis-cli', ['-p', String(port), 'ping']).toString().trim() === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    }
  });

/** Starts one on a free port and waits until it answers; returns the port. */
export async function startRedisServer(): Promise<number> {
  const port = await freePort();
  redisServer(port);
  await redisUp(port);
  return port;
}
