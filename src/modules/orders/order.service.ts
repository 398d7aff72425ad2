import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { badField, notFound } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { ListArgs } from '../../kernel/records/list-args';
import { createOne, type Alongside, type Creation } from '../../kernel/records/record-store';
import { normalizeTags } from '../../kernel/records/tags';
import { recordPort } from '../../kernel/records/record-port';
import { accountService } from '../accounts';
import { contactService } from '../contacts';
import { localDate } from '../../kernel/time/local-date';
import { membersService } from '../identity';
import { insertLines, linesOf, priceLines, replaceLines, type PricedLine } from './order-lines';
import { EDITABLE_STATUSES, statusChange } from './order-status';
import { OrderStatus, type Order } from './order.entity';
import type { CreateOrderInput, OrderFilter, OrderInput, OrderOrderField } from './order.inputs';
import { orders } from './order.model';

export { orders };

/** Input → order columns (lines and status apart): references decoded and checked to be live, text trimmed. */
export async function orderColumns(ctx: RequestContext, input: OrderInput): Promise<QueryDeepPartialEntity<Order>> {
  const { accountId, contactId, lines: _lines, ...fields } = input;
  const [account, contact] = await Promise.all([
    accountService.records.reference(ctx, accountId, 'accountId'),
    contactService.records.reference(ctx, contactId, 'contactId'),
  ]);
  return { ...fields, number: fields.number?.trim(), tags: normalizeTags(fields.tags), accountId: account ?? undefined, contactId: contact };
}

/** Locks a live order for the rest of the write and returns it as it is now, or NOT_FOUND. */
async function lockLive(ctx: RequestContext, em: EntityManager, id: string): Promise<Order> {
  await em.query(`SELECT 1 FROM orders WHERE workspace_id = $1 AND id = $2 FOR UPDATE`, [ctx.workspaceId, id]);
  ctx.clearLoaders();
  const order = await orders.require(ctx, id);
  if (order.deletedAt) throw notFound('Order');
  return order;
}

/** A new order: its row with totals, and its priced lines. */
export interface NewOrder {
  values: QueryDeepPartialEntity<Order>;
  lines: PricedLine[];
}

/** Orders created one or many at a time (see Creation): the rows, then all their lines, then the events that show them. */
export const orderCreation: Creation<NewOrder, Order> = {
  async prepare(ctx: RequestContext, _em: EntityManager, input: CreateOrderInput): Promise<NewOrder> {
    const { status, ...fields } = input;
    const [values, workspace] = await Promise.all([orderColumns(ctx, fields), membersService.currentWorkspace(ctx)]);
    const currency = input.currency ?? workspace.defaultCurrency;
    const priced = await priceLines(ctx, input.lines ?? [], currency, new Set());
    // An order taken over with its createdAt (an upsert with history:write) was placed on that day.
    const placedAt = (input as { createdAt?: Date | null }).createdAt ?? new Date();
    const orderDate = input.orderDate ?? localDate(placedAt, workspace.timeZone);
    return { values: { ...values, currency, orderDate, status: status ?? OrderStatus.DRAFT, ...priced.totals }, lines: priced.lines };
  },

  insert: (ctx, em, prepared, alongside) =>
    orders.insertMany(
      ctx,
      em,
      prepared.map((order) => order.values),
      async (created) => {
        await insertLines(ctx, em, created.flatMap((order, i) => prepared[i].lines.map((line) => ({ ...line, orderId: order.id }))));
        await alongside?.(created);
      },
    ),
};

export const orderService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(orders),

  load: (ctx: RequestContext, id: string | null | undefined) => orders.load(ctx, id),

  get: (ctx: RequestContext, id: string) => orders.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<OrderFilter, OrderOrderField>): Promise<Connection<Order>> => orders.list(ctx, args),

  /** An account's orders, one windowed query for every account on the page. */
  listForAccount: (ctx: RequestContext, accountId: string, args: ListArgs<OrderFilter, OrderOrderField>): Promise<Connection<Order>> =>
    orders.listForParent(ctx, { column: 'account_id', parentId: accountId }, args),

  lines: linesOf,

  /**
   * Creates the order with its lines and totals in one transaction; its created event carries
   * both. Joins the caller's write when there is one (an upsert or a bulk call).
   */
  create: (ctx: RequestContext, input: CreateOrderInput, alongside?: Alongside<Order>): Promise<Order> => createOne(ctx, orderCreation, input, alongside),

  /**
   * Changes fields; `lines` replaces all lines and recomputes the totals, in the same
   * transaction as the order's row and its event. Lines and currency change only while DRAFT or
   * CONFIRMED; a new currency on an order with lines comes with lines priced in it.
   */
  async update(ctx: RequestContext, id: string, input: OrderInput, expectedVersion?: number | null, alongside?: Alongside<Order>): Promise<Order> {
    const patch = await orderColumns(ctx, input);
    return ctx.db.write(async (em) => {
      const current = await lockLive(ctx, em, id);
      const currency = input.currency ?? current.currency;
      if (input.lines === undefined && currency === current.currency) return orders.update(ctx, em, id, patch, expectedVersion, alongside);
      const field = input.lines ? 'input.lines' : 'currency';
      if (!EDITABLE_STATUSES.includes(current.status)) throw badField(field, `cannot change once the order is ${current.status}`);
      const existing = await linesOf(ctx, id);
      if (!input.lines && existing.length) throw badField('currency', 'a new currency needs `lines` priced in it, sent with it');
      const priced = await priceLines(ctx, input.lines ?? [], currency, new Set(existing.map((line) => line.productId)));
      return orders.update(ctx, em, id, { ...patch, ...priced.totals }, expectedVersion, () =>
        replaceLines(ctx, em, id, priced.lines).then(() => alongside?.(current)),
      );
    });
  },

  /** Moves the order along its lifecycle (see order-status.ts); an updated event records it. */
  changeStatus(ctx: RequestContext, id: string, status: OrderStatus, expectedVersion?: number | null): Promise<Order> {
    return ctx.db.write(async (em) => {
      const current = await lockLive(ctx, em, id);
      return orders.update(ctx, em, id, statusChange(current.status, status), expectedVersion);
    });
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<Order> =>
    ctx.db.write((em) => orders.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string): Promise<Order> => ctx.db.write((em) => orders.restore(ctx, em, id)),
};

registerNodeType('Order', orderService.load);
