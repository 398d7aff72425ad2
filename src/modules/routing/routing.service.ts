import { randomUUID } from 'node:crypto';
import type { ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import { SqlParams } from '../../kernel/sql';
import { Contact, contactColumns, contactService } from '../contacts';
import { Deal, DealStatus, dealColumns, dealService } from '../deals';
import { membersService } from '../identity';
import { pickFirstEligible } from './routing-candidates';
import { CONDITION_TYPES, LOCATION_SQL, conditionSql } from './routing-condition';
import { RoutingDecision, RoutingOutcome, type RoutingCandidate } from './routing-decision.entity';
import { RoutingObjectType, RoutingRule } from './routing-rule.entity';
import { rankCandidates, type RecordLocation } from './routing-strategies';
import type { SimulateRoutingInput } from './routing.inputs';

/** A stored record (locked while routing it; `lock: false` to only look) or a hypothetical row. */
type Subject = { recordId: string; lock?: boolean } | { row: Record<string, unknown> };

interface Evaluation {
  ownerId: string | null;
  trashed: boolean;
  location: RecordLocation;
  rulesChecked: number;
  matched: RoutingRule | null;
}

/**
 * Reads the record and tests every enabled rule of its type in one statement, with the list
 * queries' filter compiler over the same table row type; the first rule in order that matches wins.
 */
async function evaluate(ctx: RequestContext, em: EntityManager, objectType: RoutingObjectType, subject: Subject): Promise<Evaluation | null> {
  const rules = await em.getRepository(RoutingRule).find({
    where: { workspaceId: ctx.workspaceId, objectType, enabled: true },
    order: { position: 'ASC', id: 'ASC' },
  });
  const params = new SqlParams();
  const { table } = CONDITION_TYPES[objectType];
  const at = LOCATION_SQL[objectType];
  const stored = 'recordId' in subject;
  const tests = rules.map((rule, i) => `, (${conditionSql(objectType, rule.condition, params, stored)}) AS "m${i}"`).join('');
  const from =
    stored
      ? `${table} t WHERE t.workspace_id = ${params.add(ctx.workspaceId)} AND t.id = ${params.add(subject.recordId)}${subject.lock === false ? '' : ' FOR UPDATE OF t'}`
      : `jsonb_populate_record(NULL::${table}, ${params.add(JSON.stringify(subject.row))}::jsonb) t`;
  const sql =
    `SELECT t.owner_id AS "ownerId", t.deleted_at IS NOT NULL AS "trashed", ${at.country} AS "country", ` +
    `${at.region} AS "region", ${at.postalCode} AS "postalCode"${tests} FROM ${from}`;
  const [row] = (await em.query(...params.bind(sql))) as Array<Record<string, unknown>>;
  if (!row) return null;
  const matched = rules.find((_, i) => row[`m${i}`] === true) ?? null;
  const location: RecordLocation = { country: row.country as string | null, region: row.region as string | null, postalCode: row.postalCode as string | null };
  return { ownerId: row.ownerId as string | null, trashed: row.trashed as boolean, location, rulesChecked: rules.length, matched };
}

function noCandidateReason(rule: RoutingRule, candidates: RoutingCandidate[]): string {
  if (candidates.length === 0) {
    const empty = { FIXED_USER: 'it names no user', ROUND_ROBIN: 'its team has no members', LEAST_LOADED: 'its team has no members', TERRITORY: 'it has no territories' };
    return `Rule "${rule.name}" matched, but ${empty[rule.strategy]}`;
  }
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(c.skipReason!, (counts.get(c.skipReason!) ?? 0) + 1);
  const summary = [...counts].sort(([x], [y]) => x.localeCompare(y)).map(([reason, n]) => `${n} ${reason.toLowerCase().replace(/_/g, ' ')}`).join(', ');
  return `Rule "${rule.name}" matched, but no candidate qualified (${summary})`;
}

/** Applies the matched rule's strategy; `dry` neither locks nor moves the round-robin cursor. */
async function decide(ctx: RequestContext, em: EntityManager, objectType: RoutingObjectType, evaluation: Evaluation, dry: boolean): Promise<RoutingDecision> {
  const decision: RoutingDecision = Object.assign(new RoutingDecision(), {
    workspaceId: ctx.workspaceId,
    objectType,
    ruleId: null,
    ruleName: null,
    strategy: null,
    ownerId: null,
    candidates: [] as RoutingCandidate[],
    createdAt: new Date(),
  });
  const rule = evaluation.matched;
  if (!rule) {
    const reason = evaluation.rulesChecked
      ? `None of the ${evaluation.rulesChecked} enabled ${objectType} rules matched`
      : `The workspace has no enabled ${objectType} rules`;
    return Object.assign(decision, { outcome: RoutingOutcome.NO_RULE_MATCHED, reason });
  }
  Object.assign(decision, { ruleId: rule.id, ruleName: rule.name, strategy: rule.strategy });
  const ranking = await rankCandidates(ctx, em, rule, evaluation.location, dry);
  const { chosenIndex, candidates } = pickFirstEligible(ranking.ranked, ranking.facts, objectType, ranking.lowerDetail);
  decision.candidates = [...candidates, ...ranking.outside];
  if (chosenIndex < 0) return Object.assign(decision, { outcome: RoutingOutcome.NO_ELIGIBLE_CANDIDATE, reason: noCandidateReason(rule, decision.candidates) });
  return Object.assign(decision, {
    ownerId: ranking.ranked[chosenIndex],
    outcome: RoutingOutcome.ASSIGNED,
    reason: `Rule "${rule.name}" matched; ${rule.strategy} chose the owner`,
  });
}

async function storeDecision(em: EntityManager, decision: RoutingDecision): Promise<void> {
  const [row] = (await em.query(
    `INSERT INTO routing_decisions (workspace_id, object_type, record_id, rule_id, rule_name, strategy, owner_id, outcome, reason, candidates)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id, created_at`,
    [decision.workspaceId, decision.objectType, decision.recordId, decision.ruleId, decision.ruleName, decision.strategy, decision.ownerId,
      decision.outcome, decision.reason, JSON.stringify(decision.candidates)],
  )) as Array<{ id: string; created_at: Date }>;
  decision.id = row.id;
  decision.createdAt = row.created_at;
}

/** Sets the owner through the record's service, so the change writes its `updated` event (actor: the context's). */
async function assignOwner(ctx: RequestContext, em: EntityManager, objectType: RoutingObjectType, recordId: string, ownerId: string): Promise<void> {
  if (objectType === RoutingObjectType.DEAL) await dealService.setOwner(ctx, em, recordId, ownerId);
  else await contactService.setOwner(ctx, em, recordId, ownerId);
}

/** A hypothetical record as a row of its table (column names), for jsonb_populate_record. */
function asRow(ctx: RequestContext, entity: ClassType<object>, values: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of ctx.runtime.dataSource.getMetadata(entity).columns) {
    const value = values[column.propertyName];
    if (value !== undefined) row[column.databaseName] = value instanceof Date ? value.toISOString() : value;
  }
  return row;
}

async function hypothetical(ctx: RequestContext, input: SimulateRoutingInput): Promise<{ objectType: RoutingObjectType; row: Record<string, unknown> }> {
  if (!input.contact === !input.deal) throw badField('input', 'give exactly one of contact or deal');
  const base = { id: randomUUID(), workspaceId: ctx.workspaceId, createdAt: new Date(), updatedAt: new Date(), version: 1 };
  if (input.contact) {
    const values = { ...(await contactColumns(ctx, { ...input.contact, ownerId: undefined })), ...base, ownerId: null };
    return { objectType: RoutingObjectType.CONTACT, row: asRow(ctx, Contact, values) };
  }
  const values = (await dealColumns(ctx, { ...input.deal!, ownerId: undefined })) as Record<string, unknown>;
  const currency = values.currency ?? (await membersService.workspace(ctx)).defaultCurrency;
  const deal = { amount: '0', ...values, ...base, currency, status: DealStatus.OPEN, ownerId: null };
  return { objectType: RoutingObjectType.DEAL, row: asRow(ctx, Deal, deal) };
}

export const routingService = {
  /**
   * Routes one contact or deal (`recordId`: its uuid) inside the caller's transaction `em`:
   * locks the record, picks the first enabled matching rule, applies its strategy (skipping
   * members who are out of office, at capacity or no longer members), assigns the owner through
   * the record store (an `updated` event, acting as `ctx`), and stores the decision. Returns the
   * decision, or null when there is nothing to route: the record is missing, trashed or already
   * owned (to re-route, clear the owner first). Round-robin and least-loaded hold their rule's
   * row lock until `em` commits, so keep that transaction short.
   */
  async route(ctx: RequestContext, em: EntityManager, objectType: RoutingObjectType, recordId: string): Promise<RoutingDecision | null> {
    const evaluation = await evaluate(ctx, em, objectType, { recordId });
    if (!evaluation || evaluation.ownerId || evaluation.trashed) return null;
    const decision = await decide(ctx, em, objectType, evaluation, false);
    decision.recordId = recordId;
    if (decision.ownerId) await assignOwner(ctx, em, objectType, recordId, decision.ownerId);
    await storeDecision(em, decision);
    return decision;
  },

  /**
   * The decision `route` would make for an existing contact or deal now, writing nothing (an
   * automation's dry run shows it); null when there is nothing to route, as for `route`.
   */
  async preview(ctx: RequestContext, objectType: RoutingObjectType, recordId: string): Promise<RoutingDecision | null> {
    return ctx.db.read(async (em) => {
      const evaluation = await evaluate(ctx, em, objectType, { recordId, lock: false });
      if (!evaluation || evaluation.ownerId || evaluation.trashed) return null;
      return Object.assign(await decide(ctx, em, objectType, evaluation, true), { recordId });
    });
  },

  /** The decision routing would make for a hypothetical record now; reads only (round-robin shows the next turn). */
  async simulate(ctx: RequestContext, input: SimulateRoutingInput): Promise<RoutingDecision> {
    const { objectType, row } = await hypothetical(ctx, input);
    return ctx.db.read(async (em) => {
      const evaluation = (await evaluate(ctx, em, objectType, { row }))!;
      const decision = await decide(ctx, em, objectType, evaluation, true);
      return Object.assign(decision, { simulated: true });
    });
  },

  /** The latest decision for a contact or deal (public id), or null. */
  async latestDecision(ctx: RequestContext, recordPublicId: string): Promise<RoutingDecision | null> {
    const parsed = parseId(recordPublicId);
    if (!parsed || (parsed.type !== 'Contact' && parsed.type !== 'Deal')) throw badField('recordId', 'must be a Contact or Deal id');
    return ctx.db.read((em) =>
      em.getRepository(RoutingDecision).findOne({
        where: { workspaceId: ctx.workspaceId, recordId: parsed.uuid },
        order: { createdAt: 'DESC', id: 'DESC' },
      }),
    );
  },
};
