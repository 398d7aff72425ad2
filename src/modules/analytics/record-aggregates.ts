import { ArgsType, registerEnumType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import { localDateSql, periodLabelSql, type PeriodUnit } from '../../kernel/time/periods';
import { ActivityFilter, activityService, ActivityType } from '../activities';
import { OrderFilter, orderService, OrderStatus } from '../orders';
import { TicketCategory, TicketFilter, TicketPriority, ticketService, TicketStatus } from '../tickets';
import { runAggregate } from './aggregate-core';
import type { AggregateSpec } from './aggregate-spec';
import { aggregateArgs, aggregateTypes } from './aggregate.types';
import { ACCOUNT_KEY, enumKey, TAG_KEY, USER_KEY } from './key-labels';

/**
 * Ticket, activity and order aggregates: the same core and result shape as the deal aggregate,
 * each with its list's filter, computed by GROUP BY over the records (no maintained totals).
 */

/** The period of `unit` holding a timestamp, as a local date in the workspace's time zone. */
const periodOfTime = (timestampSql: string, unit: PeriodUnit) => ({ sql: periodLabelSql(localDateSql(timestampSql, 'w.tz'), unit, 'w.fs') });
const hoursBetween = (from: string, to: string) => `extract(epoch FROM ${to} - ${from}) / 3600`;

export enum TicketDimension {
  STATUS = 'STATUS',
  PRIORITY = 'PRIORITY',
  CATEGORY = 'CATEGORY',
  ASSIGNEE = 'ASSIGNEE',
  ACCOUNT = 'ACCOUNT',
  TAG = 'TAG',
  CREATED_WEEK = 'CREATED_WEEK',
  CREATED_MONTH = 'CREATED_MONTH',
  CREATED_QUARTER = 'CREATED_QUARTER',
}
registerEnumType(TicketDimension, { name: 'TicketDimension', description: 'What tickets are grouped by; created periods in the workspace’s time zone, quarters fiscal.' });

export enum TicketMeasure {
  COUNT = 'COUNT',
  AVG_FIRST_RESPONSE_HOURS = 'AVG_FIRST_RESPONSE_HOURS',
  AVG_RESOLUTION_HOURS = 'AVG_RESOLUTION_HOURS',
}
registerEnumType(TicketMeasure, { name: 'TicketMeasure', description: 'Averages over the tickets that have the time (responded, resolved); wall-clock hours from creation.' });

const TICKET_SPEC: AggregateSpec<TicketDimension, TicketMeasure> = {
  object: 'ticket',
  table: 'tickets',
  filter: ticketService.records.model.filter,
  dimensions: {
    STATUS: enumKey('r.status', TicketStatus),
    PRIORITY: { sql: 'r.priority', order: [TicketPriority.URGENT, TicketPriority.HIGH, TicketPriority.NORMAL, TicketPriority.LOW] },
    CATEGORY: enumKey('r.category', TicketCategory),
    ASSIGNEE: USER_KEY('r.assignee_id'),
    ACCOUNT: ACCOUNT_KEY('r.account_id'),
    TAG: TAG_KEY,
    CREATED_WEEK: periodOfTime('r.created_at', 'WEEK'),
    CREATED_MONTH: periodOfTime('r.created_at', 'MONTH'),
    CREATED_QUARTER: periodOfTime('r.created_at', 'QUARTER'),
  },
  measures: {
    COUNT: { kind: 'count' },
    AVG_FIRST_RESPONSE_HOURS: { kind: 'average', sql: hoursBetween('r.created_at', 'r.first_response_at'), digits: 2 },
    AVG_RESOLUTION_HOURS: { kind: 'average', sql: hoursBetween('r.created_at', 'r.resolved_at'), digits: 2 },
  },
};

export enum ActivityDimension {
  TYPE = 'TYPE',
  OWNER = 'OWNER',
  DONE = 'DONE',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(ActivityDimension, {
  name: 'ActivityDimension',
  description: 'What activities are grouped by. WEEK and MONTH: of the activity’s time (occurredAt, else completedAt, else dueAt, else createdAt) in the workspace’s time zone; DONE: "true" for completed tasks.',
});

export enum ActivityMeasure {
  COUNT = 'COUNT',
  AVG_DURATION_MINUTES = 'AVG_DURATION_MINUTES',
}
registerEnumType(ActivityMeasure, { name: 'ActivityMeasure' });

const ACTIVITY_TIME = 'COALESCE(r.occurred_at, r.completed_at, r.due_at, r.created_at)';

const ACTIVITY_SPEC: AggregateSpec<ActivityDimension, ActivityMeasure> = {
  object: 'activity',
  table: 'activities',
  filter: activityService.records.model.filter,
  dimensions: {
    TYPE: enumKey('r.type', ActivityType),
    OWNER: USER_KEY('r.owner_id'),
    DONE: { sql: `(r.completed_at IS NOT NULL)`, order: ['false', 'true'] },
    WEEK: periodOfTime(ACTIVITY_TIME, 'WEEK'),
    MONTH: periodOfTime(ACTIVITY_TIME, 'MONTH'),
  },
  measures: {
    COUNT: { kind: 'count' },
    AVG_DURATION_MINUTES: { kind: 'average', sql: 'r.duration_minutes', digits: 2 },
  },
};

export enum OrderDimension {
  STATUS = 'STATUS',
  ACCOUNT = 'ACCOUNT',
  MONTH = 'MONTH',
  QUARTER = 'QUARTER',
  YEAR = 'YEAR',
  TAG = 'TAG',
}
registerEnumType(OrderDimension, { name: 'OrderDimension', description: 'What orders are grouped by; periods of the order date, quarters and years fiscal.' });

export enum OrderMeasure {
  COUNT = 'COUNT',
  SUM_TOTAL = 'SUM_TOTAL',
  AVG_TOTAL = 'AVG_TOTAL',
  MIN_TOTAL = 'MIN_TOTAL',
  MAX_TOTAL = 'MAX_TOTAL',
}
registerEnumType(OrderMeasure, { name: 'OrderMeasure', description: 'Totals converted into the reporting currency at the rate valid on the order date.' });

const orderPeriod = (unit: PeriodUnit) => ({ sql: periodLabelSql('r.order_date', unit, 'w.fs') });

const ORDER_SPEC: AggregateSpec<OrderDimension, OrderMeasure> = {
  object: 'order',
  table: 'orders',
  filter: orderService.records.model.filter,
  dimensions: {
    STATUS: enumKey('r.status', OrderStatus),
    ACCOUNT: ACCOUNT_KEY('r.account_id'),
    MONTH: orderPeriod('MONTH'),
    QUARTER: orderPeriod('QUARTER'),
    YEAR: orderPeriod('YEAR'),
    TAG: TAG_KEY,
  },
  measures: { COUNT: { kind: 'count' }, SUM_TOTAL: { kind: 'sum' }, AVG_TOTAL: { kind: 'avg' }, MIN_TOTAL: { kind: 'min' }, MAX_TOTAL: { kind: 'max' } },
  money: { amount: 'r.total', currency: 'r.currency', date: 'r.order_date' },
};

@ArgsType()
export class TicketAggregateArgs extends aggregateArgs<TicketFilter, TicketDimension, TicketMeasure>(TicketFilter, TicketDimension, TicketMeasure, 'tickets') {}

@ArgsType()
export class ActivityAggregateArgs extends aggregateArgs<ActivityFilter, ActivityDimension, ActivityMeasure>(ActivityFilter, ActivityDimension, ActivityMeasure, 'activities') {}

@ArgsType()
export class OrderAggregateArgs extends aggregateArgs<OrderFilter, OrderDimension, OrderMeasure>(OrderFilter, OrderDimension, OrderMeasure, 'orders') {}

export const { Result: TicketAggregate } = aggregateTypes('Ticket', [
  { field: 'count', kind: 'count', description: 'Tickets.' },
  { field: 'avgFirstResponseHours', kind: 'decimal', description: 'Average hours from creation to first response, over the tickets responded to.' },
  { field: 'avgResolutionHours', kind: 'decimal', description: 'Average hours from creation to resolution, over the tickets resolved.' },
]);
export const { Result: ActivityAggregate } = aggregateTypes('Activity', [
  { field: 'count', kind: 'count', description: 'Activities.' },
  { field: 'avgDurationMinutes', kind: 'decimal', description: 'Average duration, over the activities that have one.' },
]);
export const { Result: OrderAggregate } = aggregateTypes('Order', [
  { field: 'count', kind: 'count', description: 'Orders.' },
  { field: 'sumTotal', kind: 'decimal', description: 'Sum of the converted totals.' },
  { field: 'avgTotal', kind: 'decimal', description: 'SUM_TOTAL / the orders converted.' },
  { field: 'minTotal', kind: 'decimal', description: 'Smallest converted total.' },
  { field: 'maxTotal', kind: 'decimal', description: 'Largest converted total.' },
]);

export const ticketAggregate = (ctx: RequestContext, args: TicketAggregateArgs) =>
  runAggregate(ctx, TICKET_SPEC, { COUNT: 'count', AVG_FIRST_RESPONSE_HOURS: 'avgFirstResponseHours', AVG_RESOLUTION_HOURS: 'avgResolutionHours' }, args);
export const activityAggregate = (ctx: RequestContext, args: ActivityAggregateArgs) =>
  runAggregate(ctx, ACTIVITY_SPEC, { COUNT: 'count', AVG_DURATION_MINUTES: 'avgDurationMinutes' }, args);
export const orderAggregate = (ctx: RequestContext, args: OrderAggregateArgs) =>
  runAggregate(ctx, ORDER_SPEC, { COUNT: 'count', SUM_TOTAL: 'sumTotal', AVG_TOTAL: 'avgTotal', MIN_TOTAL: 'minTotal', MAX_TOTAL: 'maxTotal' }, args);
