import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Account, accountService } from '../accounts';
import { Contact, contactService } from '../contacts';
import { Product, productService } from '../products';
import { Order, OrderLine, OrderStatus } from './order.entity';
import { CreateOrderInput, OrderInput, OrderListArgs } from './order.inputs';
import { orderService } from './order.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const OrderConnection = connectionType(Order, 'Order');

@Resolver(() => Order)
export class OrderResolver {
  @Authorized(Permission.READ)
  @Query(() => Order, { description: 'One order by id or by its id in another system (also when in the trash).' })
  order(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Order> {
    return lookupId(ctx, 'Order', id, externalRef).then((uuid) => orderService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => OrderConnection)
  orders(@Ctx() ctx: RequestContext, @Args() args: OrderListArgs) {
    return orderService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_ORDERS)
  @Mutation(() => Order, { description: 'Creates the order with its lines; the server computes the amounts and totals.' })
  createOrder(@Ctx() ctx: RequestContext, @Arg('input') input: CreateOrderInput): Promise<Order> {
    return orderService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_ORDERS)
  @Mutation(() => Order)
  updateOrder(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: OrderInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Order> {
    return orderService.update(ctx, decodeId('Order', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.WRITE_ORDERS)
  @Mutation(() => Order, { description: 'Moves the order along its lifecycle (see OrderStatus).' })
  changeOrderStatus(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('status', () => OrderStatus) status: OrderStatus,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Order> {
    return orderService.changeStatus(ctx, decodeId('Order', id, 'id'), status, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Order, { description: 'Moves the order to the trash.' })
  deleteOrder(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Order> {
    return orderService.delete(ctx, decodeId('Order', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Order, { description: 'Brings the order back from the trash.' })
  restoreOrder(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Order> {
    return orderService.restore(ctx, decodeId('Order', id, 'id'));
  }

  @FieldResolver(() => Account, { description: 'Also when in the trash.' })
  async account(@Ctx() ctx: RequestContext, @Root() order: Order): Promise<Account> {
    return (await accountService.load(ctx, order.accountId))!;
  }

  @FieldResolver(() => Contact, { nullable: true, description: 'Also when in the trash.' })
  contact(@Ctx() ctx: RequestContext, @Root() order: Order): Promise<Contact | null> {
    return contactService.load(ctx, order.contactId);
  }

  @FieldResolver(() => [OrderLine], { description: 'In line order.' })
  lines(@Ctx() ctx: RequestContext, @Root() order: Order): Promise<OrderLine[]> {
    return orderService.lines(ctx, order.id);
  }
}

@Resolver(() => OrderLine)
export class OrderLineResolver {
  @FieldResolver(() => Product, { description: 'Also when in the trash.' })
  async product(@Ctx() ctx: RequestContext, @Root() line: OrderLine): Promise<Product> {
    return (await productService.load(ctx, line.productId))!;
  }
}

/** `Account.orders`: lives here so the accounts module does not depend on orders. */
@Resolver(() => Account)
export class AccountOrdersResolver {
  @FieldResolver(() => OrderConnection, { description: 'Orders of the account; newest first by default.' })
  orders(@Ctx() ctx: RequestContext, @Root() account: Account, @Args() args: OrderListArgs) {
    return orderService.listForAccount(ctx, account.id, args);
  }
}
