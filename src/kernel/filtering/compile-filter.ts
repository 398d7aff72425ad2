import { badField } from '../errors';
import { decodeId, type NodeType } from '../ids';
import { column, type SqlParams } from '../sql';

export type FieldKind = 'string' | 'number' | 'decimal' | 'datetime' | 'date' | 'boolean' | 'enum' | 'id' | 'tags';

export interface FieldSpec {
  column: string;
  kind: FieldKind;
  /** For `id` fields: the type the ids must be of. */
  idType?: NodeType;
  /** Filters a value derived from the column instead of the column, e.g. a done flag as `<completed_at> IS NOT NULL`. */
  expression?: (columnSql: string) => string;
  /**
   * For text: the column's stored sort key (`crm_text_key`, migration 1763800000030), indexed
   * with the workspace, so `startsWith` reads only the matching rows instead of testing each one.
   */
  key?: string;
}

/** A text field with a stored, indexed sort key `<column>_key` (migration 1763800000030). */
export const keyedText = (column: string): FieldSpec => ({ column, kind: 'string', key: `${column}_key` });

type Combinators = 'and' | 'or' | 'not';

/** Maps each field of a filter input to its column; the compiler checks every field is mapped. */
export type FilterSpec<F> = { [K in Exclude<keyof F, Combinators>]-?: FieldSpec };

/**
 * The spec for a row that was not read from its table (`jsonb_populate_record` computes no
 * generated columns, so its keys are NULL): prefixes then compare keys computed from the values.
 */
export const withoutKeys = <F>(spec: FilterSpec<F>): FilterSpec<F> =>
  Object.fromEntries(Object.entries<FieldSpec>(spec).map(([field, fieldSpec]) => [field, { ...fieldSpec, key: undefined }])) as FilterSpec<F>;

export interface FilterNode {
  and?: FilterNode[] | null;
  or?: FilterNode[] | null;
  not?: FilterNode | null;
  [field: string]: unknown;
}

type Operators = Record<string, unknown>;

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Turns a typed filter (`{ name: { startsWith: "ac" }, or: [...] }`) into one SQL condition
 * with bound parameters. Returns null when the filter adds no condition.
 */
export function compileFilter<F>(
  filter: F | null | undefined,
  spec: FilterSpec<F>,
  alias: string,
  params: SqlParams,
  path = 'filter',
): string | null {
  if (!filter) return null;
  const node = filter as FilterNode;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (value == null) continue;
    if (key === 'and' || key === 'or') {
      const children = (value as FilterNode[])
        .map((child, i) => compileFilter(child as F, spec, alias, params, `${path}.${key}[${i}]`) ?? 'TRUE')
        .map((sql) => `(${sql})`);
      if (children.length === 0) continue;
      parts.push(`(${children.join(key === 'and' ? ' AND ' : ' OR ')})`);
    } else if (key === 'not') {
      const inner = compileFilter(value as F, spec, alias, params, `${path}.not`);
      // Complement, not SQL's three-valued NOT: a row whose condition is NULL (e.g. no country) matches `not`.
      if (inner) parts.push(`NOT COALESCE((${inner}), FALSE)`);
    } else {
      const field = (spec as Record<string, FieldSpec>)[key];
      parts.push(...compileField(field, value as Operators, alias, params, `${path}.${key}`));
    }
  }
  return parts.length ? parts.join(' AND ') : null;
}

function compileField(field: FieldSpec, ops: Operators, alias: string, params: SqlParams, path: string): string[] {
  const col = field.expression ? `(${field.expression(column(alias, field.column))})` : column(alias, field.column);
  const value = (op: string, raw: unknown): unknown =>
    field.kind === 'id' ? decodeId(field.idType!, raw as string, `${path}.${op}`) : raw;
  const list = (op: string, raw: unknown[]): unknown[] => raw.map((v, i) => value(`${op}[${i}]`, v));
  const parts: string[] = [];
  for (const [op, raw] of Object.entries(ops)) {
    if (raw == null) continue;
    switch (op) {
      case 'eq':
        parts.push(`${col} = ${params.add(value(op, raw))}`);
        break;
      case 'ne':
        parts.push(`${col} IS DISTINCT FROM ${params.add(value(op, raw))}`);
        break;
      case 'in':
        parts.push(`${col} = ANY(${params.add(list(op, raw as unknown[]))})`);
        break;
      case 'notIn':
        parts.push(`(${col} IS NULL OR NOT (${col} = ANY(${params.add(list(op, raw as unknown[]))})))`);
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const sign = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[op];
        parts.push(`${col} ${sign} ${params.add(raw)}`);
        break;
      }
      case 'contains':
        parts.push(`${col} ILIKE ${params.add(`%${escapeLike(raw as string)}%`)}`);
        break;
      case 'startsWith':
        parts.push(startsWith(field, alias, col, params.add(raw)));
        break;
      case 'has':
        parts.push(`${col} @> ARRAY[${params.add(raw)}]::text[]`);
        break;
      case 'hasAny':
        parts.push(`${col} && ${params.add(raw)}::text[]`);
        break;
      case 'hasAll':
        parts.push(`${col} @> ${params.add(raw)}::text[]`);
        break;
      case 'isNull':
        parts.push(`${col} IS ${raw ? '' : 'NOT '}NULL`);
        break;
      default:
        throw badField(`${path}.${op}`, 'is not a supported operator');
    }
  }
  return parts;
}

/**
 * The value's sort key begins with the prefix's (case, umlauts and accents folded as text is
 * ordered). On a stored key it is the range [key(prefix), key(prefix) || U+10FFFF), which holds
 * exactly the keys with that prefix (keys never contain U+10FFFF) and which the key's index
 * serves; both bounds are computed once per statement, never per row.
 */
function startsWith(field: FieldSpec, alias: string, col: string, prefixParam: string): string {
  const prefixKey = `crm_text_key(${prefixParam})`;
  if (!field.key) return `starts_with(crm_text_key(${col}), ${prefixKey})`;
  const key = column(alias, field.key);
  return `${key} >= ${prefixKey} AND ${key} < (${prefixKey} || chr(1114111))`;
}
