import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { appError, badField } from '../../kernel/errors';
import { type Pipeline, pipelineService, type LockedPipeline, StageKind, type Stage } from '../pipelines';
import { DealStatus, type Deal } from './deal.entity';
import { deals } from './deal.model';

export const STATUS_OF_KIND: Record<StageKind, DealStatus> = {
  [StageKind.OPEN]: DealStatus.OPEN,
  [StageKind.WON]: DealStatus.WON,
  [StageKind.LOST]: DealStatus.LOST,
};

/**
 * The pipeline (null: the default one) share-locked for new deals, once per pipeline until the
 * request's next write: a bulk call's new deals take one statement per pipeline they go to.
 */
function lockedForNewDeals(ctx: RequestContext, em: EntityManager, pipelineId: string | null): Promise<LockedPipeline> {
  return ctx
    .loader('Pipeline:lockedForNewDeals', () =>
      new DataLoader<string, LockedPipeline>((ids) => Promise.all(ids.map((id) => pipelineService.lock(ctx, em, id || null, 'share')))),
    )
    .load(pipelineId ?? '');
}

/** The live stages of the pipeline a new deal goes to (null: the default one), share-locked. */
export async function stagesForNewDeal(ctx: RequestContext, em: EntityManager, pipelineId: string | null | undefined): Promise<LockedPipeline & { pipeline: Pipeline }> {
  const { pipeline, stages } = await lockedForNewDeals(ctx, em, pipelineId ?? null);
  if (!pipeline && !pipelineId) throw appError('CONFLICT', 'This workspace has no default pipeline; make a pipeline the default');
  if (!pipeline || pipeline.deletedAt) throw badField('pipelineId', 'no Pipeline with this id');
  return { pipeline, stages };
}

/** Where a new deal goes: the pipeline named (else the default one) and an OPEN stage of it (else its first). */
export async function placeNewDeal(
  ctx: RequestContext,
  em: EntityManager,
  pipelineId: string | null | undefined,
  stageId: string | null | undefined,
): Promise<Pick<Deal, 'pipelineId' | 'stageId'>> {
  const { pipeline, stages } = await stagesForNewDeal(ctx, em, pipelineId);
  const stage = stageId ? stages.find((s) => s.id === stageId) : stages.find((s) => s.kind === StageKind.OPEN);
  if (!stage) throw badField('stageId', 'is not a live stage of the deal’s pipeline');
  if (stage.kind !== StageKind.OPEN) {
    throw badField('stageId', `is the ${stage.kind} stage; create the deal in an OPEN stage, then use winDeal or loseDeal`);
  }
  return { pipelineId: pipeline.id, stageId: stage.id };
}

/** Locks the deal's pipeline against stage changes and returns its live stages; a trashed pipeline is a CONFLICT. */
export async function lockLivePipelineOf(ctx: RequestContext, em: EntityManager, deal: Deal): Promise<Stage[]> {
  const { pipeline, stages } = await pipelineService.lock(ctx, em, deal.pipelineId, 'share');
  if (!pipeline || pipeline.deletedAt) throw appError('CONFLICT', 'The deal’s pipeline is in the trash; restore the pipeline first');
  return stages;
}

/** Puts the deal into `stage`: its status follows the stage's kind; closing keeps the first closing time. */
function enterStage(deal: Deal, stage: Stage, lostReason: string | null = null): QueryDeepPartialEntity<Deal> {
  const status = STATUS_OF_KIND[stage.kind];
  const closedAt = status === DealStatus.OPEN ? null : deal.status === status ? deal.closedAt : () => 'now()';
  return { stageId: stage.id, status, closedAt, lostReason };
}

/** Moves the deal into the stage its pipeline has of `kind` (WON or LOST). */
function close(ctx: RequestContext, id: string, kind: StageKind, lostReason: string | null, expectedVersion?: number | null) {
  return ctx.db.write(async (em) => {
    const deal = await deals.require(ctx, id);
    const stage = (await lockLivePipelineOf(ctx, em, deal)).find((s) => s.kind === kind);
    if (!stage) throw appError('CONFLICT', `The deal’s pipeline has no ${kind} stage`);
    return deals.update(ctx, em, id, enterStage(deal, stage, lostReason), expectedVersion);
  });
}

/** The verbs that change a deal's stage and status; each raises its version. */
export const dealStageService = {
  /** Into an OPEN stage (which reopens a closed deal) or the WON stage; the LOST stage needs loseDeal's reason. */
  move(ctx: RequestContext, id: string, stageId: string, expectedVersion?: number | null): Promise<Deal> {
    return ctx.db.write(async (em) => {
      const deal = await deals.require(ctx, id);
      const stage = (await lockLivePipelineOf(ctx, em, deal)).find((s) => s.id === stageId);
      if (!stage) throw badField('stageId', 'is not a live stage of the deal’s pipeline');
      if (stage.kind === StageKind.LOST) throw badField('stageId', 'is the LOST stage; use loseDeal, which records the reason');
      return deals.update(ctx, em, id, enterStage(deal, stage), expectedVersion);
    });
  },

  win: (ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Deal> =>
    close(ctx, id, StageKind.WON, null, expectedVersion),

  lose(ctx: RequestContext, id: string, reason: string, expectedVersion?: number | null): Promise<Deal> {
    const lostReason = reason.trim();
    if (lostReason.length < 1 || lostReason.length > 500) throw badField('reason', 'must be 1 to 500 characters');
    return close(ctx, id, StageKind.LOST, lostReason, expectedVersion);
  },
};
