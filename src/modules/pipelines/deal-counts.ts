import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { hook } from '../../kernel/hook';

/**
 * What pipelines ask before trashing a pipeline or a stage: how many deals still sit in it.
 * Deals belong to the deals module, which depends on pipelines; so deals answers through this
 * hook, filled when its face loads, and pipelines never imports deals.
 */
export interface DealCounts {
  /** Live open deals in the pipeline. */
  openInPipeline(ctx: RequestContext, em: EntityManager, pipelineId: string): Promise<number>;
  /** Live deals in the stage, whatever their status. */
  inStage(ctx: RequestContext, em: EntityManager, stageId: string): Promise<number>;
}

const counts = hook<DealCounts>('No deal counts registered: the deals module (src/modules/deals) must be loaded to change pipelines');

export const countDealsWith = counts.fill;
export const dealCounts = counts.get;
