import type { DataSource, EntityManager } from 'typeorm';
import type { RequestContext } from '../context';
import { encodeId, type NodeType } from '../ids';
import { SqlParams } from '../sql';
import { announceOnCommit } from './records-committed';

export type RecordAction = 'created' | 'updated' | 'deleted' | 'restored';

/** A record's public shape as an event stores it: property name → JSON value. */
export type RecordSnapshot = Record<string, unknown>;

/** One change of one record, as written to the outbox. */
export interface RecordChange {
  recordId: string;
  before: RecordSnapshot | null;
  after: RecordSnapshot | null;
}

/** Raised on every write anyway; listing them as changed would say nothing. */
export const BOOKKEEPING = new Set(['version', 'updatedAt']);

/** `deal.updated`, `member.created`, …: the record type in lower camel case, then the action. */
export function eventType(recordType: NodeType, action: RecordAction): string {
  return `${recordType[0].toLowerCase()}${recordType.slice(1)}.${action}`;
}

/**
 * Snapshots of one entity type: every column by property name except the workspace, dates as
 * ISO strings, `id` and the reference properties named in `references` as public ids; any other
 * uuid stays raw.
 */
export class Snapshotter {
  private readonly properties: string[];

  constructor(
    dataSource: DataSource,
    entity: Function,
    private readonly recordType: NodeType,
    private readonly references: Record<string, NodeType>,
  ) {
    this.properties = dataSource
      .getMetadata(entity)
      .columns.filter((c) => c.isSelect && c.propertyName !== 'workspaceId')
      .map((c) => c.propertyName);
  }

  take(record: object): RecordSnapshot {
    const source = record as Record<string, unknown>;
    const snapshot: RecordSnapshot = {};
    for (const property of this.properties) {
      const value = source[property];
      const type = property === 'id' ? this.recordType : this.references[property];
      snapshot[property] = value instanceof Date ? value.toISOString() : type && typeof value === 'string' ? encodeId(type, value) : (value ?? null);
    }
    return snapshot;
  }
}

/** Properties whose values differ (a created record: those it has; a deleted one: those it had). */
export function changedProperties(before: RecordSnapshot | null, after: RecordSnapshot | null): string[] {
  const keys = Object.keys(after ?? before ?? {});
  return keys.filter((key) => !BOOKKEEPING.has(key) && JSON.stringify(before?.[key] ?? null) !== JSON.stringify(after?.[key] ?? null));
}

/**
 * Writes one event per change into the caller's write transaction (one statement however many),
 * so the events commit or roll back with the change itself: the transactional outbox. `seq`
 * stays empty until `sequenceEvents` numbers them after commit.
 */
export async function writeRecordEvents(
  ctx: RequestContext,
  em: EntityManager,
  recordType: NodeType,
  action: RecordAction,
  changes: RecordChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const params = new SqlParams();
  const rows = changes.map(
    (change) =>
      `(${params.add(change.recordId)}::uuid, ${params.add(json(change.before))}::jsonb, ${params.add(json(change.after))}::jsonb, ` +
      `${params.add(changedProperties(change.before, change.after))}::text[])`,
  );
  const source = `SELECT * FROM (VALUES ${rows.join(', ')}) AS v(record_id, before, after, changed)`;
  const [text, values] = params.bind(eventsInsertSql(ctx, params, recordType, action, source));
  await em.query(text, values);
}

/**
 * The INSERT of one event per row of `source`, a SELECT of `record_id`, `before`, `after` and
 * `changed`: the outbox write of `writeRecordEvents`, and of the record stores, which build
 * snapshots in SQL and put this statement into the write's own (a data-modifying CTE). Once the
 * write commits, RECORDS_COMMITTED tells the workspace's channel (records-committed.ts).
 */
export function eventsInsertSql(ctx: RequestContext, params: SqlParams, recordType: NodeType, action: RecordAction, source: string): string {
  // Every record event is written through here: live views hear of the change once it committed.
  announceOnCommit(ctx, recordType);
  const workspace = params.add(ctx.workspaceId);
  const type = params.add(eventType(recordType, action));
  const record = params.add(recordType);
  const actor = params.add(ctx.actor?.userId ?? null);
  const apiKey = params.add(ctx.apiKey?.apiKeyId ?? null);
  const causeRun = params.add(ctx.cause?.runId ?? null);
  const depth = params.add(ctx.cause?.depth ?? 0);
  return (
    `INSERT INTO record_events (workspace_id, type, record_type, record_id, actor_user_id, before, after, changed, caused_by_run_id, automation_depth, actor_api_key_id) ` +
    `SELECT ${workspace}::uuid, ${type}, ${record}, s.record_id, ${actor}::uuid, s.before, s.after, s.changed, ${causeRun}::uuid, ${depth}::smallint, ${apiKey}::uuid ` +
    `FROM (${source}) AS s`
  );
}

const json = (snapshot: RecordSnapshot | null): string | null => (snapshot ? JSON.stringify(snapshot) : null);

/** Anything that runs one SQL statement and resolves to its rows: a DataSource, or the relay's own connection. */
export interface SqlRunner {
  query(text: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Numbers up to `max` events whose transactions have all finished, in a commit-safe order
 * (crm_sequence_events in the record-events migration says why); returns how many it numbered.
 * Runs in a transaction of its own. The event relay (workers/event-relay.ts) calls it before each batch.
 */
export async function sequenceEvents(db: SqlRunner, max = 1000): Promise<number> {
  const [row] = (await db.query(`SELECT crm_sequence_events($1) AS "numbered"`, [max])) as Array<{ numbered: number }>;
  return row.numbered;
}
