import { Redis } from 'ioredis';
import { ServiceUnavailableError } from './db/provision';

/** Redis for the API: fail fast (no offline queue) so readiness and callers see an outage at once. */
export function createRedis(url: string): Redis {
  return new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
}

/** Connects, or throws a message that says where Redis was expected and how to start it. */
export async function connectRedis(redis: Redis, url: string): Promise<void> {
  const swallow = () => undefined; // the failure is reported below, once, in words
  redis.on('error', swallow);
  try {
    await redis.connect();
    await redis.ping();
    redis.off('error', swallow);
  } catch {
    redis.disconnect();
    const { hostname, port } = new URL(url);
    throw new ServiceUnavailableError(
      `Redis is not reachable at ${hostname}:${port || '6379'}. Start it with ` +
        '`redis-server --daemonize yes` (or `sudo systemctl start redis-server`), ' +
        'or run `docker compose -f docker/compose.yml up -d postgres redis`.',
    );
  }
}
