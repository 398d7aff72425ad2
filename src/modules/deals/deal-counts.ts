import { IsNull } from 'typeorm';
import { countDealsWith } from '../pipelines';
import { Deal, DealStatus } from './deal.entity';

countDealsWith({
  openInPipeline: (ctx, em, pipelineId) =>
    em.getRepository(Deal).countBy({ workspaceId: ctx.workspaceId, pipelineId, status: DealStatus.OPEN, deletedAt: IsNull() }),
  inStage: (ctx, em, stageId) => em.getRepository(Deal).countBy({ workspaceId: ctx.workspaceId, stageId, deletedAt: IsNull() }),
});
