import type { RequestContext } from '../../kernel/context';
import { SqlParams } from '../../kernel/sql';
import { parsePeriod, periodOf, type Period, type PeriodValue } from '../../kernel/time/periods';
import { figureVisibility, membersService, type User } from '../identity';
import { ActivityCounts, ActivityMetrics, ActivityWeek, MemberActivity } from './activity-metrics.model';
import { localMidnights, reportWorkspace } from './report-scope';

/** Which count an activity adds to: by its type; a task only once completed. */
const COUNT_OF_TYPE: Record<string, keyof ActivityCounts> = {
  CALL: 'calls',
  MEETING: 'meetings',
  EMAIL: 'emails',
  NOTE: 'notes',
  TASK: 'completedTasks',
};

interface DiaryRow {
  kind: 'member' | 'count' | 'overdue';
  user_id: string;
  type: string | null;
  week_start: string | null;
  n: number;
}

/**
 * `visible`: every seat's user, or those the caller may see (figureVisibility). `happened`:
 * calls, meetings, emails and notes by their occurredAt (those that have happened: not after
 * now), tasks by completedAt, in the weeks' window, each with its local ISO week's Monday. Rows:
 * the visible live members (the grid's rows), counts per member, type and week, and each
 * visible member's open tasks due before now.
 */
function diarySql(p: Record<'workspace' | 'visible' | 'from' | 'to' | 'zone', string>): string {
  const week = (column: string) => `to_char(date_trunc('week', a.${column} AT TIME ZONE ${p.zone}), 'YYYY-MM-DD')`;
  return `WITH visible AS (
      SELECT m.user_id FROM memberships m
       WHERE m.workspace_id = ${p.workspace} AND (${p.visible}::uuid[] IS NULL OR m.user_id = ANY (${p.visible}::uuid[]))
    ), happened AS (
      SELECT a.owner_id, a.type, ${week('occurred_at')} AS week_start FROM activities a
       WHERE a.workspace_id = ${p.workspace} AND a.deleted_at IS NULL AND a.type IN ('CALL', 'MEETING', 'EMAIL', 'NOTE')
         AND a.occurred_at >= ${p.from} AND a.occurred_at < ${p.to} AND a.occurred_at <= now()
      UNION ALL
      SELECT a.owner_id, a.type, ${week('completed_at')} FROM activities a
       WHERE a.workspace_id = ${p.workspace} AND a.deleted_at IS NULL AND a.type = 'TASK'
         AND a.completed_at >= ${p.from} AND a.completed_at < ${p.to}
    )
    SELECT 'member' AS kind, m.user_id, NULL AS type, NULL AS week_start, 0 AS n
      FROM memberships m JOIN visible v USING (user_id) WHERE m.workspace_id = ${p.workspace} AND m.deleted_at IS NULL
    UNION ALL
    SELECT 'count', h.owner_id, h.type, h.week_start, count(*)::int
      FROM happened h JOIN visible v ON v.user_id = h.owner_id GROUP BY h.owner_id, h.type, h.week_start
    UNION ALL
    SELECT 'overdue', a.owner_id, NULL, NULL, count(*)::int
      FROM activities a JOIN visible v ON v.user_id = a.owner_id
     WHERE a.workspace_id = ${p.workspace} AND a.type = 'TASK' AND a.deleted_at IS NULL AND a.completed_at IS NULL AND a.due_at < now()
     GROUP BY a.owner_id`;
}

/** The ISO weeks overlapping `period`, in order. */
function weeksOf(period: Period, fiscalStartMonth: number): Period[] {
  const weeks: Period[] = [];
  for (let week = periodOf(period.start, 'WEEK', fiscalStartMonth); week.start < period.end; week = periodOf(week.end, 'WEEK', fiscalStartMonth)) weeks.push(week);
  return weeks;
}

const zeros = (): ActivityCounts => ({ calls: 0, meetings: 0, emails: 0, notes: 0, completedTasks: 0 });

function addCounts(into: ActivityCounts, counts: ActivityCounts): ActivityCounts {
  for (const key of Object.values(COUNT_OF_TYPE)) into[key] += counts[key];
  return into;
}

/** One member's grid: every week of the report (zeros where nothing happened) and their sum. */
function memberActivity(user: User, weeks: Period[], rows: DiaryRow[]): MemberActivity {
  const own = rows.filter((row) => row.user_id === user.id);
  const grid = weeks.map((week): ActivityWeek => {
    const counts = zeros();
    for (const row of own) if (row.kind === 'count' && row.week_start === week.start) counts[COUNT_OF_TYPE[row.type!]] += row.n;
    return { week: week.label, weekStart: week.start, ...counts };
  });
  return {
    user,
    weeks: grid,
    total: grid.reduce(addCounts, zeros()),
    overdueTasks: own.find((row) => row.kind === 'overdue')?.n ?? 0,
  };
}

export const activityMetricsService = {
  /**
   * Per visible member per ISO week of `period` (every week overlapping it, whole, in the
   * workspace's time zone): what happened and what got done, plus overdue tasks now.
   */
  async diary(ctx: RequestContext, periodValue: PeriodValue): Promise<ActivityMetrics> {
    const { visible } = await figureVisibility(ctx);
    const { period, weeks, rows } = await ctx.db.read(async (em) => {
      const workspace = await reportWorkspace(ctx, em);
      const period = parsePeriod(periodValue, workspace.fiscalStartMonth);
      const weeks = weeksOf(period, workspace.fiscalStartMonth);
      const window = await localMidnights(em, workspace.timeZone, weeks[0].start, weeks[weeks.length - 1].end);
      const sql = new SqlParams();
      const text = diarySql({
        workspace: sql.add(ctx.workspaceId),
        visible: sql.add(visible && [...visible]),
        from: sql.add(window.from),
        to: sql.add(window.to),
        zone: sql.add(workspace.timeZone),
      });
      return { period, weeks, rows: (await em.query(...sql.bind(text))) as DiaryRow[] };
    });
    const users = (await Promise.all([...new Set(rows.map((row) => row.user_id))].map((id) => membersService.loadUser(ctx, id)))).filter((user): user is User => user !== null);
    users.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const members = users.map((user) => memberActivity(user, weeks, rows));
    return Object.assign(new ActivityMetrics(), {
      period: period.label,
      weeks: weeks.map((week) => week.label),
      from: weeks[0].start,
      to: weeks[weeks.length - 1].end,
      members,
      totals: weeks.map((week, index) => ({ week: week.label, weekStart: week.start, ...members.reduce((sum, member) => addCounts(sum, member.weeks[index]), zeros()) })),
    });
  },
};
