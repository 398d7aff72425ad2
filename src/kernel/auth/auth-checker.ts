import type { AuthChecker } from 'type-graphql';
import type { RequestContext } from '../context';
import type { Permission } from './roles';

/**
 * The one place `@Authorized(...)` is enforced: no permission named means "signed in";
 * otherwise the actor's role must grant every permission named. Throws the contract's codes.
 */
export const authChecker: AuthChecker<RequestContext, Permission> = ({ context }, permissions) => {
  if (permissions.length === 0) context.member;
  for (const permission of permissions) context.require(permission);
  return true;
};
