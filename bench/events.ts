import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseId } from '../src/kernel/ids';
import { EVENTS_APP_URL, EVENTS_DATABASE, EVENTS_OWNER_URL, EventsProbe, freshEventsDatabase, spawnEventsWorker, type HandledEvent } from './events-db';
import { send } from './load';
import { runBench, startServer, stopServer, type ServerProcess } from './processes';
import { productionEnv } from './settings';

/**
 * The record-event pipeline end to end, the API and the worker in separate processes: N events
 * produced by concurrent GraphQL mutations (createContact, then updateContact of the same
 * contact: one event each), from the committed change to the `processed-log` handler's claim in
 * processed_events. See bench/README.md ("Event pipeline").
 */

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'bench/results');
const LOG_FILE = path.join(RESULTS, 'events-servers.log');
const log = (line: string) => process.stdout.write(`[events] ${line}\n`);
/** Wall-clock milliseconds with sub-millisecond precision, comparable with the database's clock_timestamp() on this machine. */
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Phase = 'live' | 'backlog';

interface Options {
  events: number;
  concurrency: number;
  workerConcurrency: number;
  relayIntervalMs: number;
  /**
   * live: the worker runs while the API writes (commit → handler latency at the API's full write
   * rate); backlog: everything is written with the worker stopped, then it starts (the drain
   * rate). Both by default, live first, in one database.
   */
  phases: Phase[];
  /** The new contacts are leads, routed round-robin over a 7-member team by the worker: reports leads routed per second. */
  routing: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '16' },
      'worker-concurrency': { type: 'string', default: '5' },
      'relay-interval': { type: 'string', default: '200' },
      only: { type: 'string' },
      routing: { type: 'boolean', default: false },
    },
  });
  const whole = (name: keyof typeof values, min: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return value;
  };
  const events = whole('events', 2);
  if (events % 2) throw new Error('--events must be even (each contact gives a created and an updated event)');
  return {
    events,
    concurrency: whole('concurrency', 1),
    workerConcurrency: whole('worker-concurrency', 1),
    relayIntervalMs: whole('relay-interval', 10),
    phases: phasesOf(values.only, values.routing),
    routing: values.routing,
  };
}

function phasesOf(only: string | undefined, routing: boolean): Phase[] {
  if (only === undefined) return routing ? ['live'] : ['live', 'backlog'];
  if (only !== 'live' && only !== 'backlog') throw new Error('--only must be live or backlog');
  return [only];
}

const running = new Set<ServerProcess>();

async function signUp(api: string): Promise<{ token: string; workspaceId: string }> {
  const { data } = await send<{ signUp: { token: string; workspace: { id: string } } }>(
    api,
    JSON.stringify({
      query: 'mutation($input: SignUpInput!) { signUp(input: $input) { token workspace { id } } }',
      variables: { input: { workspaceName: 'Event Bench GmbH', name: 'Evi Events', email: 'events@bench.example.com', password: 'bench-password-123' } },
    }),
  );
  return { token: data.signUp.token, workspaceId: parseId(data.signUp.workspace.id)!.uuid };
}

const ROUTING_TEAM_SIZE = 7;

async function gql<T>(api: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  return (await send<T>(api, JSON.stringify({ query, variables }), token)).data;
}

/** A team of seven (the admin and six sales reps) and one round-robin rule for every new contact. */
async function setUpRouting(api: string, token: string): Promise<void> {
  const me = await gql<{ me: { id: string } }>(api, token, '{ me { id } }', {});
  const userIds = [me.me.id];
  for (let i = 1; i < ROUTING_TEAM_SIZE; i++) {
    const input = { email: `rep${i}@bench.example.com`, name: `Rep ${i}`, password: 'bench-password-123', role: 'SALES' };
    const added = await gql<{ addMember: { user: { id: string } } }>(api, token, 'mutation($input: AddMemberInput!) { addMember(input: $input) { user { id } } }', { input });
    userIds.push(added.addMember.user.id);
  }
  const team = await gql<{ createTeam: { id: string } }>(api, token, 'mutation { createTeam(input: { name: "Inbound" }) { id } }', {});
  for (const userId of userIds) {
    await gql(api, token, 'mutation($team: ID!, $user: ID!) { addTeamMember(teamId: $team, userId: $user) { id } }', { team: team.createTeam.id, user: userId });
  }
  const rule = { name: 'Every lead', objectType: 'CONTACT', strategy: 'ROUND_ROBIN', teamId: team.createTeam.id };
  await gql(api, token, 'mutation($input: CreateRoutingRuleInput!) { createRoutingRule(input: $input) { id } }', { input: rule });
}

/** Waits, with progress every second, until every produced contact has its routing decision. */
async function waitRouted(probe: EventsProbe, leads: number, startedMs: number, timeoutMs = 15 * 60_000): Promise<void> {
  let last = 0;
  for (;;) {
    const { decisions } = await probe.routing();
    if (decisions >= leads) return;
    if (wallMs() - startedMs > timeoutMs) throw new Error(`only ${decisions} of ${leads} leads routed after ${timeoutMs / 1000} s`);
    if (wallMs() - last >= 1000) {
      last = wallMs();
      log(`${((last - startedMs) / 1000).toFixed(0).padStart(4)} s: routed ${decisions} of ${leads} leads`);
    }
    await sleep(200);
  }
}

/** Leads routed per second from the first create to the last decision, and the spread over the team. */
async function reportRouting(probe: EventsProbe, leads: number, produced: { startedMs: number; endedMs: number }): Promise<void> {
  const result = await probe.routing();
  if (result.assigned !== leads) throw new Error(`expected ${leads} assigned leads, found ${result.assigned}`);
  const rate = leads / ((result.lastMs - produced.startedMs) / 1000);
  const creates = leads / ((produced.endedMs - produced.startedMs) / 1000);
  process.stdout.write(
    `routing: ${leads} leads created through the API and routed by the worker at ${rate.toFixed(0)} leads/s end to end ` +
      `(about ${creates.toFixed(0)} leads/s created, each with an update); per member ${result.perOwner[0]}–${result.perOwner[result.perOwner.length - 1]} ` +
      `over ${result.perOwner.length} members\n`,
  );
}

/** When each mutation's answer arrived (its transaction had committed by then), by `<record uuid> <event type>`. */
type Commits = Map<string, number>;

/** `concurrency` clients, each creating a contact and then updating it, until `events` events are written. */
async function produce(api: string, token: string, options: Options, commits: Commits): Promise<{ startedMs: number; endedMs: number }> {
  let pairs = 0;
  const startedMs = wallMs();
  const client = async () => {
    while (pairs < options.events / 2) {
      const n = pairs++;
      const created = await send<{ createContact: { id: string } }>(
        api,
        JSON.stringify({ query: 'mutation($last: String!) { createContact(input: { firstName: "Bench", lastName: $last }) { id } }', variables: { last: `Contact ${n}` } }),
        token,
      );
      const id = created.data.createContact.id;
      commits.set(`${parseId(id)!.uuid} contact.created`, wallMs());
      await send(api, JSON.stringify({ query: 'mutation($id: ID!) { updateContact(id: $id, input: { jobTitle: "Buyer" }) { id } }', variables: { id } }), token);
      commits.set(`${parseId(id)!.uuid} contact.updated`, wallMs());
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return { startedMs, endedMs: wallMs() };
}

function startWorker(options: Options): Promise<ServerProcess> {
  return spawnEventsWorker({ WORKER_CONCURRENCY: String(options.workerConcurrency), EVENT_RELAY_INTERVAL_MS: String(options.relayIntervalMs) }, LOG_FILE);
}

/** Prints progress every second until the handler has done `target` events. */
async function waitHandled(probe: EventsProbe, target: number, commits: Commits, startedMs: number, timeoutMs = 15 * 60_000): Promise<void> {
  let last = 0;
  for (;;) {
    const { handled } = await probe.counts();
    if (handled >= target) return;
    if (wallMs() - startedMs > timeoutMs) throw new Error(`only ${handled} of ${target} events handled after ${timeoutMs / 1000} s`);
    if (wallMs() - last >= 1000) {
      last = wallMs();
      log(`${((last - startedMs) / 1000).toFixed(0).padStart(4)} s: committed ${commits.size}, handled ${handled} of ${target}`);
    }
    await sleep(100);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Figures {
  events: number;
  eventsPerSecond: number;
  apiPerSecond: number;
  fromCommit: { p50: number; p99: number; max: number };
  fromTxStart: { p50: number; p99: number };
}

/** The figures of one phase, from the events of the mutations it made (`commits`). */
function figures(all: HandledEvent[], commits: Commits, produced: { startedMs: number; endedMs: number }, options: Options, phase: Phase): Figures {
  const fromCommit: number[] = [];
  const fromTxStart: number[] = [];
  const handled = all.filter((event) => commits.has(`${event.recordId} ${event.type}`));
  for (const event of handled) {
    fromCommit.push(event.handledMs - commits.get(`${event.recordId} ${event.type}`)!);
    fromTxStart.push(event.handledMs - event.occurredMs);
  }
  if (handled.length !== options.events) throw new Error(`expected ${options.events} handled events, found ${handled.length}`);
  fromCommit.sort((a, b) => a - b);
  fromTxStart.sort((a, b) => a - b);
  const lastHandled = Math.max(...handled.map((event) => event.handledMs));
  // Live: from the first transaction's start to the last claim. Backlog: from the first claim to the last (the drain alone).
  const firstMs = phase === 'backlog' ? Math.min(...handled.map((event) => event.handledMs)) : Math.min(...handled.map((event) => event.occurredMs));
  return {
    events: handled.length,
    eventsPerSecond: handled.length / ((lastHandled - firstMs) / 1000),
    apiPerSecond: options.events / ((produced.endedMs - produced.startedMs) / 1000),
    fromCommit: { p50: percentile(fromCommit, 50), p99: percentile(fromCommit, 99), max: fromCommit[fromCommit.length - 1] },
    fromTxStart: { p50: percentile(fromTxStart, 50), p99: percentile(fromTxStart, 99) },
  };
}

function report(results: Array<[Phase, Figures]>, options: Options): string {
  const ms = (value: number) => value.toFixed(0);
  const settings = `${options.concurrency} clients, worker concurrency ${options.workerConcurrency}, relay interval ${options.relayIntervalMs} ms`;
  const row = ([phase, f]: [Phase, Figures]) =>
    `| ${phase === 'backlog' ? 'backlog drain' : 'live'} | ${f.events} | ${f.eventsPerSecond.toFixed(0)} | ${f.apiPerSecond.toFixed(0)} | ${ms(f.fromCommit.p50)} / ${ms(f.fromCommit.p99)} | ${ms(f.fromTxStart.p50)} / ${ms(f.fromTxStart.p99)} | ${settings} |`;
  return [
    `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}; API, worker, PostgreSQL, Redis and the load share them.`,
    '',
    '| Mode | Events | Events/s end to end | Mutations/s (API) | Commit → handler p50 / p99 ms | Transaction start → handler p50 / p99 ms | Settings |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...results.map(row),
  ].join('\n');
}

/** The one-line summary: live latency and rate, and the backlog's drain rate, as far as measured. */
function summary(results: Array<[Phase, Figures]>): string {
  const parts = results.map(([phase, f]) =>
    phase === 'live'
      ? `live at ${f.apiPerSecond.toFixed(0)} mutations/s: commit → handler p50 ${f.fromCommit.p50.toFixed(0)} ms, p99 ${f.fromCommit.p99.toFixed(0)} ms`
      : `backlog of ${f.events} drained at ${f.eventsPerSecond.toFixed(0)} events/s`,
  );
  return `events: ${parts.join('; ')}\n`;
}

async function main(): Promise<void> {
  const options = readOptions();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(LOG_FILE, '');
  log(`fresh database ${EVENTS_DATABASE}`);
  await freshEventsDatabase();
  const api = await startServer({ name: 'API', script: path.join(ROOT, 'dist/src/main.js'), applicationName: 'crm-api', env: productionEnv(EVENTS_APP_URL, EVENTS_OWNER_URL) }, LOG_FILE);
  running.add(api);
  log(`API (pid ${api.child.pid}) at ${api.url}`);
  const { token, workspaceId } = await signUp(api.url);
  if (options.routing) await setUpRouting(api.url, token);
  const probe = new EventsProbe(workspaceId);
  await probe.connect();
  let worker: ServerProcess | null = null;
  const launchWorker = async () => {
    worker = await startWorker(options);
    running.add(worker);
    log(`worker (pid ${worker.child.pid}), concurrency ${options.workerConcurrency}, relay every ${options.relayIntervalMs} ms`);
  };
  const stopWorker = async () => {
    if (!worker) return;
    await stopServer(worker);
    running.delete(worker);
    worker = null;
  };
  try {
    const results: Array<[Phase, Figures]> = [];
    for (const phase of options.phases) {
      const commits: Commits = new Map();
      if (phase === 'live') {
        if (!worker) await launchWorker();
        // Everything written so far (the sign-up's events at first) handled: the worker is up and the path works before the clock starts.
        const { written } = await probe.counts();
        await waitHandled(probe, written, commits, wallMs(), 60_000);
      } else await stopWorker();
      const { written: before } = await probe.counts();
      log(`${phase}: producing ${options.events} events with ${options.concurrency} concurrent clients${phase === 'backlog' ? ' (worker stopped)' : ''}`);
      const produced = produce(api.url, token, options, commits);
      if (phase === 'backlog') {
        const done = await produced;
        log(`${options.events} events committed in ${((done.endedMs - done.startedMs) / 1000).toFixed(1)} s; starting the worker`);
        await launchWorker();
      }
      if (options.routing) {
        // Each lead's routing writes one more event (the owner change), so count decisions instead.
        await waitRouted(probe, options.events / 2, wallMs());
        await reportRouting(probe, options.events / 2, await produced);
        return;
      }
      await waitHandled(probe, before + options.events, commits, wallMs());
      results.push([phase, figures(await probe.handled('contact.'), commits, await produced, options, phase)]);
    }
    const table = report(results, options);
    writeFileSync(path.join(RESULTS, 'events-latest.md'), `${table}\n`);
    process.stdout.write(`\n${table}\n\n${summary(results)}`);
  } finally {
    await probe.end();
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server)));
  running.clear();
}

runBench('events', main, stopAll);
