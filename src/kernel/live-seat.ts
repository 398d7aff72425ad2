import type { Permission } from './auth/roles';
import type { RequestContext } from './context';

/**
 * For a subscription's delivery: the subscriber must still hold a seat (with `permission`) in
 * their workspace, read live. If not, the subscription ends here with the error (UNAUTHENTICATED
 * or FORBIDDEN), and its database connection goes back to the pool.
 */
export async function requireLiveSeat(ctx: RequestContext, permission?: Permission): Promise<void> {
  try {
    await ctx.require(permission);
  } catch (error) {
    await ctx.db.close();
    throw error;
  }
}
