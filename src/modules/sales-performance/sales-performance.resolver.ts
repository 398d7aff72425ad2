import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeOptionalId } from '../../kernel/ids';
import { PeriodScalar, type PeriodValue } from '../../kernel/time/periods';
import { ActivityMetrics } from './activity-metrics.model';
import { activityMetricsService } from './activity-metrics.service';
import { DealFunnel, FunnelGrouping } from './funnel.model';
import { funnelService } from './funnel.service';
import { DealVelocity, VelocityGrouping } from './velocity.model';
import { velocityService } from './velocity.service';

/** The sales reports: funnel, velocity and activity metrics (docs/analytics.md). */
@Resolver()
export class SalesPerformanceResolver {
  @Authorized(Permission.READ_REPORTS)
  @Query(() => DealFunnel, {
    description: 'Per stage of a pipeline: deals that entered it, conversion to the next stage and from the first, time in stage; over the live deals created in `period`.',
  })
  dealFunnel(
    @Ctx() ctx: RequestContext,
    @Arg('pipelineId', () => ID, { nullable: true, description: 'Default: the default pipeline.' }) pipelineId?: string | null,
    @Arg('period', () => PeriodScalar, { nullable: true, description: 'When the deals were created; default: all deals.' }) period?: PeriodValue | null,
    @Arg('by', () => FunnelGrouping, { nullable: true }) by?: FunnelGrouping | null,
    @Arg('cohort', { defaultValue: false, description: 'Also split each group (and the total) by the month its deals were created.' }) cohort?: boolean,
  ): Promise<DealFunnel> {
    return funnelService.funnel(ctx, {
      pipelineId: decodeOptionalId('Pipeline', pipelineId, 'pipelineId') ?? null,
      period: period ?? null,
      by: by ?? null,
      cohort: cohort ?? false,
    });
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => DealVelocity, { description: 'Win rate, average deal size (reporting currency) and sales cycle length of the deals closed in `period`.' })
  dealVelocity(
    @Ctx() ctx: RequestContext,
    @Arg('period', () => PeriodScalar, { description: 'When the deals were closed (their local close date).' }) period: PeriodValue,
    @Arg('by', () => VelocityGrouping, { nullable: true }) by?: VelocityGrouping | null,
    @Arg('pipelineId', () => ID, { nullable: true, description: 'Only deals of this pipeline; default: every pipeline.' }) pipelineId?: string | null,
  ): Promise<DealVelocity> {
    return velocityService.velocity(ctx, { period, by: by ?? null, pipelineId: decodeOptionalId('Pipeline', pipelineId, 'pipelineId') ?? null });
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => ActivityMetrics, {
    description: 'Calls, meetings, emails, notes and completed tasks per member per ISO week of `period`, and overdue tasks; ADMIN, MANAGER and API keys see every member, others themselves and who reports to them.',
  })
  activityMetrics(
    @Ctx() ctx: RequestContext,
    @Arg('period', () => PeriodScalar, { description: 'Every ISO week overlapping it counts, whole.' }) period: PeriodValue,
  ): Promise<ActivityMetrics> {
    return activityMetricsService.diary(ctx, period);
  }
}
