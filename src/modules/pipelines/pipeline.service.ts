import DataLoader from 'dataloader';
import { In, IsNull, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { appError, badField, notFound } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import { RecordStore } from '../../kernel/records/record-store';
import { RowMapper } from '../../kernel/records/row-mapper';
import { preparedStatement } from '../../kernel/sql';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import { dealCounts } from './deal-counts';
import { checkStageForecastCategory } from './forecast-category';
import { Pipeline } from './pipeline.entity';
import type { CreatePipelineInput, CreateStageInput, PipelineFilter, PipelineInput, PipelineOrderField } from './pipeline.inputs';
import { pipelineModel, stageModel } from './pipeline.model';
import { Stage, StageKind } from './stage.entity';

export const pipelines = new RecordStore(pipelineModel);
export const stages = new RecordStore(stageModel);

/** A pipeline row locked for the rest of the caller's transaction, and its live stages in order. */
export interface LockedPipeline {
  pipeline: Pipeline | null;
  stages: Stage[];
}

const liveStagesOf = (ctx: RequestContext, em: EntityManager, pipelineIds: string[]): Promise<Stage[]> =>
  em.getRepository(Stage).find({
    where: { workspaceId: ctx.workspaceId, pipelineId: In(pipelineIds), deletedAt: IsNull() },
    order: { position: 'ASC', createdAt: 'ASC' },
  });

let mappers: { pipelineRow: RowMapper<Pipeline>; stageRow: RowMapper<Stage> } | undefined;

/** A pipeline's columns (as `p.<property>`) beside its stages' in one row. */
function lockMappers(ctx: RequestContext) {
  mappers ??= {
    pipelineRow: new RowMapper(ctx.runtime.dataSource, Pipeline, 'p', 'p.'),
    stageRow: new RowMapper(ctx.runtime.dataSource, Stage, 's'),
  };
  return mappers;
}

function stagesByPipeline(ctx: RequestContext): DataLoader<string, Stage[]> {
  return ctx.loader('Stage:byPipeline', () =>
    new DataLoader<string, Stage[]>(async (pipelineIds) => {
      const rows = await ctx.db.read((em) => liveStagesOf(ctx, em, [...pipelineIds]));
      return pipelineIds.map((id) => rows.filter((stage) => stage.pipelineId === id));
    }),
  );
}

/** Refuses a stage list a deal could not move through: it needs somewhere open, one win and one loss. */
export function checkStageKinds(list: Array<Pick<CreateStageInput, 'kind'>>, field: string): void {
  const count = (kind: StageKind) => list.filter((stage) => stage.kind === kind).length;
  if (count(StageKind.OPEN) === 0) throw badField(field, 'must include at least one OPEN stage');
  if (count(StageKind.WON) !== 1) throw badField(field, 'must include exactly one WON stage');
  if (count(StageKind.LOST) !== 1) throw badField(field, 'must include exactly one LOST stage');
}

/** Takes the default flag from whichever live pipeline holds it (there is at most one); an updated event for it. */
async function clearDefault(ctx: RequestContext, em: EntityManager): Promise<void> {
  const current = await em.getRepository(Pipeline).findBy({ workspaceId: ctx.workspaceId, isDefault: true, deletedAt: IsNull() });
  if (current.length === 0) return;
  await pipelines.updateEach(ctx, em, current.map((pipeline) => pipeline.id), () =>
    em
      .createQueryBuilder()
      .update(Pipeline)
      .set({ isDefault: false, version: () => 'version + 1', updatedAt: () => 'now()' })
      .where('workspace_id = :workspaceId AND is_default AND deleted_at IS NULL', { workspaceId: ctx.workspaceId })
      .execute(),
  );
}

export const pipelineService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(pipelines),

  stageRecords: recordPort(stages),

  load: (ctx: RequestContext, id: string | null | undefined) => pipelines.load(ctx, id),

  get: (ctx: RequestContext, id: string) => pipelines.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<PipelineFilter, PipelineOrderField>): Promise<Connection<Pipeline>> =>
    pipelines.list(ctx, args),

  loadStage: (ctx: RequestContext, id: string | null | undefined) => stages.load(ctx, id),

  getStage: (ctx: RequestContext, id: string) => stages.require(ctx, id),

  /** The live stages of a pipeline by position, batched with every other pipeline in the request. */
  stagesOf: (ctx: RequestContext, pipelineId: string): Promise<Stage[]> => stagesByPipeline(ctx).load(pipelineId),

  /** Where deals go when no pipeline is named; every workspace has exactly one. */
  async defaultPipeline(ctx: RequestContext): Promise<Pipeline> {
    const found = await ctx.db.read((em) =>
      em.getRepository(Pipeline).findOneBy({ workspaceId: ctx.workspaceId, isDefault: true, deletedAt: IsNull() }),
    );
    if (!found) throw appError('CONFLICT', 'This workspace has no default pipeline; make a pipeline the default');
    return found;
  },

  /**
   * Locks the pipeline row (null: the default pipeline) inside the caller's write and reads its
   * live stages, in one statement. Deal writes lock it `share` (many at once), stage changes
   * `update` (alone): so a deal never lands in a stage being deleted, and a stage check sees
   * every deal committed before it. The rows read go into the request's loaders (a new deal's
   * `stage` answers from there).
   */
  async lock(ctx: RequestContext, em: EntityManager, pipelineId: string | null, mode: 'share' | 'update'): Promise<LockedPipeline> {
    const { pipelineRow, stageRow } = lockMappers(ctx);
    const rows: Array<Record<string, unknown>> = await em.query(
      preparedStatement(`SELECT ${pipelineRow.selectList}, ${stageRow.selectList} FROM pipelines p
       LEFT JOIN stages s ON s.workspace_id = p.workspace_id AND s.pipeline_id = p.id AND s.deleted_at IS NULL
       WHERE p.workspace_id = $1
         AND p.id = COALESCE($2::uuid, (SELECT d.id FROM pipelines d WHERE d.workspace_id = $1 AND d.is_default AND d.deleted_at IS NULL))
       ORDER BY s.position, s.created_at
       FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'} OF p`),
      [ctx.workspaceId, pipelineId],
    );
    const pipeline = rows.length ? pipelineRow.hydrate(rows[0]) : null;
    const live = rows.filter((row) => row.id !== null).map((row) => stageRow.hydrate(row));
    if (pipeline) pipelines.prime(ctx, [pipeline]);
    stages.prime(ctx, live);
    return { pipeline, stages: live };
  },

  /** Creates a pipeline with its stages in the order given. */
  async create(ctx: RequestContext, input: CreatePipelineInput): Promise<Pipeline> {
    checkStageKinds(input.stages, 'stages');
    input.stages.forEach((stage, i) => checkStageForecastCategory(stage.kind, stage.forecastCategory, `stages.${i}.forecastCategory`));
    return ctx.db.write(async (em) => {
      if (input.isDefault) await clearDefault(ctx, em);
      const pipeline = await pipelines.insert(ctx, em, { name: input.name.trim(), isDefault: input.isDefault ?? false });
      await stages.insertMany(
        ctx,
        em,
        input.stages.map((stage, position) => ({
          pipelineId: pipeline.id,
          name: stage.name.trim(),
          probability: stage.probability,
          followUpAfterDays: stage.followUpAfterDays ?? null,
          forecastCategory: stage.forecastCategory ?? null,
          kind: stage.kind,
          position,
        })),
      );
      return pipeline;
    });
  },

  /** Renames, or makes the pipeline the default; the default flag can only be passed on, never dropped. */
  update(ctx: RequestContext, id: string, input: PipelineInput, expectedVersion?: number | null): Promise<Pipeline> {
    return ctx.db.write(async (em) => {
      const current = await pipelines.require(ctx, id);
      if (input.isDefault === false && current.isDefault) {
        throw badField('isDefault', 'cannot be cleared; make another pipeline the default instead');
      }
      if (input.isDefault && !current.isDefault) await clearDefault(ctx, em);
      return pipelines.update(ctx, em, id, { name: input.name?.trim(), isDefault: input.isDefault }, expectedVersion);
    });
  },

  /** Moves a pipeline to the trash; its won and lost deals stay where they are. */
  delete(ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Pipeline> {
    return ctx.db.write(async (em) => {
      const { pipeline } = await pipelineService.lock(ctx, em, id, 'update');
      if (!pipeline || pipeline.deletedAt) throw notFound('Pipeline');
      if (pipeline.isDefault) throw appError('CONFLICT', 'The default pipeline cannot be deleted; make another pipeline the default first');
      const openDeals = await dealCounts().openInPipeline(ctx, em, id);
      if (openDeals > 0) throw appError('CONFLICT', `The pipeline still has ${openDeals} open deal(s); win, lose or delete them first`);
      return pipelines.softDelete(ctx, em, id, expectedVersion);
    });
  },

  restore: (ctx: RequestContext, id: string): Promise<Pipeline> => ctx.db.write((em) => pipelines.restore(ctx, em, id)),
};

registerNodeType('Pipeline', pipelineService.load);
registerNodeType('Stage', pipelineService.loadStage);
