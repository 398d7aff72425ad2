import 'reflect-metadata';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/config';
import { Role } from '../src/kernel/auth/roles';
import { RequestContext, type Actor, type AppRuntime } from '../src/kernel/context';
import { createDataSource, statementCounter } from '../src/kernel/db/data-source';
import { dropDatabase, ensureRolesAndDatabase, migrate } from '../src/kernel/db/provision';
import { encodeId } from '../src/kernel/ids';
import { createLogger } from '../src/kernel/logger';
import { authService, membersService } from '../src/modules/identity';
import { RoutingObjectType, RoutingStrategy, routingRulesService, routingService, teamsService } from '../src/modules/routing';
import { buildCrmSchema } from '../src/schema';
import { ADMIN_URL, APP_URL, DATA_ENCRYPTION_KEY, JWT_SECRET, OWNER_URL, POOL_SIZE } from './settings';

/**
 * Lead routing throughput: a fresh database with one workspace, a 7-member team and three
 * rules (a FIXED_USER rule for partner leads, a TERRITORY rule for Austria, a ROUND_ROBIN
 * catch-all over the team), N unowned contacts inserted in one statement, then every contact
 * routed through `routingService.route` (each in its own transaction, as the worker does) by
 * `--concurrency` loops at once. Prints progress and one summary line.
 */

const DATABASE = process.env.BENCH_ROUTING_DATABASE ?? 'crm_bench_routing';
const inDatabase = (url: string) => url.replace(/\/[^/]*$/, `/${DATABASE}`);
const log = (line: string) => process.stdout.write(`[routing] ${line}\n`);

function options(): { leads: number; concurrency: number; keep: boolean } {
  const { values } = parseArgs({
    options: { leads: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '8' }, keep: { type: 'boolean', default: false } },
  });
  const leads = Number(values.leads);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(leads) || leads < 1) throw new Error('--leads must be a whole number of at least 1');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > POOL_SIZE) throw new Error(`--concurrency must be 1…${POOL_SIZE}`);
  return { leads, concurrency, keep: values.keep };
}

async function withContext<T>(runtime: AppRuntime, actor: Actor | null, workspaceId: string, work: (ctx: RequestContext) => Promise<T>): Promise<T> {
  const ctx = actor ? new RequestContext(runtime, actor) : RequestContext.system(runtime, workspaceId);
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

/** The workspace, 7 sales members in one team, and the three rules. */
async function seedWorkspace(runtime: AppRuntime): Promise<Actor> {
  const signUp = await authService.signUp(new RequestContext(runtime, null), {
    workspaceName: 'Routing Bench',
    name: 'Rita Routing',
    email: 'routing-bench@example.com',
    password: 'bench-password-123',
  });
  const admin: Actor = { userId: signUp.user.id, workspaceId: signUp.workspace.id, role: Role.ADMIN };
  const team = await withContext(runtime, admin, admin.workspaceId, (ctx) => teamsService.create(ctx, { name: 'Inbound' }));
  const sellers: string[] = [];
  for (let i = 0; i < 7; i++) {
    const seat = await withContext(runtime, admin, admin.workspaceId, (ctx) =>
      membersService.add(ctx, { email: `seller${i}@routing-bench.example`, role: Role.SALES, name: `Seller ${i}`, password: 'bench-password-123' }),
    );
    sellers.push(seat.userId);
    await withContext(runtime, admin, admin.workspaceId, (ctx) => teamsService.addMember(ctx, team.id, encodeId('User', seat.userId)));
  }
  const schema = await buildCrmSchema();
  const rules = [
    { name: 'Partners', condition: { source: { eq: 'partner' } }, strategy: RoutingStrategy.FIXED_USER, userId: encodeId('User', sellers[0]) },
    {
      name: 'Austria',
      condition: { country: { eq: 'AT' } },
      strategy: RoutingStrategy.TERRITORY,
      territories: [
        { country: 'AT', userId: encodeId('User', sellers[1]) },
        { country: 'AT', postcodePrefix: '1', userId: encodeId('User', sellers[2]) },
      ],
    },
    { name: 'Everyone else', strategy: RoutingStrategy.ROUND_ROBIN, teamId: encodeId('Team', team.id) },
  ];
  for (const rule of rules) {
    await withContext(runtime, admin, admin.workspaceId, (ctx) => routingRulesService.create(ctx, schema, { objectType: RoutingObjectType.CONTACT, ...rule }));
  }
  return admin;
}

/** N unowned contacts in one statement: 10 % partner leads, 20 % in Austria, the rest in Germany. */
async function insertLeads(runtime: AppRuntime, workspaceId: string, leads: number): Promise<string[]> {
  return withContext(runtime, null, workspaceId, (ctx) =>
    ctx.db.write(async (em) => {
      const rows = (await em.query(
        `INSERT INTO contacts (workspace_id, last_name, country, postal_code, source)
         SELECT $1, 'Lead ' || n, CASE WHEN n % 5 = 0 THEN 'AT' ELSE 'DE' END, lpad(((n * 7919) % 99999)::text, 5, '0'),
                CASE WHEN n % 10 = 3 THEN 'partner' ELSE 'web' END
           FROM generate_series(1, $2) AS n RETURNING id`,
        [workspaceId, leads],
      )) as Array<{ id: string }>;
      return rows.map((row) => row.id);
    }),
  );
}

async function routeAll(runtime: AppRuntime, workspaceId: string, ids: string[], concurrency: number): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.floor(ids.length / 5));
  const loop = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const decision = await withContext(runtime, null, workspaceId, (ctx) => ctx.db.write((em) => routingService.route(ctx, em, RoutingObjectType.CONTACT, id)));
      const key = decision?.outcome ?? 'SKIPPED';
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (++done % step === 0) log(`routed ${done}/${ids.length}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return outcomes;
}

async function main(): Promise<void> {
  const { leads, concurrency, keep } = options();
  const ownerUrl = inDatabase(OWNER_URL);
  const appUrl = inDatabase(APP_URL);
  await dropDatabase(ADMIN_URL, DATABASE);
  await ensureRolesAndDatabase(ADMIN_URL, ownerUrl, appUrl);
  await migrate(ownerUrl, appUrl);
  log(`database ${DATABASE} created and migrated`);
  const config = parseConfig({ NODE_ENV: 'production', DATABASE_URL: appUrl, JWT_SECRET, DATA_ENCRYPTION_KEY, LOG_LEVEL: 'silent' });
  const dataSource = createDataSource({ url: appUrl, poolSize: POOL_SIZE, applicationName: 'crm-bench-routing' });
  await dataSource.initialize();
  const runtime: AppRuntime = { config, dataSource, logger: createLogger('silent') };
  try {
    const admin = await seedWorkspace(runtime);
    const ids = await insertLeads(runtime, admin.workspaceId, leads);
    log(`seeded 7 sellers, 3 rules and ${ids.length} unowned contacts; routing with concurrency ${concurrency}`);
    const statementsBefore = statementCounter(dataSource).count;
    const started = process.hrtime.bigint();
    const outcomes = await routeAll(runtime, admin.workspaceId, ids, concurrency);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const statements = (statementCounter(dataSource).count - statementsBefore) / leads;
    const summary = [...outcomes].map(([outcome, n]) => `${outcome} ${n}`).join(', ');
    log(
      `${leads} leads routed in ${seconds.toFixed(2)} s = ${Math.round(leads / seconds)} leads/s ` +
        `(concurrency ${concurrency}, ${availableParallelism()} CPUs, ${statements.toFixed(1)} SQL statements per lead; ${summary})`,
    );
  } finally {
    await dataSource.destroy();
    if (!keep) await dropDatabase(ADMIN_URL, DATABASE);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
