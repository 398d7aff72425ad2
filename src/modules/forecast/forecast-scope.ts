import { Permission, roleAllows } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { membersService } from '../identity';

/** Whose figures a caller may see, and the reporting lines the roll-up follows. */
export interface ForecastScope {
  /** The user ids whose figures the caller may see; null: everyone's (deals without owner included). */
  visible: Set<string> | null;
  /** Each manager's members, directly or further down, the manager included (membersService.reportingLines). */
  reportsOf: Map<string, string[]>;
}

/**
 * docs/analytics.md, "Who sees what": whoever may set quotas (ADMIN, MANAGER), an API key and
 * the system see every member's figures; anyone else their own and those of the members
 * reporting to them, directly or further down.
 */
export async function forecastScope(ctx: RequestContext): Promise<ForecastScope> {
  const reportsOf = new Map<string, string[]>();
  for (const line of await membersService.reportingLines(ctx)) reportsOf.set(line.managerId, [...(reportsOf.get(line.managerId) ?? []), line.memberId]);
  const actor = ctx.apiKey ? null : ctx.actor;
  if (!actor || roleAllows(actor.role, Permission.MANAGE_QUOTAS)) return { visible: null, reportsOf };
  return { visible: new Set([actor.userId, ...(reportsOf.get(actor.userId) ?? [])]), reportsOf };
}
