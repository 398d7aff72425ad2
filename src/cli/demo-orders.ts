import type { RequestContext } from '../kernel/context';
import { OrderStatus, orderService } from '../modules/orders';
import { type Product, productService } from '../modules/products';

const PRODUCTS: Array<[sku: string, name: string, price: string]> = [
  ['HW-100', 'Sensor-Kit Basis', '249.00'],
  ['HW-200', 'Sensor-Kit Pro', '649.00'],
  ['HW-310', 'Gateway Industrie', '1199.00'],
  ['SW-LIC-1', 'Lizenz pro Nutzer und Jahr', '89.90'],
  ['SRV-H', 'Beratung (Stunde)', '135.00'],
  ['SP-KAB', 'Kabelsatz', '19.99'],
];
const ORDERS = 100;

/** Where the demo orders end up: most are settled, some in flight, a few cancelled. */
const STATUS_PATHS: OrderStatus[][] = [
  [],
  [OrderStatus.CONFIRMED],
  [OrderStatus.CONFIRMED, OrderStatus.SHIPPED],
  [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.INVOICED],
  [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.INVOICED, OrderStatus.PAID],
  [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.INVOICED, OrderStatus.PAID],
  [OrderStatus.CANCELLED],
];

/**
 * A small catalogue and ~100 orders over the demo accounts, dated over the last year, through the
 * same services as the API (so totals, lines and events are as real ones).
 */
export async function seedOrders(
  ctx: RequestContext,
  random: () => number,
  accountIds: string[],
  contactsByAccount: Map<string, string[]>,
  log: (line: string) => void,
): Promise<void> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const catalogue: Product[] = [];
  for (const [sku, name, price] of PRODUCTS) catalogue.push(await productService.create(ctx, { sku, name, price }));
  for (let i = 0; i < ORDERS; i++) {
    const accountId = pick(accountIds);
    const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
      productId: pick(catalogue).globalId,
      quantity: String(1 + Math.floor(random() * 20)),
      discountPercent: pick(['0', '0', '0', '5', '10', '12.5']),
    }));
    const order = await orderService.create(ctx, {
      number: `SO-${String(10001 + i)}`,
      accountId,
      contactId: contactsByAccount.get(accountId)?.[0],
      orderDate: new Date(Date.now() - Math.floor(random() * 365) * 86_400_000).toISOString().slice(0, 10),
      lines,
    });
    for (const status of pick(STATUS_PATHS)) await orderService.changeStatus(ctx, order.id, status);
  }
  log(`orders: ${PRODUCTS.length} products, ${ORDERS} orders`);
}
