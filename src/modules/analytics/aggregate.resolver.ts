import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import type { AggregateValue } from './aggregate.types';
import { DealAggregate, dealAggregate, DealAggregateArgs } from './deal-aggregate';
import {
  ActivityAggregate,
  activityAggregate,
  ActivityAggregateArgs,
  OrderAggregate,
  orderAggregate,
  OrderAggregateArgs,
  TicketAggregate,
  ticketAggregate,
  TicketAggregateArgs,
} from './record-aggregates';

const SEE = 'in the reporting currency where there is money (docs/analytics.md#aggregates).';

@Resolver()
export class AggregateResolver {
  @Authorized(Permission.READ_REPORTS)
  @Query(() => DealAggregate, { description: `Deals matching the list’s filter, grouped and measured, ${SEE}` })
  dealAggregate(@Ctx() ctx: RequestContext, @Args() args: DealAggregateArgs): Promise<AggregateValue> {
    return dealAggregate(ctx, args);
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => TicketAggregate, { description: `Tickets matching the list’s filter, grouped and measured, ${SEE}` })
  ticketAggregate(@Ctx() ctx: RequestContext, @Args() args: TicketAggregateArgs): Promise<AggregateValue> {
    return ticketAggregate(ctx, args);
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => ActivityAggregate, { description: `Activities matching the list’s filter, grouped and measured, ${SEE}` })
  activityAggregate(@Ctx() ctx: RequestContext, @Args() args: ActivityAggregateArgs): Promise<AggregateValue> {
    return activityAggregate(ctx, args);
  }

  @Authorized(Permission.READ_REPORTS)
  @Query(() => OrderAggregate, { description: `Orders matching the list’s filter, grouped and measured, ${SEE}` })
  orderAggregate(@Ctx() ctx: RequestContext, @Args() args: OrderAggregateArgs): Promise<AggregateValue> {
    return orderAggregate(ctx, args);
  }
}
