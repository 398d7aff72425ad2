import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { DecimalScalar } from '../../kernel/scalars';
import { PeriodScalar, type PeriodValue } from '../../kernel/time/periods';
import { Membership, membersService } from '../identity';
import { forecastService } from './forecast.service';
import { Forecast, ForecastArgs, ForecastHistory } from './forecast.types';
import { Quota } from './quota.entity';
import { quotaService } from './quota.service';

@Resolver()
export class ForecastResolver {
  @Authorized(Permission.READ_REPORTS)
  @Query(() => Forecast, {
    description:
      'The forecast of a period by owner, team or pipeline: amount per forecast category, weighted pipeline, quota and attainment, in the reporting currency (docs/analytics.md, "Forecast"). Owners other than ADMIN and MANAGER see their own row and their reports’.',
  })
  forecast(@Ctx() ctx: RequestContext, @Args() args: ForecastArgs): Promise<Forecast> {
    return forecastService.forecast(ctx, args);
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => ForecastHistory, { description: 'How the forecast of a period moved, week by week (the weekly snapshots), and what actually closed in it.' })
  forecastHistory(@Ctx() ctx: RequestContext, @Args() args: ForecastArgs): Promise<ForecastHistory> {
    return forecastService.history(ctx, args);
  }
}

@Resolver(() => Quota)
export class QuotaResolver {
  @Authorized(Permission.READ_REPORTS)
  @Query(() => [Quota], { description: 'The quotas set for a fiscal year, quarter or month that the caller may see (as the forecast’s rows).' })
  quotas(@Ctx() ctx: RequestContext, @Arg('period', () => PeriodScalar) period: PeriodValue): Promise<Quota[]> {
    return quotaService.list(ctx, period);
  }

  @Authorized(Permission.MANAGE_QUOTAS)
  @Mutation(() => Quota, { description: 'Sets what a member should close in a fiscal year, quarter or month, in the reporting currency; replaces the quota set before.' })
  setQuota(
    @Ctx() ctx: RequestContext,
    @Arg('memberId', () => ID) memberId: string,
    @Arg('period', () => PeriodScalar) period: PeriodValue,
    @Arg('amount', () => DecimalScalar) amount: string,
  ): Promise<Quota> {
    return quotaService.set(ctx, decodeId('Member', memberId, 'memberId'), period, amount);
  }

  @Authorized(Permission.MANAGE_QUOTAS)
  @Mutation(() => Quota, { description: 'Removes a member’s quota for the period and returns it; NOT_FOUND when none is set.' })
  deleteQuota(
    @Ctx() ctx: RequestContext,
    @Arg('memberId', () => ID) memberId: string,
    @Arg('period', () => PeriodScalar) period: PeriodValue,
  ): Promise<Quota> {
    return quotaService.delete(ctx, decodeId('Member', memberId, 'memberId'), period);
  }

  @FieldResolver(() => Membership, { nullable: true, description: 'null once the member has left the workspace.' })
  member(@Ctx() ctx: RequestContext, @Root() quota: Quota): Promise<Membership | null> {
    return membersService.membershipOf(ctx, quota.userId);
  }
}
