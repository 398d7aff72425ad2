import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Client } from 'pg';
import { redisShutdown, redisUp } from '../test/support/redis-server';
import type { BenchDatabase } from './events-db';
import { spawnWorker } from './events-db';
import { freePort, stopServer, type ServerProcess } from './processes';

/**
 * The faults the fault benchmark injects, each confined to what the benchmark itself started:
 * a TCP proxy in front of PostgreSQL (so an "outage" of the shared cluster touches only the
 * bench's connections), and a redis-server of its own on a free port.
 */

/**
 * Forwards 127.0.0.1:<port> to `target`. `cut()` stands for the database going away: the port
 * stops listening (new connections are refused) and every forwarded connection is dropped;
 * `resume()` listens on the same port again.
 */
export class TcpProxy {
  /** Each forwarded connection: the client's socket and ours to PostgreSQL. */
  private readonly links = new Set<[Socket, Socket]>();
  private server: Server | null = null;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.resume();
    return proxy;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  private forward(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const link: [Socket, Socket] = [client, upstream];
    this.links.add(link);
    for (const socket of link) {
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.links.delete(link);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  resume(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((client) => this.forward(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Refuses new connections and drops every open one; returns how many were dropped. */
  async cut(): Promise<number> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const dropped = this.links.size;
    for (const link of this.links) for (const socket of link) socket.destroy();
    this.links.clear();
    await closed;
    return dropped;
  }

  close(): Promise<number> {
    return this.cut();
  }
}

/**
 * Ends every backend of `database` except the caller's and those named `keepPrefix…` (the
 * benchmark's observers), as a restart does: each client gets "terminating connection due to
 * administrator command". Needs a superuser (the admin URL). Returns how many were ended.
 */
export async function terminateBackends(adminUrl: string, database: string, keepPrefix: string): Promise<number> {
  const admin = new Client({ connectionString: adminUrl, application_name: `${keepPrefix}-admin` });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ ended: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name NOT LIKE $2`,
      [database, `${keepPrefix}%`],
    );
    return rows[0].ended;
  } finally {
    await admin.end();
  }
}

/**
 * A redis-server of the benchmark's own (a child process on a free port, no RDB or AOF: a
 * restart loses every key), so taking it down hits no one else.
 */
export class RedisProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly logFile: string,
  ) {}

  static async start(logFile: string): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort(), logFile);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server on its port and waits until it answers PING. */
  async up(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    await redisUp(this.port);
  }

  /** SHUTDOWN NOSAVE (its data is gone), then waits for the process to exit. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    redisShutdown(this.port);
    await exited;
    this.child = null;
  }
}

/** The text appended to `file` since byte `from`. */
function readFrom(file: string, from: number): string {
  const fd = openSync(file, 'r');
  try {
    const length = Math.max(0, statSync(file).size - from);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, from);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The worker process run as production's supervisor runs it (Docker's `restart: unless-stopped`):
 * whenever it exits without being asked to, a new one starts a second later. `kill()` is the
 * injected fault: SIGKILL, then a new process after `downMs`. A process counts as up once it
 * logged "workers started" (its log level is info for that reason).
 */
export class SupervisedWorker {
  private current: ServerProcess | null = null;
  private stopping = false;
  /** The supervisor's restart after an unexpected exit, once it is under way. */
  private restarting: Promise<void> = Promise.resolve();
  /** Exits nobody asked for, with their code, in order. */
  readonly unexpectedExits: Array<{ at: number; code: number | null; signal: string | null }> = [];

  constructor(
    private readonly db: BenchDatabase,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly log: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** Starts a process and waits until it reports its workers started (or exits, then the next one is already on its way). */
  async start(): Promise<void> {
    if (this.stopping) return;
    const offset = statSync(this.logFile).size;
    const server = await spawnWorker(this.db, { ...this.env, LOG_LEVEL: 'info' }, this.logFile);
    this.current = server;
    server.child.once('exit', (code, signal) => {
      if (this.stopping || this.current !== server) return;
      this.current = null;
      this.unexpectedExits.push({ at: Date.now(), code, signal });
      this.log(`worker (pid ${server.child.pid}) exited by itself (code ${code}, signal ${signal}); the supervisor starts another in 1 s`);
      this.restarting = new Promise((resolve) => setTimeout(resolve, 1000)).then(() => this.start());
      this.restarting.catch((error: unknown) => this.log(`worker restart failed: ${String(error)}`));
    });
    const started = `"pid":${server.child.pid},`;
    const deadline = Date.now() + 60_000;
    while (this.current === server && Date.now() < deadline) {
      if (readFrom(this.logFile, offset).split('\n').some((line) => line.includes(started) && line.includes('"msg":"workers started"'))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.current === server) throw new Error(`the worker (pid ${server.child.pid}) did not start within 60 s; see ${this.logFile}`);
    // It exited while starting: the supervisor's next process is the one to wait for.
    await this.restarting;
  }

  /** SIGKILL; a new process `downMs` later, waited for until it started. */
  async kill(downMs: number): Promise<void> {
    const server = this.current;
    if (!server) return;
    this.current = null;
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    process.kill(server.child.pid!, 'SIGKILL');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.current) await stopServer(this.current);
    this.current = null;
  }
}
