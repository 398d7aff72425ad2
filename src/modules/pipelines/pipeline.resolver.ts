import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Pipeline } from './pipeline.entity';
import { AddStageInput, CreatePipelineInput, PipelineInput, PipelineListArgs, StageInput } from './pipeline.inputs';
import { pipelineService } from './pipeline.service';
import { ForecastCategory, stageForecastCategory } from './forecast-category';
import { Stage } from './stage.entity';
import { stageService } from './stage.service';

export const PipelineConnection = connectionType(Pipeline, 'Pipeline');

@Resolver(() => Pipeline)
export class PipelineResolver {
  @Authorized(Permission.READ)
  @Query(() => Pipeline, { description: 'One pipeline by id (also when in the trash).' })
  pipeline(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Pipeline> {
    return pipelineService.get(ctx, decodeId('Pipeline', id, 'id'));
  }

  @Authorized(Permission.READ)
  @Query(() => PipelineConnection)
  pipelines(@Ctx() ctx: RequestContext, @Args() args: PipelineListArgs) {
    return pipelineService.list(ctx, args);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Pipeline)
  createPipeline(@Ctx() ctx: RequestContext, @Arg('input') input: CreatePipelineInput): Promise<Pipeline> {
    return pipelineService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Pipeline)
  updatePipeline(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: PipelineInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Pipeline> {
    return pipelineService.update(ctx, decodeId('Pipeline', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Pipeline, { description: 'Moves the pipeline to the trash; not the default one, nor one with open deals.' })
  deletePipeline(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Pipeline> {
    return pipelineService.delete(ctx, decodeId('Pipeline', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Pipeline, { description: 'Brings the pipeline back from the trash.' })
  restorePipeline(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Pipeline> {
    return pipelineService.restore(ctx, decodeId('Pipeline', id, 'id'));
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Pipeline, { description: 'Puts the stages in the order given; it must name every live stage once.' })
  reorderStages(
    @Ctx() ctx: RequestContext,
    @Arg('pipelineId', () => ID) pipelineId: string,
    @Arg('stageIds', () => [ID]) stageIds: string[],
  ): Promise<Pipeline> {
    const ids = stageIds.map((id, i) => decodeId('Stage', id, `stageIds.${i}`));
    return stageService.reorder(ctx, decodeId('Pipeline', pipelineId, 'pipelineId'), ids);
  }

  @FieldResolver(() => [Stage], { description: 'The live stages, in order.' })
  stages(@Ctx() ctx: RequestContext, @Root() pipeline: Pipeline): Promise<Stage[]> {
    return pipelineService.stagesOf(ctx, pipeline.id);
  }
}

@Resolver(() => Stage)
export class StageResolver {
  @Authorized(Permission.READ)
  @Query(() => Stage, { description: 'One stage by id (also when in the trash).' })
  stage(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Stage> {
    return pipelineService.getStage(ctx, decodeId('Stage', id, 'id'));
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Stage)
  addStage(
    @Ctx() ctx: RequestContext,
    @Arg('pipelineId', () => ID) pipelineId: string,
    @Arg('input') input: AddStageInput,
  ): Promise<Stage> {
    return stageService.add(ctx, decodeId('Pipeline', pipelineId, 'pipelineId'), input);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Stage, { description: 'Renames a stage or changes its probability or forecast category; its kind stays.' })
  updateStage(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: StageInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Stage> {
    return stageService.update(ctx, decodeId('Stage', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_PIPELINES)
  @Mutation(() => Stage, { description: 'Moves an empty stage to the trash; a pipeline keeps an OPEN, its WON and its LOST stage.' })
  deleteStage(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Stage> {
    return stageService.delete(ctx, decodeId('Stage', id, 'id'), expectedVersion);
  }

  @FieldResolver(() => ForecastCategory, { description: 'The forecast category of the deals in this stage: the one set, else PIPELINE for OPEN, CLOSED for WON, OMITTED for LOST stages.' })
  forecastCategory(@Root() stage: Stage): ForecastCategory {
    return stageForecastCategory(stage);
  }

  @FieldResolver(() => Pipeline)
  pipeline(@Ctx() ctx: RequestContext, @Root() stage: Stage): Promise<Pipeline> {
    return pipelineService.get(ctx, stage.pipelineId);
  }
}
