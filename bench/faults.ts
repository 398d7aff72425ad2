import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { dropDatabase } from '../src/kernel/db/provision';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { benchDatabase, freshDatabase, type BenchDatabase } from './events-db';
import { AUTOMATION_NOTE, AUTOMATION_TAG, progressOf, receiptOf, tallyEffects, type Receipt, type Tally } from './fault-effects';
import { RedisProcess, SupervisedWorker, TcpProxy, terminateBackends } from './fault-injection';
import { MixedLoad, succeeded, type LoadWorkspace } from './fault-load';
import { recoveries, reportMarkdown, summaryLine, type FaultWindow, type RunSummary } from './fault-report';
import { send } from './load';
import { runBench, startServer, stopServer, type ServerProcess } from './processes';
import { ADMIN_URL, API_APPLICATION_NAME, HOST, productionEnv } from './settings';

/**
 * Faults under load (issue 10): the API and the worker as production runs them, through a TCP
 * proxy to PostgreSQL and on a Redis of their own, serve a mixed load of two workspaces while
 * the worker is killed (-9), Redis restarts empty, and PostgreSQL "restarts" (every backend of
 * the bench database terminated, then connections refused for a while). Afterwards every deal
 * event must have had its webhook delivered once and every created deal its automation run once.
 * See bench/README.md ("Faults under load").
 */

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const LOG_FILE = path.join(RESULTS, 'faults-servers.log');
const DATABASE = process.env.BENCH_FAULTS_DATABASE ?? 'crm_bench_faults';
/** application_name prefix of the benchmark's own connections, which a simulated restart spares. */
const OBSERVER = 'crm-bench-faults';
const log = (line: string) => process.stdout.write(`[faults] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  durationS: number;
  connections: number;
  outageS: number;
  workerDownS: number;
  settleS: number;
  maxDrainS: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '100' },
      outage: { type: 'string', default: '5' },
      'worker-down': { type: 'string', default: '2' },
      settle: { type: 'string', default: '90' },
      'max-drain': { type: 'string', default: '600' },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  const connections = positive('connections');
  if (!Number.isInteger(connections)) throw new Error('--connections must be a whole number');
  return {
    durationS: positive('duration'),
    connections,
    outageS: positive('outage'),
    workerDownS: positive('worker-down'),
    settleS: positive('settle'),
    maxDrainS: positive('max-drain'),
  };
}

/** Everything the run started, so clean-up (Ctrl-C too) stops it by PID and drops the database. */
const started: { servers: Set<ServerProcess>; worker?: SupervisedWorker; redis?: RedisProcess; proxy?: TcpProxy; receiver?: WebhookReceiver; observer?: Client; database: boolean } = {
  servers: new Set(),
  database: false,
};

async function gql<T>(api: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return (await send<T>(api, JSON.stringify({ query, variables }), token)).data;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** A workspace with a webhook for deal.* to the receiver, an automation tagging and noting every new deal, and some accounts, contacts and deals to read. */
async function setUpWorkspace(api: string, receiver: WebhookReceiver, index: number): Promise<LoadWorkspace> {
  const name = `Fault Bench ${index + 1} GmbH`;
  const { data: { signUp } } = await send<{ signUp: { token: string } }>(
    api,
    JSON.stringify({
      query: 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
      variables: { input: { workspaceName: name, name: `Fay Faults ${index + 1}`, email: `faults-${index + 1}@bench.example.com`, password: 'bench-password-123' } },
    }),
  );
  const token = signUp.token;
  const route = `/workspace-${index + 1}`;
  const { createWebhook } = await gql<{ createWebhook: { secret: string } }>(api, token, 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }', {
    input: { url: receiver.url(route), events: ['deal.*'] },
  });
  receiver.secrets.set(route, createWebhook.secret);
  await gql(api, token, 'mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { id } }', {
    input: {
      name: 'Tag and note every new deal',
      trigger: { type: 'RECORD_CREATED', objectType: 'DEAL' },
      actions: [{ type: 'ADD_TAG', tag: AUTOMATION_TAG }, { type: 'CREATE_NOTE', title: AUTOMATION_NOTE, body: 'Written by the fault benchmark\'s automation.' }],
    },
  });
  const workspace: LoadWorkspace = { name, token, accountIds: [], dealIds: [] };
  await inParallel([...Array(10).keys()], 5, async (i) => {
    const { createAccount } = await gql<{ createAccount: { id: string } }>(api, token, 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', {
      input: { name: `Fault Account ${i}`, industry: 'Retail', city: 'Köln' },
    });
    workspace.accountIds.push(createAccount.id);
    for (let c = 0; c < 3; c++) {
      await gql(api, token, 'mutation($input: CreateContactInput!) { createContact(input: $input) { id } }', {
        input: { firstName: `Fay ${i}`, lastName: `Contact ${c}`, email: `contact-${i}-${c}@ws${index + 1}.example.com`, accountId: createAccount.id },
      });
    }
  });
  await inParallel([...Array(30).keys()], 5, async (i) => {
    const { createDeal } = await gql<{ createDeal: { id: string } }>(api, token, 'mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }', {
      input: { name: `Fault seed deal ${i}`, amount: '5000.00', accountId: workspace.accountIds[i % workspace.accountIds.length] },
    });
    workspace.dealIds.push(createDeal.id);
  });
  return workspace;
}

/** Polls the effects until every one is there and no row is still on its way, or until nothing changed for `settleS`. */
async function drain(observer: Client, receipts: Receipt[], settleS: number, maxS: number): Promise<{ tally: Tally; seconds: number }> {
  const began = Date.now();
  let last = '';
  let changedAt = Date.now();
  for (;;) {
    const tally = await tallyEffects(observer, receipts);
    const progress = progressOf(tally);
    const seconds = (Date.now() - began) / 1000;
    if (progress !== last) {
      last = progress;
      changedAt = Date.now();
      log(`drain ${seconds.toFixed(0).padStart(4)} s: ${progress}`);
    }
    if (tally.settled || Date.now() - changedAt > settleS * 1000 || seconds > maxS) return { tally, seconds };
    await sleep(2000);
  }
}

function commitMeasured(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT }).toString().trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The processes under test and what the runner observes them with. */
interface Stack {
  api: ServerProcess;
  worker: SupervisedWorker;
  redis: RedisProcess;
  proxy: TcpProxy;
  receiver: WebhookReceiver;
  receipts: Receipt[];
  observer: Client;
}

/** Private Redis, the proxy, a fresh database, the API and the supervised worker, the receiver and an observer connection. */
async function startStack(): Promise<Stack> {
  const [pgHost, pgPort] = HOST.split(':');
  const redis = (started.redis = await RedisProcess.start(LOG_FILE));
  const proxy = (started.proxy = await TcpProxy.start({ host: pgHost, port: Number(pgPort ?? 5432) }));
  log(`redis-server (pid ${redis.pid}) on ${redis.port}, PostgreSQL proxy on ${proxy.port}; fresh database ${DATABASE}`);
  started.database = true;
  await freshDatabase(benchDatabase(DATABASE));
  const db: BenchDatabase = benchDatabase(DATABASE, proxy.host);
  const shared = { REDIS_URL: redis.url, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback', QUEUE_PREFIX: 'crm-bench-faults' };
  const api = await startServer({ name: 'API', script: path.join(ROOT, 'dist/src/main.js'), applicationName: API_APPLICATION_NAME, env: { ...productionEnv(db.appUrl, db.ownerUrl), ...shared } }, LOG_FILE);
  started.servers.add(api);
  const worker = (started.worker = new SupervisedWorker(db, shared, LOG_FILE, log));
  await worker.start();
  log(`API (pid ${api.child.pid}) at ${api.url}, worker (pid ${worker.pid})`);
  const receiver = (started.receiver = await WebhookReceiver.start());
  receiver.keep = false;
  const receipts: Receipt[] = [];
  receiver.onDelivery = (delivery) => receipts.push(receiptOf(delivery));
  const adminDb = new URL(ADMIN_URL);
  adminDb.pathname = `/${DATABASE}`;
  const observer = (started.observer = new Client({ connectionString: adminDb.toString(), application_name: `${OBSERVER}-observer` }));
  await observer.connect();
  return { api, worker, redis, proxy, receiver, receipts, observer };
}

/** The three faults in turn, each at its point of the load; returns when each began and was restored. */
async function injectFaults(stack: Stack, options: Options, loadStart: number, onPhase: (phase: string) => void): Promise<FaultWindow[]> {
  const faults: FaultWindow[] = [];
  const at = (fraction: number) => sleep(Math.max(0, loadStart + fraction * options.durationS * 1000 - Date.now()));
  const fault = async (name: string, what: string, inject: () => Promise<void>, downMs = 0, restore: () => Promise<void> = async () => {}) => {
    const window: FaultWindow = { name, what, start: Date.now(), restored: 0 };
    onPhase(`${name}: down`);
    log(`${name}: ${what}`);
    await inject();
    await sleep(downMs);
    await restore();
    window.restored = Date.now();
    onPhase(`${name}: restored at ${((window.restored - loadStart) / 1000).toFixed(1)} s`);
    log(`${name}: restored after ${((window.restored - window.start) / 1000).toFixed(1)} s`);
    faults.push(window);
  };
  const outageMs = options.outageS * 1000;
  await at(0.15);
  await fault('worker kill -9', `SIGKILL to the worker process, a new one started ${options.workerDownS} s later (restored: it logged "workers started")`, () =>
    stack.worker.kill(options.workerDownS * 1000),
  );
  await at(0.4);
  await fault(
    'Redis restart',
    `SHUTDOWN NOSAVE of the private redis-server (no RDB, no AOF: every key lost), started again on the same port ${options.outageS} s later`,
    () => stack.redis.down(),
    outageMs,
    () => stack.redis.up(),
  );
  await at(0.65);
  await fault(
    'PostgreSQL restart (simulated)',
    `pg_terminate_backend of every backend of ${DATABASE} (API and worker), then the proxy refuses connections for ${options.outageS} s`,
    async () => {
      const ended = await terminateBackends(ADMIN_URL, DATABASE, OBSERVER);
      const dropped = await stack.proxy.cut();
      log(`terminated ${ended} backends, dropped ${dropped} proxied connections`);
    },
    outageMs,
    () => stack.proxy.resume(),
  );
  return faults;
}

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(LOG_FILE, '');
  const stack = await startStack();
  const { receipts, observer } = stack;
  const workspaces: LoadWorkspace[] = [];
  for (let i = 0; i < 2; i++) workspaces.push(await setUpWorkspace(stack.api.url, stack.receiver, i));
  log('two workspaces set up (webhook, automation, 10 accounts, 30 contacts, 30 deals each); waiting for their events');
  const baseline = await drain(observer, receipts, 30, 120);
  if (!baseline.tally.settled) throw new Error(`the set-up's events did not settle before any fault: ${progressOf(baseline.tally)}`);

  const load = new MixedLoad(stack.api.url, workspaces, options.connections);
  const loadStart = Date.now();
  const loadAverageAtStart = os.loadavg()[0];
  const loading = load.run(options.durationS * 1000);
  let phase = 'no fault';
  const progress = setInterval(() => {
    const failed = load.outcomes.filter((o) => !succeeded(o)).length;
    const fiveXx = load.outcomes.filter((o) => o.status >= 500).length;
    log(`${((Date.now() - loadStart) / 1000).toFixed(0).padStart(4)} s: ${load.outcomes.length} requests, ${failed} failed (${fiveXx} 5xx), ${receipts.length} webhook receipts; ${phase}`);
  }, 5000);
  let faults: FaultWindow[];
  try {
    faults = await injectFaults(stack, options, loadStart, (now) => (phase = now));
    await loading;
  } finally {
    clearInterval(progress);
  }
  const loadEnd = Date.now();
  const loadAverage: [number, number] = [loadAverageAtStart, os.loadavg()[0]];
  log(`load done: ${load.outcomes.length} requests in ${((loadEnd - loadStart) / 1000).toFixed(0)} s; waiting for the pipeline to drain (settled, or ${options.settleS} s without progress)`);
  const { tally, seconds } = await drain(observer, receipts, options.settleS, options.maxDrainS);
  const run: RunSummary = {
    commit: commitMeasured(),
    database: DATABASE,
    durationS: options.durationS,
    connections: options.connections,
    outcomes: load.outcomes,
    recoveries: recoveries(faults, load.outcomes, receipts, tally, loadEnd),
    tally,
    loadAverage,
    drainS: seconds,
    settled: tally.settled,
    workerExits: stack.worker.unexpectedExits.map((exit) => ({ atS: (exit.at - loadStart) / 1000, code: exit.code })),
  };
  const markdown = reportMarkdown(run);
  writeFileSync(path.join(RESULTS, 'faults-latest.md'), `${markdown}\n`);
  process.stdout.write(`\n${markdown}\n\n${summaryLine(run)}\n`);
  if (tally.lost > 0 || tally.duplicated > 0) process.exitCode = 1;
}

async function stopAll(): Promise<void> {
  await Promise.all([...[...started.servers].map((server) => stopServer(server)), started.worker?.stop()]);
  started.servers.clear();
  await started.observer?.end().catch(() => {});
  await started.receiver?.close();
  await started.proxy?.close();
  await started.redis?.down();
  if (started.database) await dropDatabase(ADMIN_URL, DATABASE);
}

runBench('faults', main, stopAll);
