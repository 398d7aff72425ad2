import { badField } from '../../kernel/errors';
import { OrderStatus } from './order.entity';

const { DRAFT, CONFIRMED, SHIPPED, INVOICED, PAID, CANCELLED } = OrderStatus;

/**
 * Where an order may go from each status: forward along DRAFT → CONFIRMED → SHIPPED → INVOICED
 * → PAID, skipping steps allowed (a service is invoiced unshipped; a shop order arrives paid);
 * CANCELLED only before shipping. PAID and CANCELLED are final; nothing goes back (a return or a
 * credit note is a new document, not an undo).
 */
export const NEXT_STATUSES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [DRAFT]: [CONFIRMED, SHIPPED, INVOICED, PAID, CANCELLED],
  [CONFIRMED]: [SHIPPED, INVOICED, PAID, CANCELLED],
  [SHIPPED]: [INVOICED, PAID],
  [INVOICED]: [PAID],
  [PAID]: [],
  [CANCELLED]: [],
};

/** While an order is in these, its lines and currency may change. */
export const EDITABLE_STATUSES: readonly OrderStatus[] = [DRAFT, CONFIRMED];

/** The patch for a move from `from` to `to`, or bad input on `status` naming the allowed moves. */
export function statusChange(from: OrderStatus, to: OrderStatus): { status: OrderStatus } {
  const allowed = NEXT_STATUSES[from];
  if (!allowed.includes(to)) {
    const options = allowed.length ? `from ${from} an order may go to ${allowed.join(', ')}` : `${from} is final`;
    throw badField('status', `cannot go from ${from} to ${to}; ${options}`);
  }
  return { status: to };
}
