import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { appError, badField, notFound } from '../../kernel/errors';
import { dealCounts } from './deal-counts';
import { checkStageForecastCategory } from './forecast-category';
import type { Pipeline } from './pipeline.entity';
import { MAX_STAGES, type AddStageInput, type StageInput } from './pipeline.inputs';
import { pipelineService, stages, type LockedPipeline } from './pipeline.service';
import { Stage, StageKind } from './stage.entity';

/** Moves the live stages (`live`, locked with their pipeline) at or after `from` by `by` places; updated events for each. */
async function shiftStages(ctx: RequestContext, em: EntityManager, pipelineId: string, live: Stage[], from: number, by: 1 | -1): Promise<void> {
  const moved = live.filter((stage) => stage.position >= from).map((stage) => stage.id);
  if (moved.length === 0) return;
  await stages.updateEach(ctx, em, moved, () =>
    em
    .createQueryBuilder()
    .update(Stage)
    .set({ position: () => `position + ${by}`, version: () => 'version + 1', updatedAt: () => 'now()' })
    .where('workspace_id = :workspaceId AND pipeline_id = :pipelineId AND deleted_at IS NULL AND position >= :from', {
      workspaceId: ctx.workspaceId,
      pipelineId,
      from,
    })
    .execute(),
  );
}

/** The pipeline locked for a change of its stages; a missing or trashed one is NOT_FOUND. */
async function lockLivePipeline(ctx: RequestContext, em: EntityManager, pipelineId: string): Promise<LockedPipeline & { pipeline: Pipeline }> {
  const locked = await pipelineService.lock(ctx, em, pipelineId, 'update');
  if (!locked.pipeline || locked.pipeline.deletedAt) throw notFound('Pipeline');
  return { pipeline: locked.pipeline, stages: locked.stages };
}

export const stageService = {
  /** Adds a stage at `position` (default: the end); the stages from there on move back one place. */
  add(ctx: RequestContext, pipelineId: string, input: AddStageInput): Promise<Stage> {
    checkStageForecastCategory(input.kind, input.forecastCategory, 'forecastCategory');
    return ctx.db.write(async (em) => {
      const { stages: live } = await lockLivePipeline(ctx, em, pipelineId);
      if (live.length >= MAX_STAGES) throw appError('CONFLICT', `A pipeline holds at most ${MAX_STAGES} stages`);
      if (input.kind !== StageKind.OPEN && live.some((stage) => stage.kind === input.kind)) {
        throw badField('kind', `the pipeline already has its ${input.kind} stage; only OPEN stages can be added`);
      }
      const position = input.position ?? live.length;
      if (position > live.length) throw badField('position', `must be between 0 and ${live.length}`);
      await shiftStages(ctx, em, pipelineId, live, position, 1);
      return stages.insert(ctx, em, {
        pipelineId,
        name: input.name.trim(),
        probability: input.probability,
        followUpAfterDays: input.followUpAfterDays ?? null,
        forecastCategory: input.forecastCategory ?? null,
        kind: input.kind,
        position,
      });
    });
  },

  /** A stage's kind never changes, so its forecast category is checked against the stored kind. */
  async update(ctx: RequestContext, id: string, input: StageInput, expectedVersion?: number | null): Promise<Stage> {
    if (input.forecastCategory != null) checkStageForecastCategory((await stages.require(ctx, id)).kind, input.forecastCategory, 'forecastCategory');
    const { name, probability, followUpAfterDays, forecastCategory } = input;
    return ctx.db.write((em) => stages.update(ctx, em, id, { name: name?.trim(), probability, followUpAfterDays, forecastCategory }, expectedVersion));
  },

  /**
   * Moves an empty stage to the trash and closes the gap it leaves. A stage that holds live
   * deals, or the last stage of its kind, stays.
   */
  async delete(ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Stage> {
    const { pipelineId } = await stages.require(ctx, id);
    return ctx.db.write(async (em) => {
      const { stages: live } = await pipelineService.lock(ctx, em, pipelineId, 'update');
      const stage = live.find((s) => s.id === id);
      if (!stage) throw notFound('Stage');
      const deals = await dealCounts().inStage(ctx, em, id);
      if (deals > 0) throw appError('CONFLICT', `${deals} deal(s) are in this stage; move them to another stage first`);
      if (!live.some((other) => other.id !== id && other.kind === stage.kind)) {
        throw appError('CONFLICT', `A pipeline needs ${stage.kind === StageKind.OPEN ? 'at least one OPEN stage' : `its ${stage.kind} stage`}`);
      }
      const deleted = await stages.softDelete(ctx, em, id, expectedVersion);
      await shiftStages(ctx, em, pipelineId, live, stage.position + 1, -1);
      return deleted;
    });
  },

  /** Puts the pipeline's live stages in the order given; `stageIds` must name each exactly once. */
  reorder(ctx: RequestContext, pipelineId: string, stageIds: string[]): Promise<Pipeline> {
    return ctx.db.write(async (em) => {
      const { pipeline, stages: live } = await lockLivePipeline(ctx, em, pipelineId);
      const wanted = new Set(stageIds);
      if (wanted.size !== stageIds.length || wanted.size !== live.length || live.some((stage) => !wanted.has(stage.id))) {
        throw badField('stageIds', 'must list every live stage of the pipeline exactly once');
      }
      await stages.updateEach(ctx, em, stageIds, () =>
        em.query(
          `UPDATE stages s SET position = v.ord - 1, version = s.version + 1, updated_at = now()
             FROM unnest($1::uuid[]) WITH ORDINALITY AS v(id, ord)
            WHERE s.workspace_id = $2 AND s.id = v.id AND s.position <> v.ord - 1`,
          [stageIds, ctx.workspaceId],
        ),
      );
      return pipeline;
    });
  },
};
