import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dropDatabase } from '../src/kernel/db/provision';
import { parseId } from '../src/kernel/ids';
import { WebhookReceiver, type ReceivedDelivery } from '../test/support/webhook-receiver';
import { EVENTS_APP_URL, EVENTS_DATABASE, EVENTS_OWNER_URL, freshEventsDatabase, spawnEventsWorker } from './events-db';
import { send } from './load';
import { runBench, startServer, stopServer, type ServerProcess } from './processes';
import { ADMIN_URL, productionEnv } from './settings';

/**
 * Webhook delivery end to end, the API and the worker in separate processes as production runs
 * them: N `deal.updated` events (concurrent updateDeal mutations) fanned out to 1, then to 3
 * webhooks, POSTed to a receiver in this process on 127.0.0.1 that verifies every signature.
 * Reports deliveries per second and commit → received latency. See bench/README.md ("Webhooks").
 */

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const LOG_FILE = path.join(RESULTS, 'webhooks-servers.log');
const log = (line: string) => process.stdout.write(`[webhooks] ${line}\n`);
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => value.toFixed(0);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Options {
  events: number;
  deals: number;
  concurrency: number;
  workerConcurrency: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '5000' },
      deals: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16' },
      'worker-concurrency': { type: 'string', default: '5' },
    },
  });
  const whole = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1`);
    return value;
  };
  return { events: whole('events'), deals: whole('deals'), concurrency: whole('concurrency'), workerConcurrency: whole('worker-concurrency') };
}

const running = new Set<ServerProcess>();

async function gql<T>(api: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return (await send<T>(api, JSON.stringify({ query, variables }), token)).data;
}

/** When each update's answer arrived (its transaction had committed), by `<deal uuid> <version>`. */
type Commits = Map<string, number>;

/** `concurrency` clients updating the deals in turn until `events` updates have committed; each answer's version names its event. */
async function produce(api: string, token: string, dealIds: string[], events: number, commits: Commits, concurrency: number): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < events) {
      const n = next++;
      const id = dealIds[n % dealIds.length];
      const { updateDeal } = await gql<{ updateDeal: { version: number } }>(api, token, 'mutation($id: ID!, $name: String!) { updateDeal(id: $id, input: { name: $name }) { version } }', { id, name: `Deal update ${n}` });
      commits.set(`${parseId(id)!.uuid} ${updateDeal.version}`, wallMs());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

interface Phase {
  webhooks: number;
  deliveries: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  unverified: number;
}

async function runPhase(api: string, token: string, receiver: WebhookReceiver, dealIds: string[], webhooks: number, options: Options): Promise<Phase> {
  const created: string[] = [];
  for (let i = 0; i < webhooks; i++) {
    const route = `/hook-${webhooks}-${i}`;
    const { createWebhook } = await gql<{ createWebhook: { webhook: { id: string }; secret: string } }>(
      api,
      token,
      'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } secret } }',
      { input: { url: receiver.url(route), events: ['deal.updated'] } },
    );
    receiver.secrets.set(route, createWebhook.secret);
    created.push(createWebhook.webhook.id);
  }
  const commits: Commits = new Map();
  const latencies: number[] = [];
  let unverified = 0;
  let firstCommit = Infinity;
  let lastReceived = 0;
  receiver.onDelivery = (delivery: ReceivedDelivery) => {
    const key = `${parseId(delivery.body.record.id)!.uuid} ${delivery.body.after.version}`;
    const committed = commits.get(key);
    if (!delivery.verified) unverified++;
    if (committed === undefined) return;
    latencies.push(delivery.receivedAt - committed);
    lastReceived = Math.max(lastReceived, delivery.receivedAt);
  };
  const expected = options.events * webhooks;
  log(`${webhooks} webhook(s): producing ${options.events} updates with ${options.concurrency} clients, ${expected} deliveries expected`);
  const started = wallMs();
  const produced = produce(api, token, dealIds, options.events, commits, options.concurrency).then(() => {
    firstCommit = Math.min(...commits.values());
  });
  let last = 0;
  for (;;) {
    if (latencies.length >= expected) break;
    if (wallMs() - started > 15 * 60_000) throw new Error(`only ${latencies.length} of ${expected} deliveries after 15 minutes`);
    if (wallMs() - last >= 1000) {
      last = wallMs();
      log(`${((last - started) / 1000).toFixed(0).padStart(4)} s: committed ${commits.size}, received ${latencies.length} of ${expected}`);
    }
    await sleep(100);
  }
  await produced;
  receiver.onDelivery = null;
  for (const id of created) await gql(api, token, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id });
  latencies.sort((a, b) => a - b);
  return {
    webhooks,
    deliveries: latencies.length,
    perSecond: latencies.length / ((lastReceived - firstCommit) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    unverified,
  };
}

function report(phases: Phase[], options: Options): string {
  return [
    `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}; API, worker, receiver, PostgreSQL, Redis and the load share them.`,
    `${options.events} deal.updated events (updateDeal over ${options.deals} deals, ${options.concurrency} clients), worker concurrency ${options.workerConcurrency}.`,
    '',
    '| Webhooks | Deliveries | Deliveries/s | Commit → received p50 / p99 / max ms | Signatures failing |',
    '|---:|---:|---:|---:|---:|',
    ...phases.map((p) => `| ${p.webhooks} | ${p.deliveries} | ${p.perSecond.toFixed(0)} | ${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)} | ${p.unverified} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(LOG_FILE, '');
  log(`fresh database ${EVENTS_DATABASE}`);
  await freshEventsDatabase();
  const env = { ...productionEnv(EVENTS_APP_URL, EVENTS_OWNER_URL), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback' };
  const api = await startServer({ name: 'API', script: path.join(ROOT, 'dist/src/main.js'), applicationName: 'crm-api', env }, LOG_FILE);
  running.add(api);
  const worker = await spawnEventsWorker({ WORKER_CONCURRENCY: String(options.workerConcurrency), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback' }, LOG_FILE);
  running.add(worker);
  log(`API (pid ${api.child.pid}) at ${api.url}, worker (pid ${worker.child.pid})`);
  const receiver = await WebhookReceiver.start();
  receiver.keep = false;
  try {
    const { data: { signUp } } = await send<{ signUp: { token: string } }>(
      api.url,
      JSON.stringify({
        query: 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
        variables: { input: { workspaceName: 'Webhook Bench GmbH', name: 'Wanda Webhooks', email: 'webhooks@bench.example.com', password: 'bench-password-123' } },
      }),
    );
    const token = signUp.token;
    const dealIds: string[] = [];
    for (let i = 0; i < options.deals; i++) {
      dealIds.push((await gql<{ createDeal: { id: string } }>(api.url, token, 'mutation($name: String!) { createDeal(input: { name: $name }) { id } }', { name: `Bench deal ${i}` })).createDeal.id);
    }
    const phases: Phase[] = [];
    for (const webhooks of [1, 3]) phases.push(await runPhase(api.url, token, receiver, dealIds, webhooks, options));
    const table = report(phases, options);
    writeFileSync(path.join(RESULTS, 'webhooks-latest.md'), `${table}\n`);
    process.stdout.write(`\n${table}\n\n`);
    const failing = phases.reduce((sum, p) => sum + p.unverified, 0);
    process.stdout.write(
      `webhooks: ${phases.map((p) => `${p.webhooks} webhook(s) ${p.perSecond.toFixed(0)} deliveries/s, commit → received p50 ${ms(p.p50)} ms p99 ${ms(p.p99)} ms`).join('; ')}; ${failing} signatures failed\n`,
    );
    if (failing > 0) process.exitCode = 1;
  } finally {
    await receiver.close();
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server)));
  running.clear();
  await dropDatabase(ADMIN_URL, EVENTS_DATABASE);
}

runBench('webhooks', main, stopAll);
