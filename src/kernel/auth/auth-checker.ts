import type { AuthChecker } from 'type-graphql';
import type { RequestContext } from '../context';
import type { Permission } from './roles';

/**
 * The one place `@Authorized(...)` is enforced: no permission named means "a live member";
 * otherwise the member's current role (or the API key's scopes) must grant every permission named. Throws the contract's codes.
 */
export const authChecker: AuthChecker<RequestContext, Permission> = async ({ context }, permissions) => {
  if (permissions.length === 0) await context.authorize();
  for (const permission of permissions) await context.authorize(permission);
  return true;
};
