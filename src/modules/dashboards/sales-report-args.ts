import { Field, ID } from 'type-graphql';
import { PeriodScalar, type PeriodValue } from '../../kernel/time/periods';
import { FunnelGrouping, VelocityGrouping } from '../sales-performance';

/*
 * dealFunnel and dealVelocity take single arguments, not an @ArgsType class: these classes say
 * the same (names, types, defaults) for a dashboard, and become the input types
 * DealFunnelInput and DealVelocityInput (dashboard-report.ts).
 */

export class DealFunnelArgs {
  @Field(() => ID, { nullable: true, description: 'Default: the default pipeline.' }) pipelineId?: string | null;
  @Field(() => PeriodScalar, { nullable: true, description: 'When the deals were created; default: all deals.' }) period?: PeriodValue | null;
  @Field(() => FunnelGrouping, { nullable: true }) by?: FunnelGrouping | null;
  @Field({ defaultValue: false, description: 'Also split each group (and the total) by the month its deals were created.' }) cohort: boolean;
}

export class DealVelocityArgs {
  @Field(() => PeriodScalar, { description: 'When the deals were closed (their local close date).' }) period: PeriodValue;
  @Field(() => VelocityGrouping, { nullable: true }) by?: VelocityGrouping | null;
  @Field(() => ID, { nullable: true, description: 'Only deals of this pipeline; default: every pipeline.' }) pipelineId?: string | null;
}
