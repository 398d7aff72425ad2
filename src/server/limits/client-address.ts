import type { IncomingMessage } from 'node:http';

/**
 * The caller's address for per-address limits. Behind `trustedProxies` reverse proxies, each of
 * which appends the address it received from to `X-Forwarded-For`, the client is the entry that
 * many places from the right; entries further left are the client's own claims and are ignored.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string | null {
  const peer = req.socket.remoteAddress ?? null;
  if (trustedProxies === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((part) => part.trim()).filter(Boolean);
  const chain = [...forwarded, peer ?? ''];
  return chain[chain.length - 1 - trustedProxies] || chain[0] || peer;
}
