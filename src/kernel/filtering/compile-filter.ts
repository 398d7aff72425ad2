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
}

type Combinators = 'and' | 'or' | 'not';

/** Maps each field of a filter input to its column; the compiler checks every field is mapped. */
export type FilterSpec<F> = { [K in Exclude<keyof F, Combinators>]-?: FieldSpec };

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
        // lower(col) LIKE 'x%' is what the text_pattern_ops indexes serve.
        parts.push(`lower(${col}) LIKE ${params.add(`${escapeLike((raw as string).toLowerCase())}%`)}`);
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
