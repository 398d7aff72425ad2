import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { badField, notFound } from '../../kernel/errors';
import { writeRecordEvents } from '../../kernel/events/record-events';
import { compileFilter } from '../../kernel/filtering/compile-filter';
import { decodeId } from '../../kernel/ids';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { tablePage } from '../../kernel/records/table-page';
import { SqlParams, column } from '../../kernel/sql';
import type { AutomationObject } from './automation-objects';
import { AutomationRun } from './automation-run.entity';
import { AutomationRunStatus } from './automation.enums';
import type { AutomationRunListArgs } from './automation.inputs';
import { lazyMapper, rowById } from './rows';

const ALIAS = 'r';
/** Newest first, like an inbox of what happened. */
const ORDER: OrderTerm[] = [
  { key: 'createdAt', column: 'created_at', direction: 'DESC' },
  { key: 'id', column: 'id', direction: 'DESC' },
];

export const runMapper = lazyMapper(AutomationRun, ALIAS);

const RETRYABLE = [AutomationRunStatus.FAILED, AutomationRunStatus.PARTIALLY_FAILED];

/** A run to record: the trigger key is unique per automation, so recording a trigger twice records one run. */
export interface NewRun {
  automationId: string;
  version: number;
  triggerKey: string;
  triggerEventId: string | null;
  object: AutomationObject;
  recordId: string;
  depth: number;
  status: AutomationRunStatus.QUEUED | AutomationRunStatus.SKIPPED;
  reason: string | null;
}

export const automationRunService = {
  list(ctx: RequestContext, args: AutomationRunListArgs): Promise<Connection<AutomationRun>> {
    const automationId = args.automationId ? decodeId('Automation', args.automationId, 'automationId') : null;
    return tablePage(ctx, runMapper(ctx), ORDER, args, (params) => [
      `${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`,
      ...(automationId ? [`${column(ALIAS, 'automation_id')} = ${params.add(automationId)}`] : []),
      ...(args.status ? [`${column(ALIAS, 'status')} = ${params.add(args.status)}`] : []),
    ]);
  },

  fetch: (ctx: RequestContext, em: EntityManager, id: string, lock = false): Promise<AutomationRun | null> => rowById(ctx, em, runMapper(ctx), id, lock),

  async get(ctx: RequestContext, id: string): Promise<AutomationRun> {
    const run = await ctx.db.read((em) => automationRunService.fetch(ctx, em, id));
    if (!run) throw notFound('AutomationRun');
    return run;
  },

  /**
   * Queues a FAILED or PARTIALLY_FAILED run again (same row, `retries` + 1). The API has no queue
   * producer: the `automationRun.updated` event this writes reaches the worker through the outbox,
   * whose `automation-retries` handler adds the job; nothing is lost if Redis is down meanwhile.
   * Actions that already succeeded are not repeated.
   */
  async retry(ctx: RequestContext, id: string): Promise<AutomationRun> {
    return ctx.db.write(async (em) => {
      const run = await automationRunService.fetch(ctx, em, id, true);
      if (!run) throw notFound('AutomationRun');
      if (!RETRYABLE.includes(run.status)) throw badField('id', `only FAILED or PARTIALLY_FAILED runs can be retried; this one is ${run.status}`);
      await em.query(
        `UPDATE automation_runs SET status = 'QUEUED', retries = retries + 1, error_code = NULL, error_message = NULL, finished_at = NULL, updated_at = now()
         WHERE workspace_id = $1 AND id = $2`,
        [ctx.workspaceId, id],
      );
      const retried = (await automationRunService.fetch(ctx, em, id))!;
      const state = (r: AutomationRun) => ({ id: r.globalId, status: r.status, retries: r.retries });
      await writeRecordEvents(ctx, em, 'AutomationRun', 'updated', [{ recordId: id, before: state(run), after: state(retried) }]);
      return retried;
    });
  },

  /** Records a run unless one exists for the trigger; returns its id, or null when it existed. */
  async record(ctx: RequestContext, em: EntityManager, run: NewRun): Promise<string | null> {
    const rows = (await em.query(
      `INSERT INTO automation_runs (workspace_id, automation_id, version, trigger_key, trigger_event_id, record_type, record_id, depth, status, reason, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text, $10, CASE WHEN $9::text = 'SKIPPED' THEN now() END)
       ON CONFLICT (workspace_id, automation_id, trigger_key) DO NOTHING RETURNING id`,
      [ctx.workspaceId, run.automationId, run.version, run.triggerKey, run.triggerEventId, run.object.nodeType, run.recordId, run.depth, run.status, run.reason],
    )) as Array<{ id: string }>;
    return rows[0]?.id ?? null;
  },
};

/** More conditions over alias `t`, and optionally an expression returned as each row's `key`. */
export interface RecordScope {
  where: string[];
  key?: string;
}

/**
 * Live records of `object` matching `condition` (its list filter, compiled exactly as for a list
 * query) within `scope`: the one place conditions are evaluated.
 */
export async function matchingRecords(
  ctx: RequestContext,
  em: EntityManager,
  object: AutomationObject,
  condition: Record<string, unknown> | null,
  scope: (params: SqlParams) => RecordScope,
  limit: number,
): Promise<Array<{ id: string; key: string | null }>> {
  const params = new SqlParams();
  const filter = compileFilter(condition, object.fields, 't', params, 'condition');
  const { where, key } = scope(params);
  const conditions = [`t.workspace_id = ${params.add(ctx.workspaceId)}`, 't.deleted_at IS NULL', ...(filter ? [filter] : []), ...where];
  const [text, values] = params.bind(
    `SELECT t.id, ${key ?? 'NULL'}::text AS key FROM ${object.table} t WHERE ${conditions.map((c) => `(${c})`).join(' AND ')} LIMIT ${limit}`,
  );
  return em.query(text, values) as Promise<Array<{ id: string; key: string | null }>>;
}

/** Whether the live record matches the condition: `SELECT 1 FROM <table> WHERE id = … AND <filter>`. */
export async function conditionHolds(
  ctx: RequestContext,
  em: EntityManager,
  object: AutomationObject,
  condition: Record<string, unknown> | null,
  recordId: string,
): Promise<boolean> {
  const rows = await matchingRecords(ctx, em, object, condition, (params) => ({ where: [`t.id = ${params.add(recordId)}`] }), 1);
  return rows.length > 0;
}

registerNodeType('AutomationRun', (ctx, id) => ctx.db.read((em) => automationRunService.fetch(ctx, em, id)));
