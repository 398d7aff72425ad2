import type { Permission } from './auth/roles';
import { INVALID_API_KEY, type RequestContext } from './context';
import { unauthenticated } from './errors';

/**
 * For a subscription's delivery: the subscriber must still hold a seat (with `permission`) in
 * their workspace, read live; an API key must still be valid (not revoked, not expired) and
 * scoped for `permission`. If not, the subscription ends here with the error (UNAUTHENTICATED
 * or FORBIDDEN), and its database connection goes back to the pool.
 */
export async function requireLiveSeat(ctx: RequestContext, permission?: Permission): Promise<void> {
  try {
    if (ctx.apiKey) await requireLiveKey(ctx);
    await ctx.authorize(permission);
  } catch (error) {
    await ctx.db.close();
    throw error;
  }
}

async function requireLiveKey(ctx: RequestContext): Promise<void> {
  const [key] = (await ctx.db.read((em) =>
    em.query(`SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`, [ctx.apiKey!.apiKeyId]),
  )) as unknown[];
  if (!key) throw unauthenticated(INVALID_API_KEY);
}
