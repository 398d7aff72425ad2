import type { RequestContext } from '../../kernel/context';
import type { Decimal } from '../../kernel/decimal';
import { encodeId } from '../../kernel/ids';
import { membersService, type FigureVisibility } from '../identity';
import { pipelineService } from '../pipelines';
import { teamsService } from '../routing';
import { FiguresSum, quotaOf } from './forecast-figures';
import type { ForecastGroup } from './forecast-groups';
import { ForecastGrouping, type ForecastFigures, type ForecastRow } from './forecast.types';

/** The groups a forecast is summed from, with what its rows need beside them. */
export interface ForecastInput {
  groups: ForecastGroup[];
  /** Exact quotas of the period per user. */
  quotas: ReadonlyMap<string, Decimal>;
  scope: FigureVisibility;
  currency: string;
}

const byName = (a: ForecastRow, b: ForecastRow) =>
  a.name === b.name ? (a.id ?? '').localeCompare(b.id ?? '') : a.name === null ? 1 : b.name === null ? -1 : a.name.localeCompare(b.name);

const row = (id: string | null, name: string | null, figures: ForecastFigures, rollup: ForecastFigures | null = null): ForecastRow => ({ id, name, ...figures, rollup });

const sumOf = (groups: Iterable<ForecastGroup>) => new FiguresSum().addAll(groups);

/**
 * One row per owner with deals or a quota in the period, plus every manager above them (whose
 * roll-up they are in); each with its own figures and quota, and the roll-up over the manager's
 * reports, directly or further down. Deals without owner: a row with id null.
 */
async function ownerRows(ctx: RequestContext, input: ForecastInput): Promise<ForecastRow[]> {
  const { groups, quotas, scope, currency } = input;
  const byOwner = new Map<string | null, ForecastGroup[]>();
  for (const group of groups) byOwner.set(group.ownerId, [...(byOwner.get(group.ownerId) ?? []), group]);
  const owners = new Set<string | null>([...byOwner.keys(), ...quotas.keys()]);
  for (const [manager, members] of scope.reportsOf) if (members.some((member) => owners.has(member))) owners.add(manager);
  const shown = [...owners].filter((owner) => (scope.visible === null ? true : owner !== null && scope.visible.has(owner)));
  const rows = await Promise.all(
    shown.map(async (owner) => {
      const own = sumOf(byOwner.get(owner) ?? []).figures(currency, owner === null ? null : (quotas.get(owner) ?? null));
      if (owner === null) return row(null, null, own);
      const team = scope.reportsOf.get(owner) ?? [owner];
      const rollup = sumOf(team.flatMap((member) => byOwner.get(member) ?? [])).figures(currency, quotaOf(quotas, team));
      return row(encodeId('User', owner), (await membersService.loadUser(ctx, owner))?.name ?? null, own, rollup);
    }),
  );
  return rows.sort(byName);
}

/** One row per team with deals or quotas (its members' deals and quotas; a member in two teams counts in both), and one (id null) for deals whose owner is in no team. */
async function teamRows(ctx: RequestContext, input: ForecastInput): Promise<ForecastRow[]> {
  const { groups, quotas, currency } = input;
  const teams = await teamsService.list(ctx);
  const inATeam = new Set(teams.flatMap((team) => team.members.map((member) => member.userId)));
  const rows = teams.flatMap((team) => {
    const members = new Set(team.members.map((member) => member.userId));
    const theirs = groups.filter((group) => group.ownerId !== null && members.has(group.ownerId));
    const quota = quotaOf(quotas, members);
    return theirs.length || quota ? [row(encodeId('Team', team.id), team.name, sumOf(theirs).figures(currency, quota))] : [];
  });
  const teamless = groups.filter((group) => group.ownerId === null || !inATeam.has(group.ownerId));
  if (teamless.length) rows.push(row(null, null, sumOf(teamless).figures(currency, null)));
  return rows.sort(byName);
}

/** One row per pipeline with deals in the period; pipelines have no quota. */
async function pipelineRows(ctx: RequestContext, input: ForecastInput): Promise<ForecastRow[]> {
  const byPipeline = new Map<string, ForecastGroup[]>();
  for (const group of input.groups) byPipeline.set(group.pipelineId, [...(byPipeline.get(group.pipelineId) ?? []), group]);
  const rows = await Promise.all(
    [...byPipeline].map(async ([id, theirs]) =>
      row(encodeId('Pipeline', id), (await pipelineService.load(ctx, id))?.name ?? null, sumOf(theirs).figures(input.currency, null)),
    ),
  );
  return rows.sort(byName);
}

const ROWS: Record<ForecastGrouping, (ctx: RequestContext, input: ForecastInput) => Promise<ForecastRow[]>> = {
  [ForecastGrouping.OWNER]: ownerRows,
  [ForecastGrouping.TEAM]: teamRows,
  [ForecastGrouping.PIPELINE]: pipelineRows,
};

/**
 * The rows of `by` and the total: every group once (they hold only deals the caller may see),
 * with the quotas of the members the caller may see.
 */
export async function forecastRows(ctx: RequestContext, by: ForecastGrouping, input: ForecastInput): Promise<{ rows: ForecastRow[]; total: ForecastFigures }> {
  const { visible } = input.scope;
  const quotaHolders = [...input.quotas.keys()].filter((member) => visible === null || visible.has(member));
  return { rows: await ROWS[by](ctx, input), total: sumOf(input.groups).figures(input.currency, quotaOf(input.quotas, quotaHolders)) };
}
