import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import type { Pipeline } from './pipeline.entity';
import { pipelines, stages } from './pipeline.service';
import { StageKind } from './stage.entity';

/** The classic acquisition process every new workspace starts with. */
export const DEFAULT_STAGES: ReadonlyArray<{ name: string; probability: number; kind: StageKind }> = [
  { name: 'Research', probability: 5, kind: StageKind.OPEN },
  { name: 'Qualification', probability: 15, kind: StageKind.OPEN },
  { name: 'Needs analysis', probability: 30, kind: StageKind.OPEN },
  { name: 'Proposal', probability: 50, kind: StageKind.OPEN },
  { name: 'Negotiation / contract', probability: 75, kind: StageKind.OPEN },
  { name: 'Won', probability: 100, kind: StageKind.WON },
  { name: 'Lost', probability: 0, kind: StageKind.LOST },
];

/** Creates the default sales pipeline inside the caller's write transaction (with created events). */
export async function createDefaultPipeline(ctx: RequestContext, em: EntityManager): Promise<Pipeline> {
  const pipeline = await pipelines.insert(ctx, em, { name: 'Sales', isDefault: true });
  await stages.insertMany(ctx, em, DEFAULT_STAGES.map((stage, position) => ({ ...stage, position, pipelineId: pipeline.id })));
  return pipeline;
}
