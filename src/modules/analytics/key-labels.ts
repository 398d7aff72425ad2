import type { RequestContext } from '../../kernel/context';
import { accountService } from '../accounts';
import { membersService } from '../identity';
import { pipelineService } from '../pipelines';
import { teamsService } from '../routing';
import type { DimensionSpec, KeyLabel } from './aggregate-spec';

/** Labels of record keys by a batched loader of the owning module (one query per dimension and request). */
const labelled =
  <R>(load: (ctx: RequestContext, id: string) => Promise<R | null>, label: (record: R) => KeyLabel) =>
  async (ctx: RequestContext, ids: string[]): Promise<Map<string, KeyLabel>> => {
    const records = await Promise.all(ids.map((id) => load(ctx, id)));
    return new Map(ids.flatMap((id, i) => (records[i] ? [[id, label(records[i]!)] as const] : [])));
  };

/** Record keys: the column's value is the record's id. */
export const STAGE_KEY = (sql: string): DimensionSpec => ({
  sql,
  record: 'Stage',
  labels: labelled(pipelineService.loadStage, (stage) => ({ label: stage.name, rank: stage.position })),
});
export const PIPELINE_KEY = (sql: string): DimensionSpec => ({ sql, record: 'Pipeline', labels: labelled(pipelineService.load, (p) => ({ label: p.name })) });
export const USER_KEY = (sql: string): DimensionSpec => ({ sql, record: 'User', labels: labelled(membersService.loadUser, (u) => ({ label: u.name })) });
export const ACCOUNT_KEY = (sql: string): DimensionSpec => ({ sql, record: 'Account', labels: labelled(accountService.load, (a) => ({ label: a.name })) });

/** The teams of the user in `userSql` (routing's team_members): one row per team, none (null) for a user in no team. */
export const TEAM_KEY = (userSql: string): DimensionSpec => ({
  sql: 'tm.team_id',
  fanOut: `LEFT JOIN team_members tm ON tm.workspace_id = r.workspace_id AND tm.user_id = ${userSql}`,
  record: 'Team',
  labels: labelled(teamsService.load, (team) => ({ label: team.name })),
});

/** One row per tag; none (null) for an untagged record. */
export const TAG_KEY: DimensionSpec = { sql: 'tg.tag', fanOut: 'LEFT JOIN LATERAL unnest(r.tags) AS tg(tag) ON true' };

export const enumKey = (sql: string, values: Record<string, string>): DimensionSpec => ({ sql, order: Object.values(values) });
