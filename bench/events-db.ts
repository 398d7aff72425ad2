import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { spawnProcess, type ServerProcess } from './processes';
import { ADMIN_URL, HOST, productionEnv } from './settings';

/** A bench database's name and the URLs of its three logins, reached at `host` (a proxy's, say). */
export interface BenchDatabase {
  name: string;
  ownerUrl: string;
  appUrl: string;
  workerUrl: string;
}

export function benchDatabase(name: string, host = HOST): BenchDatabase {
  return {
    name,
    ownerUrl: `postgres://crm_owner@${host}/${name}`,
    appUrl: `postgres://crm_app@${host}/${name}`,
    workerUrl: `postgres://crm_worker@${host}/${name}`,
  };
}

/** Drops the database if it exists, then creates it with the roles and every migration, as setup does. */
export async function freshDatabase(db: BenchDatabase): Promise<void> {
  await dropDatabase(ADMIN_URL, db.name);
  await ensureRolesAndDatabase(ADMIN_URL, db.ownerUrl, db.appUrl, db.workerUrl);
  await migrate(db.ownerUrl, db.appUrl, undefined, db.workerUrl);
}

/**
 * The production worker process (`dist/workers/index.js`) over `db`, with `env` added and a queue
 * prefix of its own: no other worker on the same Redis takes these jobs, and this one takes no others.
 */
export function spawnWorker(db: BenchDatabase, env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  return spawnProcess(
    {
      name: 'worker',
      script: path.resolve(__dirname, '../../dist/workers/index.js'),
      applicationName: 'crm-worker',
      env: {
        ...productionEnv(db.appUrl, db.ownerUrl),
        WORKER_DATABASE_URL: db.workerUrl,
        QUEUE_PREFIX: `crm-bench-${db.name.replace(/[^A-Za-z0-9_-]/g, '')}-${randomBytes(3).toString('hex')}`,
        ...env,
      },
    },
    logFile,
  );
}

/** The event benchmark's own database: created fresh on every run, so the outbox starts empty. */
const EVENTS = benchDatabase(process.env.BENCH_EVENTS_DATABASE ?? 'crm_bench_events');
export const EVENTS_DATABASE = EVENTS.name;
export const EVENTS_OWNER_URL = EVENTS.ownerUrl;
export const EVENTS_APP_URL = EVENTS.appUrl;
export const EVENTS_WORKER_URL = EVENTS.workerUrl;

export const freshEventsDatabase = (): Promise<void> => freshDatabase(EVENTS);

export const spawnEventsWorker = (env: Record<string, string>, logFile: string): Promise<ServerProcess> => spawnWorker(EVENTS, env, logFile);

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
