import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { candidateFacts, ineligibility, type CandidateFacts } from './routing-candidates';
import { RoutingSkipReason, type RoutingCandidate } from './routing-decision.entity';
import { RoutingStrategy, type RoutingRule, type Territory } from './routing-rule.entity';

/** Where a record is, as territories see it. */
export interface RecordLocation {
  country: string | null;
  region: string | null;
  postalCode: string | null;
}

/** A strategy's answer: members in order of preference, with what it needs to report and commit. */
export interface Ranking {
  ranked: string[];
  facts: Map<string, CandidateFacts>;
  /** Considered but out of the running before ranking (territories that do not match). */
  outside: RoutingCandidate[];
  /** Why an eligible member ranked after the chosen one lost. */
  lowerDetail: (userId: string) => string;
}

/** Team members in the order they joined: the round-robin order. */
export async function teamMemberIds(ctx: RequestContext, em: EntityManager, teamId: string | null): Promise<string[]> {
  if (!teamId) return [];
  const rows = (await em.query(`SELECT user_id FROM team_members WHERE workspace_id = $1 AND team_id = $2 ORDER BY added_at, user_id`, [
    ctx.workspaceId,
    teamId,
  ])) as Array<{ user_id: string }>;
  return rows.map((row) => row.user_id);
}

/**
 * The rule's round-robin cursor; with `lock`, the rule row stays locked until the routing
 * transaction ends, so concurrent routings of the rule queue there and each sees what the
 * earlier ones assigned.
 */
async function readCursor(ctx: RequestContext, em: EntityManager, rule: RoutingRule, lock: boolean): Promise<bigint> {
  const rows = (await em.query(`SELECT rr_cursor FROM routing_rules WHERE workspace_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [
    ctx.workspaceId,
    rule.id,
  ])) as Array<{ rr_cursor: string }>;
  return BigInt(rows[0]?.rr_cursor ?? 0);
}

/**
 * The team in turn order, starting with the member whose turn it is. Routing moves the cursor
 * past the next eligible member in one UPDATE (which holds the rule row until commit), so two
 * concurrent routings can never take the same turn. `dry` reads the cursor without moving it.
 */
async function roundRobin(ctx: RequestContext, em: EntityManager, rule: RoutingRule, dry: boolean): Promise<Ranking> {
  const members = await teamMemberIds(ctx, em, rule.teamId);
  const facts = await candidateFacts(ctx, em, members);
  const eligible = members.flatMap((userId, i) => (ineligibility(facts.get(userId), rule.objectType) ? [] : [i]));
  const n = members.length;
  let start = 0;
  if (n > 0 && (dry || eligible.length === 0)) {
    start = Number((await readCursor(ctx, em, rule, false)) % BigInt(n));
  } else if (n > 0) {
    const [rows] = (await em.query(
      `UPDATE routing_rules r SET rr_cursor = r.rr_cursor + 1 + (SELECT min(((e - r.rr_cursor % $3) % $3 + $3) % $3) FROM unnest($4::int[]) AS e)
        WHERE r.workspace_id = $1 AND r.id = $2 RETURNING r.rr_cursor`,
      [ctx.workspaceId, rule.id, n, eligible],
    )) as [Array<{ rr_cursor: string }>, number];
    start = Number((BigInt(rows[0].rr_cursor) - 1n) % BigInt(n));
  }
  const ranked = [...members.slice(start), ...members.slice(0, start)];
  return { ranked, facts, outside: [], lowerDetail: () => 'later in turn' };
}

async function leastLoaded(ctx: RequestContext, em: EntityManager, rule: RoutingRule, dry: boolean): Promise<Ranking> {
  await readCursor(ctx, em, rule, !dry);
  const members = await teamMemberIds(ctx, em, rule.teamId);
  const facts = await candidateFacts(ctx, em, members, true);
  const load = (userId: string) => facts.get(userId)?.openDeals ?? 0;
  const ranked = [...members].sort((a, b) => load(a) - load(b) || (a < b ? -1 : a > b ? 1 : 0));
  return { ranked, facts, outside: [], lowerDetail: (userId) => `owns ${load(userId)} open deals` };
}

/** How specific a matching territory is (longest postcode prefix first), or null when it does not match. */
function specificity(territory: Territory, at: RecordLocation): number | null {
  const same = (a: string | null, b: string | null) => a == null || (b != null && a.trim().toLowerCase() === b.trim().toLowerCase());
  if (!same(territory.country, at.country) || !same(territory.region, at.region)) return null;
  const prefix = territory.postcodePrefix?.replace(/\s/g, '').toUpperCase();
  if (prefix && !(at.postalCode ?? '').replace(/\s/g, '').toUpperCase().startsWith(prefix)) return null;
  return (prefix?.length ?? 0) * 4 + (territory.region ? 2 : 0) + (territory.country ? 1 : 0);
}

const describeTerritory = (t: Territory) =>
  [t.country, t.region, t.postcodePrefix && `postcode ${t.postcodePrefix}*`].filter(Boolean).join(' / ') || 'anywhere';

async function territory(ctx: RequestContext, em: EntityManager, rule: RoutingRule, at: RecordLocation): Promise<Ranking> {
  const scored = rule.territories.map((t, index) => ({ t, index, score: specificity(t, at) }));
  const matching = scored.filter((s) => s.score !== null).sort((a, b) => b.score! - a.score! || a.index - b.index);
  const ranked = matching.map((s) => s.t.userId);
  const inside = new Set(ranked);
  const outside = [...new Set(scored.filter((s) => !inside.has(s.t.userId)).map((s) => s.t.userId))].map((userId) => ({
    userId,
    chosen: false,
    skipReason: RoutingSkipReason.NOT_IN_TERRITORY,
    detail: `territories ${scored.filter((s) => s.t.userId === userId).map((s) => describeTerritory(s.t)).join(', ')} do not match`,
  }));
  const best = new Map<string, Territory>();
  for (const s of matching) if (!best.has(s.t.userId)) best.set(s.t.userId, s.t);
  const facts = await candidateFacts(ctx, em, ranked);
  return { ranked, facts, outside, lowerDetail: (userId) => `less specific territory (${describeTerritory(best.get(userId)!)})` };
}

/** Ranks the candidates of a rule for one record. `dry`: read the round-robin cursor without locking or moving it. */
export async function rankCandidates(
  ctx: RequestContext,
  em: EntityManager,
  rule: RoutingRule,
  at: RecordLocation,
  dry: boolean,
): Promise<Ranking> {
  switch (rule.strategy) {
    case RoutingStrategy.FIXED_USER: {
      const ranked = rule.userId ? [rule.userId] : [];
      return { ranked, facts: await candidateFacts(ctx, em, ranked), outside: [], lowerDetail: () => '' };
    }
    case RoutingStrategy.ROUND_ROBIN:
      return roundRobin(ctx, em, rule, dry);
    case RoutingStrategy.LEAST_LOADED:
      return leastLoaded(ctx, em, rule, dry);
    case RoutingStrategy.TERRITORY:
      return territory(ctx, em, rule, at);
  }
}
