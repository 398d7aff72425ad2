import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { RoutingObjectType } from './routing-rule.entity';
import { RoutingSkipReason, type RoutingCandidate } from './routing-decision.entity';

/** What routing needs to know about a member to decide whether they may take one more record. */
export interface CandidateFacts {
  userId: string;
  member: boolean;
  away: boolean;
  until: Date | null;
  maxOpenDeals: number | null;
  maxContacts: number | null;
  openDeals: number;
  contacts: number;
}

/**
 * Membership, out-of-office and load of each user, in one statement. Owned records are counted
 * only where a capacity needs them (or `countDeals`, for LEAST_LOADED): counting is the costly part.
 */
export async function candidateFacts(
  ctx: RequestContext,
  em: EntityManager,
  userIds: string[],
  countDeals = false,
): Promise<Map<string, CandidateFacts>> {
  if (userIds.length === 0) return new Map();
  const rows = (await em.query(
    `SELECT u.user_id AS "userId",
            (m.user_id IS NOT NULL AND m.deleted_at IS NULL) AS "member",
            COALESCE(av.unavailable AND (av.unavailable_until IS NULL OR av.unavailable_until > now()), false) AS "away",
            av.unavailable_until AS "until", av.max_open_deals AS "maxOpenDeals", av.max_contacts AS "maxContacts",
            CASE WHEN $3 OR av.max_open_deals IS NOT NULL THEN (SELECT count(*) FROM deals d
              WHERE d.workspace_id = $1 AND d.owner_id = u.user_id AND d.status = 'OPEN' AND d.deleted_at IS NULL) ELSE 0 END::int AS "openDeals",
            CASE WHEN av.max_contacts IS NOT NULL THEN (SELECT count(*) FROM contacts c
              WHERE c.workspace_id = $1 AND c.owner_id = u.user_id AND c.deleted_at IS NULL) ELSE 0 END::int AS "contacts"
       FROM unnest($2::uuid[]) AS u(user_id)
       LEFT JOIN memberships m ON m.workspace_id = $1 AND m.user_id = u.user_id
       LEFT JOIN member_availability av ON av.workspace_id = $1 AND av.user_id = u.user_id`,
    [ctx.workspaceId, [...new Set(userIds)], countDeals],
  )) as CandidateFacts[];
  return new Map(rows.map((row) => [row.userId, row]));
}

/** Why a member may not take a record of this type now, or null when they may. */
export function ineligibility(facts: CandidateFacts | undefined, objectType: RoutingObjectType): Pick<RoutingCandidate, 'skipReason' | 'detail'> | null {
  if (!facts?.member) return { skipReason: RoutingSkipReason.NOT_A_MEMBER, detail: 'not a member of the workspace' };
  if (facts.away) {
    return { skipReason: RoutingSkipReason.UNAVAILABLE, detail: facts.until ? `out of office until ${new Date(facts.until).toISOString()}` : 'out of office' };
  }
  const [owned, limit, what] =
    objectType === RoutingObjectType.DEAL ? [facts.openDeals, facts.maxOpenDeals, 'open deals'] : [facts.contacts, facts.maxContacts, 'contacts'];
  if (limit != null && owned >= limit) return { skipReason: RoutingSkipReason.AT_CAPACITY, detail: `owns ${owned} ${what}; capacity ${limit}` };
  return null;
}

/**
 * Walks the strategy's ranking: the first eligible member is chosen, ineligible ones are
 * skipped with their reason, and eligible ones after the chosen lost on rank (`lowerDetail`).
 */
export function pickFirstEligible(
  ranked: string[],
  facts: Map<string, CandidateFacts>,
  objectType: RoutingObjectType,
  lowerDetail: (userId: string) => string,
): { chosenIndex: number; candidates: RoutingCandidate[] } {
  let chosenIndex = -1;
  const seen = new Set<string>();
  const candidates: RoutingCandidate[] = [];
  ranked.forEach((userId, index) => {
    if (seen.has(userId)) return;
    seen.add(userId);
    const skip = ineligibility(facts.get(userId), objectType);
    if (skip) candidates.push({ userId, chosen: false, ...skip });
    else if (chosenIndex < 0) {
      chosenIndex = index;
      candidates.push({ userId, chosen: true, skipReason: null, detail: null });
    } else candidates.push({ userId, chosen: false, skipReason: RoutingSkipReason.RANKED_LOWER, detail: lowerDetail(userId) });
  });
  return { chosenIndex, candidates };
}
