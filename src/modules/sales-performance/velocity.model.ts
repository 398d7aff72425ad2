import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CurrencyAmount } from '../../kernel/money/report-money';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import { SalesGroupKey } from './sales-grouping';

export enum VelocityGrouping {
  OWNER = 'OWNER',
  SOURCE = 'SOURCE',
  CLOSED_MONTH = 'CLOSED_MONTH',
  CLOSED_QUARTER = 'CLOSED_QUARTER',
}
registerEnumType(VelocityGrouping, {
  name: 'VelocityGrouping',
  description: 'Groups of closed deals: the deal’s current owner, its source, or the (fiscal) month or quarter it was closed in, in the workspace’s time zone.',
});

@ObjectType({ description: 'How one group of the deals closed in the period did (or all of them: the total).' })
export class VelocityGroup extends SalesGroupKey {
  @Field(() => Int) won: number;
  @Field(() => Int) lost: number;

  @Field(() => Float, { nullable: true, description: 'won ÷ (won + lost), to 4 places; null when none closed.' })
  winRate: number | null;

  @Field(() => DecimalScalar, { description: 'Sum of the won amounts converted at their close date’s rate, rounded half up to the reporting currency’s minor units.' })
  wonAmount: string;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: 'Average deal size: wonAmount’s exact sum ÷ the won deals it holds (those with a rate), rounded half up to minor units; null when none.',
  })
  averageDealSize: string | null;

  @Field(() => Int, { description: 'Won deals converted into the reporting currency (those wonAmount and averageDealSize are over).' })
  convertedCount: number;

  @Field(() => Int, { description: 'Won deals without a rate for their currency on their close date: reported apart in `unconverted`.' })
  unconvertedCount: number;

  @Field(() => [CurrencyAmount], { description: 'The won amounts without a rate, per currency, never converted nor in wonAmount.' })
  unconverted: CurrencyAmount[];

  @Field(() => Float, { nullable: true, description: 'Sales cycle length: average days from createdAt to closedAt of the won deals (all of them), to 2 places; null when none.' })
  averageSalesCycleDays: number | null;
}

@ObjectType({ description: 'Win rate, deal size and sales cycle of the deals closed in a period; see docs/analytics.md, “Funnel and velocity”.' })
export class DealVelocity {
  @Field({ description: 'The period the deals were closed in (local close date in the workspace’s time zone), as parsed.' }) period: string;
  @Field(() => LocalDateScalar) periodStart: string;
  @Field(() => LocalDateScalar, { description: 'First local day after the period.' }) periodEnd: string;
  @Field(() => CurrencyScalar, { description: 'The reporting currency (the workspace’s default currency).' }) currency: string;
  @Field(() => ID, { nullable: true, description: 'The pipeline the deals are of; null: every pipeline.' }) pipelineId: string | null;
  @Field(() => VelocityGrouping, { nullable: true }) by: VelocityGrouping | null;

  @Field(() => [VelocityGroup], { description: 'One per group, ordered by label (owners by name, “No owner”/“No source” last) or by period; empty without `by`.' })
  groups: VelocityGroup[];

  @Field(() => VelocityGroup) total: VelocityGroup;
}
