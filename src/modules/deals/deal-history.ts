import DataLoader from 'dataloader';
import { Field, ID, InputType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { badField, badInput, type FieldProblem } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import { StageKind, type Stage } from '../pipelines';
import type { Deal } from './deal.entity';
import { deals } from './deal.model';
import { lockLivePipelineOf, placeNewDeal, STATUS_OF_KIND, stagesForNewDeal } from './deal-stage.service';

/**
 * A deal's history set on import (history:write, checked by the caller: see
 * kernel/records/history.ts): when it was created and closed, and the stages it went through.
 * The history rows then are exactly the list sent, as if the moves had been made live: each row
 * left when the next was entered, the last one open and the deal's stage, `stageChangedAt` its
 * entry time.
 */

export const MAX_STAGE_HISTORY = 200;

@InputType({ description: 'A stage the deal entered, and when (needs history:write).' })
export class StageHistoryEntryInput {
  @Field(() => ID, { description: 'A live stage of the deal’s pipeline.' }) stageId: string;
  @Field(() => Date, { description: 'Not before the deal’s createdAt or the previous entry; not in the future.' }) enteredAt: Date;
}

/** The history fields a deal upsert may carry (declared on UpsertDealInput). */
export interface DealHistoryInput {
  createdAt?: Date | null;
  closedAt?: Date | null;
  lostReason?: string | null;
  stageHistory?: StageHistoryEntryInput[] | null;
}

/** The input fields that write a deal's history. */
export const DEAL_HISTORY_FIELDS = ['createdAt', 'closedAt', 'lostReason', 'stageHistory'] as const;

/** One stay in a stage: the history row's stage and entry time (it left when the next was entered). */
export interface StageStay {
  stageId: string;
  enteredAt: Date;
}

/** What a deal's history sets: its columns, and the stays that replace its history rows (none: the trigger's row stands). */
export interface DealHistory {
  columns: QueryDeepPartialEntity<Deal>;
  stays: StageStay[] | null;
}

const hasHistory = (input: DealHistoryInput) => DEAL_HISTORY_FIELDS.some((field) => input[field] !== undefined);

/** The sent stays checked against the pipeline's live stages: in time order, no stage twice in a row, none in the future, none before `createdAt`. */
function checkedStays(entries: StageHistoryEntryInput[], stages: Stage[], createdAt: Date, now: Date): Array<StageStay & { stage: Stage }> {
  if (entries.length === 0) throw badField('stageHistory', 'must list at least the deal’s stage');
  const problems: FieldProblem[] = [];
  const stays = entries.map((entry, i) => {
    const id = parseId(entry.stageId);
    const stage = id?.type === 'Stage' ? stages.find((s) => s.id === id.uuid) : undefined;
    const at = (message: string) => problems.push({ field: `stageHistory[${i}].enteredAt`, message });
    if (!stage) problems.push({ field: `stageHistory[${i}].stageId`, message: 'is not a live stage of the deal’s pipeline' });
    else if (i > 0 && entries[i - 1].stageId === entry.stageId) {
      problems.push({ field: `stageHistory[${i}].stageId`, message: `is the stage of stageHistory[${i - 1}]; list each stay once` });
    }
    if (entry.enteredAt > now) at('must not be in the future');
    if (i === 0 && entry.enteredAt < createdAt) at(`must not be before the deal’s createdAt (${createdAt.toISOString()})`);
    if (i > 0 && entry.enteredAt < entries[i - 1].enteredAt) at(`must not be before stageHistory[${i - 1}].enteredAt`);
    return { stageId: stage?.id ?? '', stage: stage!, enteredAt: entry.enteredAt };
  });
  if (problems.length) throw badInput(problems);
  return stays;
}

/**
 * What closing sets on a deal in `stage`: a won or lost one's close time is `closedAt` (default
 * `enteredAt`, when it entered that stage), a lost one's reason `lostReason`; an open deal has
 * neither. Only what is sent or defaulted is returned.
 */
function closing(stage: Stage, history: DealHistoryInput, enteredAt: Date | null, createdAt: Date): QueryDeepPartialEntity<Deal> {
  const { closedAt, lostReason } = history;
  if (lostReason != null && stage.kind !== StageKind.LOST) throw badField('lostReason', `only a lost deal has a reason; its stage is ${stage.kind}`);
  if (stage.kind === StageKind.OPEN) {
    if (closedAt != null) throw badField('closedAt', 'only a won or lost deal has a close time; its stage is OPEN');
    return {};
  }
  if (closedAt === null) throw badField('closedAt', `a ${STATUS_OF_KIND[stage.kind]} deal has a close time`);
  const at = closedAt ?? enteredAt ?? undefined;
  if (at && at < createdAt) throw badField('closedAt', `must not be before the deal’s createdAt (${createdAt.toISOString()})`);
  const reason = lostReason?.trim();
  if (reason !== undefined && (reason.length < 1 || reason.length > 500)) throw badField('lostReason', 'must be 1 to 500 characters');
  return { ...(at && { closedAt: at }), ...(reason !== undefined && { lostReason: reason }) };
}

/**
 * Where a new deal goes and what its history sets. Without a stageHistory it is placed as any
 * new deal (an OPEN stage) and entered it at its createdAt; with one, it is in the last entry's
 * stage (`stageId`, if sent, must be that one), whatever its kind, with the status of that kind.
 */
export async function placeDealWithHistory(
  ctx: RequestContext,
  em: EntityManager,
  pipelineId: string | null | undefined,
  stageId: string | null | undefined,
  history: DealHistoryInput,
  now = new Date(),
): Promise<DealHistory> {
  const { createdAt, closedAt, lostReason, stageHistory } = history;
  if (!stageHistory) {
    const placement = await placeNewDeal(ctx, em, pipelineId, stageId);
    if (closedAt != null || lostReason != null) {
      const field = closedAt != null ? 'closedAt' : 'lostReason';
      throw badField(field, 'only a closed deal has it; send a stageHistory ending in its WON or LOST stage');
    }
    return { columns: { ...placement, ...(createdAt && { createdAt, stageChangedAt: createdAt }) }, stays: null };
  }
  const { pipeline, stages } = await stagesForNewDeal(ctx, em, pipelineId);
  const created = createdAt ?? stageHistory[0]?.enteredAt ?? now;
  const stays = checkedStays(stageHistory, stages, created, now);
  const last = stays[stays.length - 1];
  if (stageId && stageId !== last.stageId) {
    throw badField(`stageHistory[${stays.length - 1}].stageId`, 'must be the deal’s stage (stageId): the last entry is where the deal is');
  }
  return {
    columns: {
      pipelineId: pipeline.id,
      stageId: last.stageId,
      status: STATUS_OF_KIND[last.stage.kind],
      createdAt: created,
      stageChangedAt: last.enteredAt,
      ...closing(last.stage, history, last.enteredAt, created),
    },
    stays,
  };
}

/** When the deal entered its first recorded stage. */
async function firstEntry(ctx: RequestContext, em: EntityManager, dealId: string): Promise<Date | null> {
  const [row] = await em.query(`SELECT min(entered_at) AS at FROM deal_stage_history WHERE workspace_id = $1 AND deal_id = $2`, [ctx.workspaceId, dealId]);
  return row?.at ?? null;
}

/**
 * What a history sent for an existing deal sets, checked against the deal as it is: a
 * stageHistory must end in its current stage (stages move through moveDeal, winDeal and
 * loseDeal); a createdAt alone must not be after its first recorded stage.
 */
export async function dealHistoryUpdate(ctx: RequestContext, em: EntityManager, dealId: string, history: DealHistoryInput, now = new Date()): Promise<DealHistory | null> {
  if (!hasHistory(history)) return null;
  const deal = await deals.require(ctx, dealId);
  const { createdAt, stageHistory } = history;
  const stages = await lockLivePipelineOf(ctx, em, deal);
  const stage = stages.find((s) => s.id === deal.stageId)!;
  const created = createdAt ?? deal.createdAt;
  if (!stageHistory) {
    const first = createdAt ? await firstEntry(ctx, em, deal.id) : null;
    if (first && createdAt! > first) throw badField('createdAt', `must not be after the deal entered its first stage (${first.toISOString()})`);
    return { columns: { ...(createdAt && { createdAt }), ...closing(stage, history, null, created) }, stays: null };
  }
  const stays = checkedStays(stageHistory, stages, created, now);
  const last = stays[stays.length - 1];
  if (last.stageId !== deal.stageId) {
    throw badField(`stageHistory[${stays.length - 1}].stageId`, 'must be the deal’s current stage; move the deal first (moveDeal, winDeal, loseDeal)');
  }
  return { columns: { ...(createdAt && { createdAt }), stageChangedAt: last.enteredAt, ...closing(stage, history, last.enteredAt, created) }, stays };
}

/**
 * Replaces the history rows of `written` deals with their stays: one delete, one insert, each
 * row left when the next was entered, the last one open. Runs after the deals' own write (whose
 * trigger wrote the row of their current stage).
 */
export async function replaceStageHistory(ctx: RequestContext, em: EntityManager, written: Array<{ deal: Deal; stays: StageStay[] }>): Promise<void> {
  if (written.length === 0) return;
  await em.query(`DELETE FROM deal_stage_history WHERE workspace_id = $1 AND deal_id = ANY($2::uuid[])`, [ctx.workspaceId, written.map((w) => w.deal.id)]);
  const rows = written.flatMap(({ deal, stays }) =>
    stays.map((stay, n) => ({ deal_id: deal.id, pipeline_id: deal.pipelineId, stage_id: stay.stageId, entered_at: stay.enteredAt, n })),
  );
  await em.query(
    `INSERT INTO deal_stage_history (workspace_id, deal_id, pipeline_id, stage_id, entered_at, left_at)
     SELECT $1, h.deal_id, h.pipeline_id, h.stage_id, h.entered_at, lead(h.entered_at) OVER (PARTITION BY h.deal_id ORDER BY h.n)
       FROM jsonb_to_recordset($2::jsonb) AS h(deal_id uuid, pipeline_id uuid, stage_id uuid, entered_at timestamptz, n int)`,
    [ctx.workspaceId, JSON.stringify(rows)],
  );
  ctx.forgetWrites('DealStageHistory');
}

/** A deal's stage history (stage and entry time, oldest first), batched per request. */
function storedStays(ctx: RequestContext, dealId: string): Promise<StageStay[]> {
  return ctx
    .loader('DealStageHistory:byDeal', () =>
      new DataLoader<string, StageStay[]>(async (ids) => {
        const rows: Array<{ deal_id: string; stage_id: string; entered_at: Date }> = await ctx.db.read((em) =>
          em.query(
            `SELECT deal_id, stage_id, entered_at FROM deal_stage_history WHERE workspace_id = $1 AND deal_id = ANY($2::uuid[]) ORDER BY deal_id, entered_at, left_at NULLS LAST`,
            [ctx.workspaceId, [...ids]],
          ),
        );
        return ids.map((id) => rows.filter((row) => row.deal_id === id).map((row) => ({ stageId: row.stage_id, enteredAt: row.entered_at })));
      }),
    )
    .load(dealId);
}

/** Whether `entries` are exactly the deal's stored stage history (to the millisecond): an upsert sending it again changes nothing. */
export async function sameStageHistory(ctx: RequestContext, dealId: string, entries: StageHistoryEntryInput[]): Promise<boolean> {
  const stored = await storedStays(ctx, dealId);
  return (
    stored.length === entries.length &&
    entries.every((entry, i) => parseId(entry.stageId)?.uuid === stored[i].stageId && entry.enteredAt.getTime() === stored[i].enteredAt.getTime())
  );
}

/** Splits the history fields off a deal input. */
export function splitHistory<T extends DealHistoryInput>(input: T): [DealHistoryInput, Omit<T, keyof DealHistoryInput>] {
  const { createdAt, closedAt, lostReason, stageHistory, ...rest } = input;
  return [{ createdAt, closedAt, lostReason, stageHistory }, rest];
}
