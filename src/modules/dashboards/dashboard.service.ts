import { GraphQLError } from 'graphql';
import { Permission } from '../../kernel/auth/roles';
import { RequestContext } from '../../kernel/context';
import { badField, badInput, unauthenticated } from '../../kernel/errors';
import { requireLiveSeat } from '../../kernel/live-seat';
import { RECORDS_COMMITTED, type RecordsCommittedMessage } from '../../kernel/events/records-committed';
import { debouncedPushes } from './debounced-pushes';
import type { DashboardFigures, DashboardReport } from './dashboard-report';
import { DASHBOARD_REPORTS } from './dashboard-reports';

/** At most one push per second per subscription. */
export const PUSH_INTERVAL_MS = 1000;

type Requested = Array<{ report: DashboardReport; args: object }>;

/** The reports a subscription asked for, with their arguments; at least one. */
function requested(args: Record<string, unknown>): Requested {
  const chosen = DASHBOARD_REPORTS.filter((report) => args[report.field]).map((report) => ({ report, args: args[report.field] as object }));
  if (chosen.length === 0) {
    throw badField(DASHBOARD_REPORTS[0].field, `name at least one report to show (${DASHBOARD_REPORTS.map((report) => report.field).join(', ')})`);
  }
  return chosen;
}

/** A report's bad input names the field under the report's argument (`dealAggregate.groupBy`). */
function underReport(field: string, error: unknown): unknown {
  if (!(error instanceof GraphQLError) || error.extensions.code !== 'BAD_USER_INPUT' || !Array.isArray(error.extensions.fields)) return error;
  return badInput((error.extensions.fields as Array<{ field: string; message: string }>).map((problem) => ({ ...problem, field: `${field}.${problem.field}` })));
}

/**
 * The figures now, as the subscriber may see them now: their seat (or API key) is read live,
 * so a member removed or without `reports:read` any more gets an error that ends the
 * subscription, and a member's reports run under their current role (a demoted manager sees
 * what the new role shows).
 */
async function figuresNow(ctx: RequestContext, reports: Requested): Promise<DashboardFigures> {
  await requireLiveSeat(ctx, Permission.READ_REPORTS);
  const live = ctx.actor ? await RequestContext.forLiveMember(ctx.runtime, ctx.workspaceId, ctx.actor.userId, ctx.requestId) : ctx;
  if (!live) throw unauthenticated('You are no longer a member of this workspace'); // removed since the check above
  try {
    live.clearLoaders();
    const figures: DashboardFigures = { computedAt: new Date() };
    for (const { report, args } of reports) {
      figures[report.field] = await report.run(live, args).catch((error: unknown) => Promise.reject(underReport(report.field, error)));
    }
    return figures;
  } finally {
    if (live !== ctx) await live.close();
  }
}

export const dashboardService = {
  /**
   * A live dashboard: the current figures at once, then new figures after each committed write
   * of records that can move them (RECORDS_COMMITTED, sent through Redis once the write
   * committed, so a write on any API process or in the worker reaches a subscriber on any
   * other), at most one push per PUSH_INTERVAL_MS. Only writes of the subscriber's workspace:
   * the channel is the workspace's.
   */
  async subscribe(ctx: RequestContext, args: Record<string, unknown>): Promise<AsyncIterableIterator<DashboardFigures>> {
    await ctx.authorize(Permission.READ_REPORTS);
    const reports = requested(args);
    const pubSub = ctx.runtime.pubSub!;
    const recordTypes = new Set(reports.flatMap(({ report }) => report.recordTypes));
    // Listening before the first figures are read: a change committed after that read is not missed.
    const changes = pubSub.subscribe(RECORDS_COMMITTED, ctx.workspaceId)[Symbol.asyncIterator]();
    try {
      await pubSub.subscribed(RECORDS_COMMITTED, ctx.workspaceId);
      return debouncedPushes({
        first: await figuresNow(ctx, reports),
        changes,
        affects: (change) => recordTypes.has((change as RecordsCommittedMessage).recordType),
        compute: () => figuresNow(ctx, reports),
        intervalMs: PUSH_INTERVAL_MS,
      });
    } catch (error) {
      await changes.return?.();
      throw error;
    }
  },
};
