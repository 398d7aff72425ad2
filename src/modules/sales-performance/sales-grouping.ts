import { Field, ObjectType } from 'type-graphql';
import type { RequestContext } from '../../kernel/context';
import { badField } from '../../kernel/errors';
import { encodeId } from '../../kernel/ids';
import { localDateSql, periodLabelSql, type Period } from '../../kernel/time/periods';
import { membersService, User } from '../identity';

/** What a sales report groups deals by: the deal's current owner, its source, or the (fiscal) month or quarter of one of its times. */
export type SalesDimension = 'OWNER' | 'SOURCE' | 'MONTH' | 'QUARTER';

const NO_OWNER = 'No owner';
const NO_SOURCE = 'No source';

/** One group's key, resolved for people to read. */
@ObjectType()
export abstract class SalesGroupKey {
  @Field(() => String, {
    nullable: true,
    description: 'What the group is: the owner’s user id, the source, or the period label (2026-07, 2026-Q3); null for deals without owner or source, and on the total.',
  })
  key: string | null;

  @Field({ description: 'The key for people: the owner’s name, the source, the period label; “No owner”, “No source”, or “Total”.' })
  label: string;

  @Field(() => User, { nullable: true, description: 'The owner, when grouped by owner.' })
  owner: User | null;
}

/**
 * SQL for the group key of deal `d` (alias) by `dimension`; `timeSql` is the timestamp a period
 * dimension reads (created_at, closed_at), labelled in the workspace's zone and fiscal year.
 */
export function groupKeySql(dimension: SalesDimension | null, timeSql: string, timeZoneSql: string, fiscalStartSql: string): string {
  switch (dimension) {
    case null:
      return 'NULL::text';
    case 'OWNER':
      return 'd.owner_id::text';
    case 'SOURCE':
      return 'd.source';
    case 'MONTH':
    case 'QUARTER':
      return periodLabelSql(localDateSql(timeSql, timeZoneSql), dimension, fiscalStartSql);
  }
}

/** A period grouping no finer than the period would give one group: a quarter grouping of a month or week is refused. */
export function checkGrouping(dimension: SalesDimension | null, period: Period | null, field = 'by'): void {
  if (dimension === 'QUARTER' && period && (period.unit === 'MONTH' || period.unit === 'WEEK')) {
    throw badField(field, `grouping a ${period.unit.toLowerCase()} (${period.label}) by quarter gives one group; group by month or widen the period`);
  }
}

/** A group key as SQL gave it (`raw`: an owner's uuid, a source, a period label) and resolved. */
export interface ResolvedKey {
  raw: string | null;
  group: SalesGroupKey;
}

/** Keys resolved to labels (owners by their names), in the order reports list groups: by label, “No …” last; periods in time order. */
export async function resolveKeys(ctx: RequestContext, dimension: SalesDimension, keys: Array<string | null>): Promise<ResolvedKey[]> {
  const resolved = await Promise.all(
    keys.map(async (raw): Promise<ResolvedKey> => {
      if (dimension !== 'OWNER') return { raw, group: { key: raw, label: raw ?? NO_SOURCE, owner: null } };
      const owner = raw ? await membersService.loadUser(ctx, raw) : null;
      return { raw, group: { key: owner ? encodeId('User', owner.id) : null, label: owner?.name ?? NO_OWNER, owner } };
    }),
  );
  const inTime = dimension === 'MONTH' || dimension === 'QUARTER';
  return resolved.sort(({ group: a }, { group: b }) =>
    inTime
      ? (a.key ?? '').localeCompare(b.key ?? '')
      : Number(a.key === null) - Number(b.key === null) || a.label.localeCompare(b.label) || (a.key ?? '').localeCompare(b.key ?? ''),
  );
}

export const TOTAL_KEY: SalesGroupKey = { key: null, label: 'Total', owner: null };

/** Which rows a grouped statement returns, by GROUPING(g, c): per group and cohort, per group, per cohort, the total. */
export const LEVEL = { GROUP_COHORT: 0, GROUP: 1, COHORT: 2, TOTAL: 3 } as const;

/**
 * The GROUPING SETS over a statement's group key `g` and cohort key `c` (each only when asked),
 * the select list of the keys (`keys`: null where not grouped) and the SQL of a row's level
 * (LEVEL): one statement yields the groups, their cohorts and the total.
 */
export function groupingSets(byGroup: boolean, byCohort: boolean): { sets: string; level: string; keys: string } {
  const keys = `${byGroup ? 'g' : 'NULL::text AS g'}, ${byCohort ? 'c' : 'NULL::text AS c'}`;
  if (byGroup && byCohort) return { keys, sets: 'GROUPING SETS ((g, c), (g), (c), ())', level: 'GROUPING(g, c)' };
  if (byGroup) return { keys, sets: 'GROUPING SETS ((g), ())', level: 'GROUPING(g) * 2 + 1' };
  if (byCohort) return { keys, sets: 'GROUPING SETS ((c), ())', level: 'GROUPING(c) + 2' };
  return { keys, sets: 'GROUPING SETS (())', level: '3' };
}
