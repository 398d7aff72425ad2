import DataLoader from 'dataloader';
import type { GraphQLSchema } from 'graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { conflict, notFound } from '../../kernel/errors';
import { writeRecordEvents, type RecordAction, type RecordSnapshot } from '../../kernel/events/record-events';
import { encodeId } from '../../kernel/ids';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { OrderTerm } from '../../kernel/pagination/keyset';
import { tablePage } from '../../kernel/records/table-page';
import { column } from '../../kernel/sql';
import { Automation, type AutomationVersion } from './automation.entity';
import type { AutomationDefinition } from './automation.definition';
import type { AutomationInput, AutomationListArgs, CreateAutomationInput } from './automation.inputs';
import { checkDefinition } from './automation.validation';
import { lazyMapper, rowById } from './rows';

const ALIAS = 'a';
const ORDER: OrderTerm[] = [
  { key: 'createdAt', column: 'created_at', direction: 'ASC' },
  { key: 'id', column: 'id', direction: 'ASC' },
];

export const automationMapper = lazyMapper(Automation, ALIAS);

/** What an automation's record events show: enough for the worker to sync its schedule, and for history. */
function snapshot(automation: Automation): RecordSnapshot {
  const { name, enabled, version, objectType, triggerType, definition } = automation;
  return { id: encodeId('Automation', automation.id), name, enabled, version, objectType, triggerType, trigger: definition.trigger, deletedAt: automation.deletedAt?.toISOString() ?? null };
}

/** Loads one automation of the workspace (FOR UPDATE inside a write), trashed ones too. */
const fetch = (ctx: RequestContext, em: EntityManager, id: string, lock = false) => rowById(ctx, em, automationMapper(ctx), id, lock);

async function saveVersion(ctx: RequestContext, em: EntityManager, id: string, version: number, definition: AutomationDefinition): Promise<void> {
  await em.query(`INSERT INTO automation_versions (workspace_id, automation_id, version, definition) VALUES ($1, $2, $3, $4)`, [
    ctx.workspaceId,
    id,
    version,
    JSON.stringify(definition),
  ]);
}

/**
 * Applies `set` (SQL assignments over $3…) to a live automation and writes its record event:
 * the worker's `automation-schedules` handler reacts to it (job schedulers), after commit.
 */
async function change(
  ctx: RequestContext,
  id: string,
  action: Exclude<RecordAction, 'created'>,
  set: string,
  values: unknown[],
  expectedVersion?: number | null,
  after?: (em: EntityManager, automation: Automation) => Promise<void>,
): Promise<Automation> {
  return ctx.db.write(async (em) => {
    const before = await fetch(ctx, em, id, true);
    if (!before || before.deletedAt) throw notFound('Automation');
    if (expectedVersion != null && before.version !== expectedVersion) throw conflict('Automation', before.version);
    await em.query(`UPDATE automations SET ${set}, updated_at = now() WHERE workspace_id = $1 AND id = $2`, [ctx.workspaceId, id, ...values]);
    const current = (await fetch(ctx, em, id))!;
    await after?.(em, current);
    await writeRecordEvents(ctx, em, 'Automation', action, [{ recordId: id, before: snapshot(before), after: snapshot(current) }]);
    return current;
  });
}

export const automationService = {
  /** One live automation, batched with every other lookup in the request (runs' `automation`). */
  async load(ctx: RequestContext, id: string | null | undefined): Promise<Automation | null> {
    if (!id) return null;
    const loader = ctx.loader('Automation:byId', () =>
      new DataLoader<string, Automation | null>(async (ids) => {
        const { table, selectList } = automationMapper(ctx);
        const rows = (await ctx.db.read((em) =>
          em.query(`SELECT ${selectList} FROM ${table} ${ALIAS} WHERE workspace_id = $1 AND id = ANY($2) AND deleted_at IS NULL`, [ctx.workspaceId, [...ids]]),
        )) as Array<Record<string, unknown>>;
        const byId = new Map(rows.map((row) => [row.id as string, automationMapper(ctx).hydrate(row)]));
        return ids.map((key) => byId.get(key) ?? null);
      }),
    );
    return loader.load(id);
  },

  async get(ctx: RequestContext, id: string): Promise<Automation> {
    const automation = await automationService.load(ctx, id);
    if (!automation) throw notFound('Automation');
    return automation;
  },

  list(ctx: RequestContext, args: AutomationListArgs): Promise<Connection<Automation>> {
    const filter = args.filter ?? {};
    return tablePage(ctx, automationMapper(ctx), ORDER, args, (params) => [
      `${column(ALIAS, 'workspace_id')} = ${params.add(ctx.workspaceId)}`,
      `${column(ALIAS, 'deleted_at')} IS NULL`,
      ...(filter.enabled != null ? [`${column(ALIAS, 'enabled')} = ${params.add(filter.enabled)}`] : []),
      ...(filter.objectType ? [`${column(ALIAS, 'object_type')} = ${params.add(filter.objectType)}`] : []),
      ...(filter.triggerType ? [`${column(ALIAS, 'trigger_type')} = ${params.add(filter.triggerType)}`] : []),
    ]);
  },

  /** Checks the rule (BAD_USER_INPUT naming each path), stores it as version 1 and writes `automation.created`. */
  async create(ctx: RequestContext, input: CreateAutomationInput, schema: GraphQLSchema): Promise<Automation> {
    const definition = await checkDefinition(ctx, input, schema);
    return ctx.db.write(async (em) => {
      const [row] = (await em.query(
        `INSERT INTO automations (workspace_id, name, description, enabled, object_type, trigger_type, definition, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [ctx.workspaceId, input.name.trim(), input.description ?? null, input.enabled ?? true, definition.trigger.objectType, definition.trigger.type, JSON.stringify(definition), ctx.actor?.userId ?? null],
      )) as Array<{ id: string }>;
      await saveVersion(ctx, em, row.id, 1, definition);
      const automation = (await fetch(ctx, em, row.id))!;
      await writeRecordEvents(ctx, em, 'Automation', 'created', [{ recordId: row.id, before: null, after: snapshot(automation) }]);
      return automation;
    });
  },

  /** A new version of the rule (the old one stays in automation_versions for the runs that used it). */
  async update(ctx: RequestContext, id: string, input: AutomationInput, expectedVersion: number | null | undefined, schema: GraphQLSchema): Promise<Automation> {
    const current = await automationService.get(ctx, id);
    const definition = await checkDefinition(ctx, input, schema, current.definition);
    return change(
      ctx,
      id,
      'updated',
      `name = COALESCE($3::text, name), description = CASE WHEN $4::boolean THEN $5::text ELSE description END,
       version = version + 1, object_type = $6, trigger_type = $7, definition = $8::jsonb`,
      [input.name?.trim() ?? null, input.description !== undefined, input.description ?? null, definition.trigger.objectType, definition.trigger.type, JSON.stringify(definition)],
      expectedVersion,
      (em, automation) => saveVersion(ctx, em, id, automation.version, definition),
    );
  },

  setEnabled: (ctx: RequestContext, id: string, enabled: boolean) => change(ctx, id, 'updated', 'enabled = $3::boolean', [enabled]),

  /** Deletes for good from the user's view; its runs and versions stay readable through automationRun. */
  delete: (ctx: RequestContext, id: string) => change(ctx, id, 'deleted', 'deleted_at = now(), enabled = false', []),

  /** Any automation of the workspace, deleted ones too (runs point to them). */
  loadAny: (ctx: RequestContext, em: EntityManager, id: string) => fetch(ctx, em, id),

  /** One version of a live automation's rule, or NOT_FOUND. */
  async version(ctx: RequestContext, id: string, version: number): Promise<AutomationVersion> {
    await automationService.get(ctx, id);
    const [row] = (await ctx.db.read((em) =>
      em.query(`SELECT definition, created_at FROM automation_versions WHERE workspace_id = $1 AND automation_id = $2 AND version = $3`, [ctx.workspaceId, id, version]),
    )) as Array<{ definition: AutomationDefinition; created_at: Date }>;
    if (!row) throw notFound('AutomationVersion');
    return { version, ...row.definition, createdAt: row.created_at };
  },

  /** The rule of one version (what a run executes). */
  async definitionOf(ctx: RequestContext, em: EntityManager, id: string, version: number): Promise<AutomationDefinition> {
    const [row] = (await em.query(`SELECT definition FROM automation_versions WHERE workspace_id = $1 AND automation_id = $2 AND version = $3`, [
      ctx.workspaceId,
      id,
      version,
    ])) as Array<{ definition: AutomationDefinition }>;
    if (!row) throw notFound('AutomationVersion');
    return row.definition;
  },
};

registerNodeType('Automation', automationService.load);
