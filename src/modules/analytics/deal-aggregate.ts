import { ArgsType, registerEnumType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import { periodLabelSql, localDateSql } from '../../kernel/time/periods';
import { accountField } from '../accounts';
import { DealFilter, DealStatus, dealService } from '../deals';
import { runAggregate, type FactSource } from './aggregate-core';
import type { AggregateSpec } from './aggregate-spec';
import { aggregateArgs, aggregateTypes } from './aggregate.types';
import { enumKey, PIPELINE_KEY, STAGE_KEY, TAG_KEY, TEAM_KEY, USER_KEY } from './key-labels';
import { dealTotalsSource, totalsTableFor } from './deal-totals';

export enum DealDimension {
  STAGE = 'STAGE',
  PIPELINE = 'PIPELINE',
  OWNER = 'OWNER',
  TEAM = 'TEAM',
  STATUS = 'STATUS',
  FORECAST_CATEGORY = 'FORECAST_CATEGORY',
  CLOSE_MONTH = 'CLOSE_MONTH',
  CLOSE_QUARTER = 'CLOSE_QUARTER',
  CLOSE_YEAR = 'CLOSE_YEAR',
  ACCOUNT_INDUSTRY = 'ACCOUNT_INDUSTRY',
  ACCOUNT_COUNTRY = 'ACCOUNT_COUNTRY',
  SOURCE = 'SOURCE',
  TAG = 'TAG',
}
registerEnumType(DealDimension, {
  name: 'DealDimension',
  description: 'What deals are grouped by; see docs/analytics.md#aggregates.',
  valuesConfig: {
    TEAM: { description: 'The teams of the deal’s owner: a deal counts once in each (the total counts it once).' },
    CLOSE_MONTH: { description: 'Month of the close date: a closed deal’s closedAt as a local date in the workspace’s time zone, an open deal’s expectedCloseDate.' },
    CLOSE_QUARTER: { description: 'Fiscal quarter of the close date ("2026-Q3"), from the workspace’s fiscal year start month.' },
    CLOSE_YEAR: { description: 'Fiscal year of the close date, named by the calendar year it starts in.' },
    TAG: { description: 'One group per tag: a deal counts once in each of its tags (the total counts it once).' },
  },
});

export enum DealMeasure {
  COUNT = 'COUNT',
  SUM_AMOUNT = 'SUM_AMOUNT',
  AVG_AMOUNT = 'AVG_AMOUNT',
  MIN_AMOUNT = 'MIN_AMOUNT',
  MAX_AMOUNT = 'MAX_AMOUNT',
  WEIGHTED_AMOUNT = 'WEIGHTED_AMOUNT',
  AVG_AGE_DAYS = 'AVG_AGE_DAYS',
}
registerEnumType(DealMeasure, { name: 'DealMeasure', description: 'What is computed per group; see docs/analytics.md#aggregates.' });

const FORECAST_CATEGORIES = { PIPELINE: 'PIPELINE', BEST_CASE: 'BEST_CASE', COMMIT: 'COMMIT', CLOSED: 'CLOSED', OMITTED: 'OMITTED' };

@ArgsType()
export class DealAggregateArgs extends aggregateArgs<DealFilter, DealDimension, DealMeasure>(DealFilter, DealDimension, DealMeasure, 'deals') {}

/** A deal's close date (an SQL date over `r`): filled by the source, the deal's own columns or its totals row's month. */
export const CLOSE_DATE = 'cd.close_date';
const closeKey = (unit: 'MONTH' | 'QUARTER' | 'YEAR') => ({ sql: periodLabelSql(CLOSE_DATE, unit, 'w.fs') });

export const DEAL_SPEC: AggregateSpec<DealDimension, DealMeasure> = {
  object: 'deal',
  table: 'deals',
  filter: dealService.records.model.filter,
  joins: `JOIN stages s ON s.id = r.stage_id
    CROSS JOIN LATERAL (SELECT CASE WHEN r.status = 'OPEN' THEN r.expected_close_date ELSE ${localDateSql('r.closed_at', 'w.tz')} END AS close_date) cd`,
  dimensions: {
    STAGE: STAGE_KEY('r.stage_id'),
    PIPELINE: PIPELINE_KEY('r.pipeline_id'),
    OWNER: USER_KEY('r.owner_id'),
    TEAM: TEAM_KEY('r.owner_id'),
    STATUS: enumKey('r.status', DealStatus),
    FORECAST_CATEGORY: enumKey('crm_forecast_category(r.status, r.forecast_category, s.forecast_category)', FORECAST_CATEGORIES),
    CLOSE_MONTH: closeKey('MONTH'),
    CLOSE_QUARTER: closeKey('QUARTER'),
    CLOSE_YEAR: closeKey('YEAR'),
    ACCOUNT_INDUSTRY: { sql: accountField('industry').expression!('r.account_id') },
    ACCOUNT_COUNTRY: { sql: accountField('country').expression!('r.account_id') },
    SOURCE: { sql: 'r.source' },
    TAG: TAG_KEY,
  },
  measures: {
    COUNT: { kind: 'count' },
    SUM_AMOUNT: { kind: 'sum' },
    AVG_AMOUNT: { kind: 'avg' },
    MIN_AMOUNT: { kind: 'min' },
    MAX_AMOUNT: { kind: 'max' },
    WEIGHTED_AMOUNT: { kind: 'weighted' },
    AVG_AGE_DAYS: { kind: 'average', sql: `extract(epoch FROM coalesce(r.closed_at, now()) - r.created_at) / 86400`, digits: 2 },
  },
  money: {
    amount: 'r.amount',
    currency: 'r.currency',
    date: `CASE WHEN r.status = 'OPEN' THEN w.today ELSE ${CLOSE_DATE} END`,
    weightPercent: 's.probability',
  },
};

const FIELDS: Record<DealMeasure, string> = {
  COUNT: 'count',
  SUM_AMOUNT: 'sumAmount',
  AVG_AMOUNT: 'avgAmount',
  MIN_AMOUNT: 'minAmount',
  MAX_AMOUNT: 'maxAmount',
  WEIGHTED_AMOUNT: 'weightedAmount',
  AVG_AGE_DAYS: 'avgAgeDays',
};

export const { Result: DealAggregate } = aggregateTypes('Deal', [
  { field: 'count', kind: 'count', description: 'Deals.' },
  { field: 'sumAmount', kind: 'decimal', description: 'Sum of the converted amounts.' },
  { field: 'avgAmount', kind: 'decimal', description: 'SUM_AMOUNT / the deals converted.' },
  { field: 'minAmount', kind: 'decimal', description: 'Smallest converted amount.' },
  { field: 'maxAmount', kind: 'decimal', description: 'Largest converted amount.' },
  { field: 'weightedAmount', kind: 'decimal', description: 'Sum of converted amount × stage probability / 100.' },
  { field: 'avgAgeDays', kind: 'decimal', description: 'Average days from creation to closedAt (closed deals) or now (open deals).' },
]);

/**
 * The deal aggregate. The planner: a request whose filter, groupBy and measures the maintained
 * totals can answer reads them (deal-totals.ts); any other scans the deals. Both give the same
 * figures.
 */
export function dealAggregate(ctx: RequestContext, args: DealAggregateArgs) {
  const table = totalsTableFor(args);
  const source: FactSource | undefined = table ? dealTotalsSource(DEAL_SPEC, table) : undefined;
  return runAggregate(ctx, DEAL_SPEC, FIELDS, args, source);
}
