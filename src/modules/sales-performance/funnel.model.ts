import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../../kernel/scalars';
import { StageKind } from '../pipelines';
import { SalesGroupKey } from './sales-grouping';

export enum FunnelGrouping {
  OWNER = 'OWNER',
  SOURCE = 'SOURCE',
  CREATED_MONTH = 'CREATED_MONTH',
  CREATED_QUARTER = 'CREATED_QUARTER',
}
registerEnumType(FunnelGrouping, {
  name: 'FunnelGrouping',
  description: 'Groups of a funnel: the deal’s current owner, its source, or the (fiscal) month or quarter it was created in, in the workspace’s time zone.',
});

/** One stage of a funnel: who entered it, how many went on, how long completed stays took. */
@ObjectType({ description: 'A stage of the funnel (the pipeline’s OPEN stages by position, then its WON stage), counted over the funnel’s deals.' })
export class FunnelStage {
  @Field(() => ID) stageId: string;
  @Field() name: string;
  @Field(() => StageKind) kind: StageKind;

  @Field(() => Int, { description: 'Deals that entered this stage at least once (a deal counts once, however often it came back).' })
  entered: number;

  @Field(() => Int, { description: 'Deals that entered this stage or a later one: a deal that skipped this stage passed it.' })
  reached: number;

  @Field(() => Int, { nullable: true, description: 'Of the deals that entered this stage, those that reached the next stage or a later one; null on the last stage.' })
  convertedToNext: number | null;

  @Field(() => Float, { nullable: true, description: 'convertedToNext ÷ entered, to 4 places; null on the last stage or when no deal entered.' })
  conversionToNext: number | null;

  @Field(() => Int, { description: 'Of the deals that entered the first stage, those that reached this stage or a later one.' })
  reachedFromFirst: number;

  @Field(() => Float, { nullable: true, description: 'reachedFromFirst ÷ entered of the first stage, to 4 places; null when no deal entered the first stage.' })
  conversionFromFirst: number | null;

  @Field(() => Int, { description: 'Completed stays in this stage (the deal left it); a deal still in the stage is not timed.' })
  completedStays: number;

  @Field(() => Float, { nullable: true, description: 'Average days of the completed stays, to 2 places; null without one.' })
  averageDays: number | null;

  @Field(() => Float, { nullable: true, description: 'Median days of the completed stays, to 2 places; null without one.' })
  medianDays: number | null;
}

@ObjectType({ description: 'A funnel over one group of deals (or all of them: the total).' })
export class FunnelGroup extends SalesGroupKey {
  @Field(() => Int, { description: 'Deals in the group.' }) deals: number;
  @Field(() => Int, { description: 'Of them, open now.' }) open: number;
  @Field(() => Int, { description: 'Of them, won now.' }) won: number;
  @Field(() => Int, { description: 'Of them, lost now.' }) lost: number;
  @Field(() => [FunnelStage]) stages: FunnelStage[];

  @Field(() => [FunnelGroup], {
    nullable: true,
    description: 'With cohort: true, the group’s deals by the month they were created (key and label: 2026-07), oldest first, each with the same figures; else null (and on a cohort).',
  })
  cohorts: FunnelGroup[] | null;
}

@ObjectType({ description: 'Stage-to-stage conversion and time in stage of a pipeline’s deals created in a period; see docs/analytics.md, “Funnel and velocity”.' })
export class DealFunnel {
  @Field(() => ID) pipelineId: string;
  @Field() pipelineName: string;

  @Field(() => String, { nullable: true, description: 'The period the deals were created in, as parsed (2026-Q3, 2026-01-15..2026-02-14); null: all deals.' })
  period: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'First local day of the period.' }) periodStart: string | null;
  @Field(() => LocalDateScalar, { nullable: true, description: 'First local day after the period.' }) periodEnd: string | null;

  @Field(() => FunnelGrouping, { nullable: true }) by: FunnelGrouping | null;

  @Field(() => [FunnelGroup], { description: 'One per group, ordered by label (owners by name, “No owner”/“No source” last) or by period; empty without `by`.' })
  groups: FunnelGroup[];

  @Field(() => FunnelGroup, { description: 'All of the funnel’s deals.' }) total: FunnelGroup;
}
