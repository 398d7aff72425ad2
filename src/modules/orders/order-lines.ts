import DataLoader from 'dataloader';
import { In, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badInput, type FieldProblem } from '../../kernel/errors';
import { parseId } from '../../kernel/ids';
import { SnapshotSql, type SnapshotDetail } from '../../kernel/events/snapshot-sql';
import { decimal, subtract } from '../../kernel/decimal';
import { productService } from '../products';
import { OrderLine } from './order.entity';
import type { OrderLineInput } from './order.inputs';
import { lineAmounts, orderTotals, tooLarge, type LineAmounts, type OrderTotals } from './order-totals';

/** A line checked and computed, ready to store. */
export type PricedLine = Omit<OrderLine, 'workspaceId' | 'orderId'>;

const readLines = (ctx: RequestContext, em: EntityManager, orderIds: string[]): Promise<OrderLine[]> =>
  em.getRepository(OrderLine).find({
    where: { workspaceId: ctx.workspaceId, orderId: In(orderIds) },
    order: { orderId: 'ASC', position: 'ASC' },
  });

/** The lines of many orders in one query, in line order (`Order.lines`). */
export function linesOf(ctx: RequestContext, orderId: string): Promise<OrderLine[]> {
  const loader = ctx.loader('OrderLine:byOrder', () =>
    new DataLoader<string, OrderLine[]>(async (orderIds) => {
      const rows = await ctx.db.read((em) => readLines(ctx, em, [...orderIds]));
      return orderIds.map((id) => rows.filter((row) => row.orderId === id));
    }),
  );
  return loader.load(orderId);
}

let lineSnapshot: SnapshotSql | undefined;

/** An order's `lines` in its events: every column but the order's, product ids public, in line order. */
export const linesDetail: SnapshotDetail = {
  property: 'lines',
  sql(dataSource, alias) {
    lineSnapshot ??= new SnapshotSql(dataSource, OrderLine, { omit: ['orderId'], references: { productId: 'Product' } });
    return (
      `(SELECT coalesce(jsonb_agg(${lineSnapshot.of('l')} ORDER BY l.position), '[]'::jsonb) FROM order_lines l ` +
      `WHERE l.workspace_id = "${alias}".workspace_id AND l.order_id = "${alias}".id)`
    );
  },
};

const isPositive = (value: string) => decimal(value).units > 0n;
const isNegative = (value: string) => decimal(value).units < 0n;

/**
 * Checks the input lines against the catalogue and computes their amounts, exactly. Every
 * problem is collected and named by its path (`input.lines[2].productId`): a product that is not
 * a live one of this workspace (a foreign id answers like a missing one), one priced in another
 * currency, an inactive one not already on the order, a quantity not above 0, a negative unit
 * price, a discount outside 0–100, an amount beyond 15 integer digits.
 */
export async function priceLines(
  ctx: RequestContext,
  inputs: OrderLineInput[],
  currency: string,
  productsOnOrder: ReadonlySet<string>,
): Promise<{ lines: PricedLine[]; totals: OrderTotals }> {
  const problems: FieldProblem[] = [];
  const ids = inputs.map((line) => parseId(line.productId));
  const found = await Promise.all(ids.map((id) => (id?.type === 'Product' ? productService.load(ctx, id.uuid) : null)));
  const lines = inputs.map((input, position): PricedLine | null => {
    const path = `input.lines[${position}]`;
    const problem = (field: string, message: string) => problems.push({ field: `${path}.${field}`, message });
    const product = found[position];
    if (!ids[position] || ids[position]!.type !== 'Product') problem('productId', 'must be a Product id');
    else if (!product || product.deletedAt) problem('productId', 'no Product with this id');
    else if (product.currency !== currency) problem('productId', `the product is priced in ${product.currency}, the order in ${currency}`);
    else if (!product.active && !productsOnOrder.has(product.id)) problem('productId', 'the product is not active');
    if (!isPositive(input.quantity)) problem('quantity', 'must be more than 0');
    if (input.unitPrice != null && isNegative(input.unitPrice)) problem('unitPrice', 'must not be negative');
    const discountPercent = input.discountPercent ?? '0';
    if (isNegative(discountPercent) || subtract(decimal('100'), decimal(discountPercent)).units < 0n) {
      problem('discountPercent', 'must be between 0 and 100');
    }
    if (!product || problems.some((p) => p.field.startsWith(`${path}.`))) return null;
    const pricing = { quantity: input.quantity, unitPrice: input.unitPrice ?? product.price, discountPercent };
    const amounts: LineAmounts = lineAmounts(pricing, currency);
    if (tooLarge(amounts.subtotal)) problem('quantity', 'the line amounts to more than 15 integer digits');
    return { position, productId: product.id, ...pricing, ...amounts };
  });
  if (problems.length) throw badInput(problems);
  const priced = lines as PricedLine[];
  const totals = orderTotals(priced, currency);
  if (tooLarge(totals.subtotal)) throw badInput([{ field: 'input.lines', message: 'the order amounts to more than 15 integer digits' }]);
  return { lines: priced, totals };
}

/** Replaces an order's lines inside the caller's write. */
export async function replaceLines(ctx: RequestContext, em: EntityManager, orderId: string, lines: PricedLine[]): Promise<void> {
  await em.getRepository(OrderLine).delete({ workspaceId: ctx.workspaceId, orderId });
  await insertLines(ctx, em, lines.map((line) => ({ ...line, orderId })));
}

/** Stores lines of new orders (or replacing ones) inside the caller's write, in one statement. */
export async function insertLines(ctx: RequestContext, em: EntityManager, lines: Array<PricedLine & { orderId: string }>): Promise<void> {
  if (lines.length) await em.getRepository(OrderLine).insert(lines.map((line) => ({ ...line, workspaceId: ctx.workspaceId })));
  ctx.forgetWrites();
}
