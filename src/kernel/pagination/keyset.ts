import { badField } from '../errors';
import { column, type SqlParams } from '../sql';
import { Connection, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageInfo, type Edge, type PageArgs } from './connection';

export type Direction = 'ASC' | 'DESC';

export interface OrderColumn {
  column: string;
  nullable?: boolean;
}

export interface OrderTerm extends OrderColumn {
  key: string;
  direction: Direction;
}

export interface PagePlan {
  /** Order to query in (reversed for `last`). */
  order: OrderTerm[];
  limit: number;
  backward: boolean;
  /** Conditions for `after` and `before`, each null when that cursor is absent. */
  afterCondition: string | null;
  beforeCondition: string | null;
  /** Rows at or before `after` (or at or beyond `before`): they exist iff there is a page on that side. */
  outsideAfter: string | null;
  outsideBefore: string | null;
}

/** Cursors carry the order keys and the row's values; a cursor from another ordering is refused. */
export function encodeCursor(order: OrderTerm[], values: unknown[]): string {
  return Buffer.from(JSON.stringify([order.map((t) => `${t.key}:${t.direction}`).join(','), values])).toString('base64url');
}

export function decodeCursor(cursor: string, order: OrderTerm[], field: string): unknown[] {
  try {
    const [keys, values] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, unknown[]];
    const expected = order.map((t) => `${t.key}:${t.direction}`).join(',');
    if (keys === expected && Array.isArray(values) && values.length === order.length) return values;
  } catch {
    // fall through: malformed
  }
  throw badField(field, 'is not a cursor of this list and ordering');
}

function reverse(direction: Direction): Direction {
  return direction === 'ASC' ? 'DESC' : 'ASC';
}

/**
 * Keyset condition "row comes after `values` in `order`". NULLs sort as the largest value
 * (PostgreSQL's default: NULLS LAST ascending, NULLS FIRST descending), so nullable columns
 * stay in a total order and a page never skips or repeats a row.
 */
function afterCondition(alias: string, order: OrderTerm[], values: unknown[], params: SqlParams): string {
  const allSameAndNotNull = order.every((t) => !t.nullable && t.direction === order[0].direction);
  if (allSameAndNotNull) {
    const cols = order.map((t) => column(alias, t.column)).join(', ');
    const vals = values.map((v) => params.add(v)).join(', ');
    return `(${cols}) ${order[0].direction === 'ASC' ? '>' : '<'} (${vals})`;
  }
  const branches = order.map((term, i) => {
    const equalPrefix = order.slice(0, i).map((t, j) => equals(alias, t, values[j], params));
    return [...equalPrefix, beyond(alias, term, values[i], params)].join(' AND ');
  });
  return branches.map((b) => `(${b})`).join(' OR ');
}

function equals(alias: string, term: OrderTerm, value: unknown, params: SqlParams): string {
  const col = column(alias, term.column);
  return value === null ? `${col} IS NULL` : `${col} = ${params.add(value)}`;
}

function beyond(alias: string, term: OrderTerm, value: unknown, params: SqlParams): string {
  const col = column(alias, term.column);
  if (term.direction === 'ASC') return value === null ? 'FALSE' : `(${col} > ${params.add(value)}${term.nullable ? ` OR ${col} IS NULL` : ''})`;
  return value === null ? `${col} IS NOT NULL` : `${col} < ${params.add(value)}`;
}

function outside(alias: string, order: OrderTerm[], values: unknown[], params: SqlParams): string {
  // The cursor's own row, or any row on the far side of it.
  const idValue = values[values.length - 1];
  return `((${afterCondition(alias, order, values, params)}) OR ${column(alias, 'id')} = ${params.add(idValue)})`;
}

export function planPage(args: PageArgs, order: OrderTerm[], alias: string, params: SqlParams): PagePlan {
  const { first, last, after, before } = args;
  if (first != null && last != null) throw badField('last', 'cannot be combined with first');
  for (const [name, size] of [['first', first], ['last', last]] as const) {
    if (size != null && (size < 0 || size > MAX_PAGE_SIZE)) throw badField(name, `must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  const reversed = order.map((t) => ({ ...t, direction: reverse(t.direction) }));
  const afterValues = after ? decodeCursor(after, order, 'after') : null;
  const beforeValues = before ? decodeCursor(before, order, 'before') : null;
  const backward = last != null;
  return {
    order: backward ? reversed : order,
    limit: (backward ? last : first) ?? DEFAULT_PAGE_SIZE,
    backward,
    afterCondition: afterValues && afterCondition(alias, order, afterValues, params),
    beforeCondition: beforeValues && afterCondition(alias, reversed, beforeValues, params),
    outsideAfter: afterValues && outside(alias, reversed, afterValues, params),
    outsideBefore: beforeValues && outside(alias, order, beforeValues, params),
  };
}

/** A fetched row with the values of its order keys (as PostgreSQL's text), for its cursor. */
export interface KeyedRow<T> {
  node: T;
  keys: Array<string | null>;
}

/**
 * The connection for a page fetched with `plan` (one row more than the limit, to tell whether
 * there is a next page); the flags that need a query of their own run only when asked for.
 */
export function keysetConnection<T>(
  rows: Array<KeyedRow<T>>,
  order: OrderTerm[],
  plan: PagePlan,
  hasBefore: () => Promise<boolean> | boolean,
  hasAfter: () => Promise<boolean> | boolean,
  count: () => Promise<number>,
): Connection<T> {
  const more = rows.length > plan.limit;
  const page = rows.slice(0, plan.limit);
  if (plan.backward) page.reverse();
  const edges: Edge<T>[] = page.map((row) => ({ node: row.node, cursor: encodeCursor(order, row.keys) }));
  const result = Object.create(Connection.prototype) as Connection<T>;
  result.edges = edges;
  result.countRows = count;
  result.pageInfo = new PageInfo(
    plan.backward ? hasAfter : () => more || hasAfter(),
    plan.backward ? () => more || hasBefore() : hasBefore,
    edges[0]?.cursor ?? null,
    edges[edges.length - 1]?.cursor ?? null,
  );
  return result;
}
