import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { spawnProcess, type ServerProcess } from './processes';
import { ADMIN_URL, HOST, productionEnv } from './settings';

/** The event benchmark's own database: created fresh on every run, so the outbox starts empty. */
export const EVENTS_DATABASE = process.env.BENCH_EVENTS_DATABASE ?? 'crm_bench_events';
export const EVENTS_OWNER_URL = `postgres://crm_owner@${HOST}/${EVENTS_DATABASE}`;
export const EVENTS_APP_URL = `postgres://crm_app@${HOST}/${EVENTS_DATABASE}`;
export const EVENTS_WORKER_URL = `postgres://crm_worker@${HOST}/${EVENTS_DATABASE}`;

export async function freshEventsDatabase(): Promise<void> {
  await dropDatabase(ADMIN_URL, EVENTS_DATABASE);
  await ensureRolesAndDatabase(ADMIN_URL, EVENTS_OWNER_URL, EVENTS_APP_URL, EVENTS_WORKER_URL);
  await migrate(EVENTS_OWNER_URL, EVENTS_APP_URL, undefined, EVENTS_WORKER_URL);
}

/**
 * The production worker process (`dist/workers/index.js`) over the events database, with `env`
 * added and a queue prefix of its own: no other worker on this Redis takes these jobs, and this one takes no others.
 */
export function spawnEventsWorker(env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  return spawnProcess(
    {
      name: 'worker',
      script: path.resolve(__dirname, '../../dist/workers/index.js'),
      applicationName: 'crm-worker',
      env: {
        ...productionEnv(EVENTS_APP_URL, EVENTS_OWNER_URL),
        WORKER_DATABASE_URL: EVENTS_WORKER_URL,
        QUEUE_PREFIX: `crm-bench-events-${randomBytes(3).toString('hex')}`,
        ...env,
      },
    },
    logFile,
  );
}

/** One handled event: when its transaction started and when the `processed-log` handler claimed it (epoch ms, database clock). */
export interface HandledEvent {
  recordId: string;
  type: string;
  occurredMs: number;
  handledMs: number;
}

/** Reads the outbox and the handlers' ledger as the application role, scoped to the bench workspace. */
export class EventsProbe {
  private readonly client = new Client({ connectionString: EVENTS_APP_URL, application_name: 'crm-bench-events' });

  constructor(private readonly workspaceId: string) {}

  async connect(): Promise<void> {
    await this.client.connect();
  }

  private async scoped<T>(text: string, values: unknown[] = []): Promise<T[]> {
    await this.client.query('BEGIN');
    try {
      await this.client.query(`SELECT set_config('app.workspace_id', $1, true)`, [this.workspaceId]);
      return (await this.client.query(text, values)).rows as T[];
    } finally {
      await this.client.query('COMMIT');
    }
  }

  /** Events written in the workspace, and how many of them the `processed-log` handler has done. */
  async counts(): Promise<{ written: number; handled: number }> {
    const [row] = await this.scoped<{ written: number; handled: number }>(
      `SELECT (SELECT count(*)::int FROM record_events) AS written,
              (SELECT count(*)::int FROM processed_events WHERE handler = 'processed-log') AS handled`,
    );
    return row;
  }

  /** Every handled event of the given types. */
  handled(typePrefix: string): Promise<HandledEvent[]> {
    return this.scoped<HandledEvent>(
      `SELECT e.record_id AS "recordId", e.type,
              (extract(epoch FROM e.occurred_at) * 1000)::float8 AS "occurredMs",
              (extract(epoch FROM p.processed_at) * 1000)::float8 AS "handledMs"
       FROM record_events e JOIN processed_events p ON p.event_id = e.id AND p.handler = 'processed-log'
       WHERE e.type LIKE $1`,
      [`${typePrefix}%`],
    );
  }

  /** Routing decisions on contacts so far: how many, how many assigned, the last one's time, and leads per owner. */
  async routing(): Promise<{ decisions: number; assigned: number; lastMs: number; perOwner: number[] }> {
    const rows = await this.scoped<{ owner: string | null; n: number; last_ms: number }>(
      `SELECT owner_id AS owner, count(*)::int AS n, (extract(epoch FROM max(created_at)) * 1000)::float8 AS last_ms
       FROM routing_decisions WHERE object_type = 'CONTACT' GROUP BY owner_id`,
    );
    const owned = rows.filter((row) => row.owner !== null);
    return {
      decisions: rows.reduce((sum, row) => sum + row.n, 0),
      assigned: owned.reduce((sum, row) => sum + row.n, 0),
      lastMs: Math.max(0, ...rows.map((row) => row.last_ms)),
      perOwner: owned.map((row) => row.n).sort((a, b) => a - b),
    };
  }

  end(): Promise<void> {
    return this.client.end();
  }
}
