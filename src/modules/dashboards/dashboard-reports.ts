import { decodeOptionalId } from '../../kernel/ids';
import {
  activityAggregate,
  ActivityAggregate,
  ActivityAggregateArgs,
  dealAggregate,
  DealAggregate,
  DealAggregateArgs,
  orderAggregate,
  OrderAggregate,
  OrderAggregateArgs,
  ticketAggregate,
  TicketAggregate,
  TicketAggregateArgs,
} from '../analytics';
import { Forecast, ForecastArgs, forecastService } from '../forecast';
import { DealFunnel, DealVelocity, funnelService, velocityService } from '../sales-performance';
import type { DashboardReport } from './dashboard-report';
import { DealFunnelArgs, DealVelocityArgs } from './sales-report-args';

/** A report of its own types, as the list holds it (the list calls each with its own arguments only). */
const report = <Args extends object, Result extends object>(definition: DashboardReport<Args, Result>) => definition as unknown as DashboardReport;

/** What every money report follows besides its records: rates, and the workspace's time zone and fiscal year. */
const SETTINGS = ['ExchangeRate', 'Workspace'];

/**
 * The reports a live dashboard can show (`dashboardUpdated`'s arguments), each answered by its
 * module through its face, with the record types (and settings, see announceOnCommit) whose
 * committed changes can move its figures.
 */
export const DASHBOARD_REPORTS: readonly DashboardReport[] = [
  report({
    field: 'dealAggregate',
    args: DealAggregateArgs,
    inputName: 'DealAggregateInput',
    result: DealAggregate,
    run: dealAggregate,
    // Deals, and what their groups show: stage probabilities and names, pipelines, accounts' industry and country, owners.
    recordTypes: ['Deal', 'Stage', 'Pipeline', 'Account', 'Member', ...SETTINGS],
  }),
  report({
    field: 'forecast',
    args: ForecastArgs,
    inputName: 'ForecastInput',
    result: Forecast,
    run: (ctx, args) => forecastService.forecast(ctx, args),
    recordTypes: ['Deal', 'Stage', 'Pipeline', 'Member', 'Quota', ...SETTINGS],
  }),
  report({
    field: 'dealFunnel',
    args: DealFunnelArgs,
    inputName: 'DealFunnelInput',
    result: DealFunnel,
    run: (ctx, args) =>
      funnelService.funnel(ctx, { pipelineId: decodeOptionalId('Pipeline', args.pipelineId, 'pipelineId') ?? null, period: args.period ?? null, by: args.by ?? null, cohort: args.cohort }),
    recordTypes: ['Deal', 'Stage', 'Pipeline', 'Member', 'Workspace'],
  }),
  report({
    field: 'dealVelocity',
    args: DealVelocityArgs,
    inputName: 'DealVelocityInput',
    result: DealVelocity,
    run: (ctx, args) => velocityService.velocity(ctx, { period: args.period, by: args.by ?? null, pipelineId: decodeOptionalId('Pipeline', args.pipelineId, 'pipelineId') ?? null }),
    recordTypes: ['Deal', 'Stage', 'Pipeline', 'Member', ...SETTINGS],
  }),
  // The other records' aggregates: their own records, the accounts and members their keys name.
  report({
    field: 'ticketAggregate',
    args: TicketAggregateArgs,
    inputName: 'TicketAggregateInput',
    result: TicketAggregate,
    run: ticketAggregate,
    recordTypes: ['Ticket', 'Account', 'Member', 'Workspace'],
  }),
  report({
    field: 'activityAggregate',
    args: ActivityAggregateArgs,
    inputName: 'ActivityAggregateInput',
    result: ActivityAggregate,
    run: activityAggregate,
    recordTypes: ['Activity', 'Account', 'Member', 'Workspace'],
  }),
  report({
    field: 'orderAggregate',
    args: OrderAggregateArgs,
    inputName: 'OrderAggregateInput',
    result: OrderAggregate,
    run: orderAggregate,
    recordTypes: ['Order', 'Product', 'Account', 'Member', ...SETTINGS],
  }),
];
