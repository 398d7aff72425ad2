import { Field, ID } from 'type-graphql';
import { FunnelGrouping, VelocityGrouping } from '../sales-performance';

/*
 * dealFunnel and dealVelocity take single arguments, not an @ArgsType class: these classes say
 * the same (names, types, defaults) for a dashboard, and become the input types
 * DealFunnelInput and DealVelocityInput (dashboard-report.ts).
 */

export class DealFunnelArgs {
  @Field(() => ID, { nullable: true, description: 'Default: the default pipeline.' }) pipelineId?: string | null;
  @Field(() => String, { nullable: true, description: 'When the deals were created: 2026, 2026-Q3 (fiscal), 2026-07 or 2026-W05; default: all deals.' })
  period?: string | null;
  @Field(() => FunnelGrouping, { nullable: true }) by?: FunnelGrouping | null;
  @Field({ defaultValue: false, description: 'Also split each group (and the total) by the month its deals were created.' }) cohort: boolean;
}

export class DealVelocityArgs {
  @Field({ description: 'When the deals were closed: 2026, 2026-Q3 (fiscal), 2026-07 or 2026-W05, in the workspace’s time zone.' }) period: string;
  @Field(() => VelocityGrouping, { nullable: true }) by?: VelocityGrouping | null;
  @Field(() => ID, { nullable: true, description: 'Only deals of this pipeline; default: every pipeline.' }) pipelineId?: string | null;
}
