import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import type { AggregateValue } from './aggregate.types';
import { DealAggregate, dealAggregate, DealAggregateArgs } from './deal-aggregate';

@Resolver()
export class AggregateResolver {
  @Authorized(Permission.READ_REPORTS)
  @Query(() => DealAggregate, { description: 'Deals matching the list’s filter, grouped and measured in the reporting currency (docs/analytics.md#aggregates).' })
  dealAggregate(@Ctx() ctx: RequestContext, @Args() args: DealAggregateArgs): Promise<AggregateValue> {
    return dealAggregate(ctx, args);
  }
}
