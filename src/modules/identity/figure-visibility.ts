import { Role } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { membersService } from './members.service';

/** Roles that see every member's figures; the others see their own and their reports'. */
const SEES_EVERYONE: ReadonlySet<Role> = new Set([Role.ADMIN, Role.MANAGER]);

/** Whose figures a caller may see, and the reporting lines roll-ups follow. */
export interface FigureVisibility {
  /** The user ids whose figures the caller may see; null: everyone's (records without owner included). */
  visible: Set<string> | null;
  /** Each manager's members, directly or further down, the manager included (membersService.reportingLines). */
  reportsOf: Map<string, string[]>;
}

/**
 * docs/analytics.md, "Who sees what", for figures that belong to a person (forecast rows, quotas,
 * activity metrics): ADMIN, MANAGER, an API key and the system see every member's; anyone else
 * their own and those of the members reporting to them, directly or further down.
 */
export async function figureVisibility(ctx: RequestContext): Promise<FigureVisibility> {
  const reportsOf = new Map<string, string[]>();
  for (const line of await membersService.reportingLines(ctx)) reportsOf.set(line.managerId, [...(reportsOf.get(line.managerId) ?? []), line.memberId]);
  if (ctx.apiKey || !ctx.actor) return { visible: null, reportsOf };
  const seat = await ctx.require(); // the live role, not the token's
  if (SEES_EVERYONE.has(seat.role)) return { visible: null, reportsOf };
  return { visible: new Set([seat.userId, ...(reportsOf.get(seat.userId) ?? [])]), reportsOf };
}
