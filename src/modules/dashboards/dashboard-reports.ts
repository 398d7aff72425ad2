import { dealAggregate, DealAggregate, DealAggregateArgs } from '../analytics';
import type { DashboardReport } from './dashboard-report';

/** A report of its own types, as the list holds it (the list calls each with its own arguments only). */
const report = <Args extends object, Result extends object>(definition: DashboardReport<Args, Result>) => definition as unknown as DashboardReport;

/**
 * The reports a live dashboard can show (`dashboardUpdated`'s arguments), each answered by its
 * module through its face, with the record types whose changes can move its figures.
 */
export const DASHBOARD_REPORTS: readonly DashboardReport[] = [
  report({
    field: 'dealAggregate',
    args: DealAggregateArgs,
    inputName: 'DealAggregateInput',
    result: DealAggregate,
    run: dealAggregate,
    // Deals, and what their groups show: stage probabilities and names, pipelines, accounts' industry and country, owners.
    recordTypes: ['Deal', 'Stage', 'Pipeline', 'Account', 'Member'],
  }),
];
