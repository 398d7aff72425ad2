import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CurrencyAmount } from '../../kernel/money/report-money';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import { PeriodScalar, type PeriodValue } from '../../kernel/time/periods';

export enum ForecastGrouping {
  OWNER = 'OWNER',
  TEAM = 'TEAM',
  PIPELINE = 'PIPELINE',
}
registerEnumType(ForecastGrouping, {
  name: 'ForecastGrouping',
  description: 'How the forecast is split into rows.',
  valuesConfig: {
    OWNER: { description: 'One row per deal owner (deals without owner: a row with id null), with the roll-up of everyone reporting to them.' },
    TEAM: { description: 'One row per team: the deals its members own (a member in two teams counts in both); owners in no team: a row with id null. ADMIN and MANAGER only.' },
    PIPELINE: { description: 'One row per pipeline. ADMIN and MANAGER only.' },
  },
});

/** The arguments of `forecast` and `forecastHistory` (the live dashboard subscribes with the same). */
@ArgsType()
export class ForecastArgs {
  @Field(() => PeriodScalar, { description: 'A fiscal year (2026), fiscal quarter (2026-Q3), month (2026-07), ISO week (2026-W05) or { from, to } dates, in the workspace time zone.' })
  period: PeriodValue;

  @Field(() => ForecastGrouping, { defaultValue: ForecastGrouping.OWNER })
  by: ForecastGrouping;
}

@ObjectType({
  description:
    'Forecast figures in the reporting currency, each the exact sum rounded half up to its minor units. Open deals count by their expected close date and convert at today’s rate, won and lost deals by their close date (workspace time zone) at that day’s rate; amounts without a rate are in `unconverted`, never in the sums.',
})
export class ForecastFigures {
  @Field(() => DecimalScalar, { description: 'Open deals in PIPELINE.' }) pipeline: string;
  @Field(() => DecimalScalar, { description: 'Open deals in BEST_CASE.' }) bestCase: string;
  @Field(() => DecimalScalar, { description: 'Open deals in COMMIT.' }) commit: string;
  @Field(() => DecimalScalar, { description: 'Won deals (CLOSED).' }) closed: string;
  @Field(() => DecimalScalar, { description: 'Lost deals and open deals in OMITTED.' }) omitted: string;
  @Field(() => DecimalScalar, { description: 'Weighted pipeline: Σ amount × stage probability / 100 over the open deals (every category).' }) weighted: string;
  @Field(() => Int, { description: 'Deals counted, converted or not.' }) deals: number;
  @Field(() => Int, { description: 'Deals whose amount no rate converts.' }) unconvertedCount: number;
  @Field(() => [CurrencyAmount], { description: 'Amounts no rate converts, per currency, by currency.' }) unconverted: CurrencyAmount[];
  @Field(() => DecimalScalar, { nullable: true, description: 'The quota for the period (a team: its members’ quotas summed); null: none set, or a grouping without quotas.' })
  quota: string | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'closed / quota, to 4 places (0.8523 = 85.23 %); null without a quota above 0.' })
  attainment: string | null;
}

@ObjectType({ description: 'The forecast of one owner, team or pipeline.' })
export class ForecastRow extends ForecastFigures {
  @Field(() => ID, { nullable: true, description: 'The owner (a User id), team or pipeline; null: deals without owner (OWNER) or whose owner is in no team (TEAM).' })
  id: string | null;

  @Field(() => String, { nullable: true }) name: string | null;

  @Field(() => ForecastFigures, {
    nullable: true,
    description: 'OWNER rows: the owner’s own figures plus those of every member reporting to them, directly or further down (setMemberManager); null for other groupings.',
  })
  rollup: ForecastFigures | null;
}

@ObjectType()
export class Forecast {
  @Field({ description: 'The period as parsed, e.g. `2026-Q3` or `2026-01-15..2026-02-14`.' }) period: string;
  @Field(() => LocalDateScalar, { description: 'Its first day.' }) startDate: string;
  @Field(() => LocalDateScalar, { description: 'Its last day.' }) endDate: string;
  @Field(() => ForecastGrouping) by: ForecastGrouping;
  @Field(() => CurrencyScalar, { description: 'The reporting currency.' }) currency: string;
  @Field(() => [ForecastRow], { description: 'The rows the caller may see, by name (null last).' }) rows: ForecastRow[];
  @Field(() => ForecastFigures, { description: 'Every deal of the rows shown, each once (a deal in two teams counts once).' }) total: ForecastFigures;
}

@ObjectType({ description: 'The forecast of the period as it stood in one week (the worker’s weekly snapshot).' })
export class ForecastSnapshot {
  @Field({ description: 'The ISO week, e.g. `2026-W05`.' }) week: string;
  @Field(() => LocalDateScalar, { description: 'Its Monday.' }) weekStart: string;
  @Field({ description: 'When the snapshot was taken (the last run of that week).' }) takenAt: Date;
  @Field(() => CurrencyScalar, { description: 'The reporting currency then.' }) currency: string;
  @Field(() => [ForecastRow], { description: 'Rows as `forecast` gives them; quotas are today’s.' }) rows: ForecastRow[];
  @Field(() => ForecastFigures) total: ForecastFigures;
}

@ObjectType()
export class ForecastHistory {
  @Field() period: string;
  @Field(() => ForecastGrouping) by: ForecastGrouping;
  @Field(() => [ForecastSnapshot], { description: 'Week by week, oldest first.' }) snapshots: ForecastSnapshot[];
  @Field(() => Forecast, { description: 'What actually closed: the period’s won deals alone, now, grouped the same way (its figures other than closed are 0).' })
  closed: Forecast;
}
