import { createApp, type App } from '../../src/app';
import { parseConfig, type Config } from '../../src/config/config';
import { statementCounter } from '../../src/kernel/db/data-source';
import { createLogger, type Logger } from '../../src/kernel/logger';
import { createTestDatabase, type TestDatabase } from './databases';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; fields?: Array<{ field: string; message: string }>; [k: string]: unknown } }>;
}

export interface Session {
  token: string;
  refreshToken: string;
  userId: string;
  workspaceId: string;
  email: string;
}

/** A real server on a free port over its own database; one per test file. */
export class TestApp {
  private constructor(
    readonly app: App,
    readonly database: TestDatabase,
    readonly url: string,
    /** False for a second server over another's database (`alongside`): stopping it keeps the database. */
    private readonly ownsDatabase = true,
  ) {}

  static async start(label: string, env: Record<string, string> = {}, logger: Logger = createLogger('silent')): Promise<TestApp> {
    const database = await createTestDatabase(label);
    const config = parseConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.appUrl,
      WORKER_DATABASE_URL: database.workerUrl,
      MIGRATION_DATABASE_URL: database.ownerUrl,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
      // Buckets of their own per test database, and roomy: only the limits' own tests (limits, sign-in-limits, …) meet them.
      RATE_LIMIT_KEY_PREFIX: `crm-test:${database.name}`,
      RATE_LIMIT_CAPACITY: '1000000',
      RATE_LIMIT_API_KEY_CAPACITY: '1000000',
      RATE_LIMIT_ANONYMOUS_CAPACITY: '1000000',
      RATE_LIMIT_SIGN_IN_CAPACITY: '1000000',
      RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY: '1000000',
      // Database time is charged only where a test asks for it (it varies with the machine's load).
      GRAPHQL_DATABASE_MS_PER_POINT: '1000000',
      // Receivers in tests listen on 127.0.0.1; every other closed range stays closed.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'loopback',
      DATA_ENCRYPTION_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      ...env,
    });
    const app = await createApp(config, logger);
    const port = await app.server.listen(0, '127.0.0.1');
    return new TestApp(app, database, `http://127.0.0.1:${port}`);
  }

  /** A second API process (its own pools, Redis connections and port) over the same database; `overrides` change its config. */
  static async alongside(other: TestApp, logger: Logger = createLogger('silent'), overrides: Partial<Config> = {}): Promise<TestApp> {
    const app = await createApp({ ...other.app.runtime.config, ...overrides }, logger);
    const port = await app.server.listen(0, '127.0.0.1');
    return new TestApp(app, other.database, `http://127.0.0.1:${port}`, false);
  }

  async stop(): Promise<void> {
    await this.app.stop();
    if (this.ownsDatabase) await this.database.drop();
  }

  /** SQL statements the API has sent so far (for N+1 checks). */
  get statements(): number {
    return statementCounter(this.app.runtime.dataSource).count;
  }

  async gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, auth?: Session | string): Promise<GraphQLResult<T>> {
    const token = typeof auth === 'string' ? auth : auth?.token;
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
    return { status: response.status, ...body };
  }

  /** Like gql, but fails the test on any error and returns data. */
  async ok<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, auth?: Session | string): Promise<T> {
    const result = await this.gql<T>(query, variables, auth);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  private counter = 0;

  /** Signs up a new workspace and its admin. */
  async signUp(workspaceName = 'Test GmbH'): Promise<Session> {
    const email = `admin${++this.counter}.${Date.now()}@example.com`;
    const data = await this.ok(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token refreshToken user { id } workspace { id } } }`,
      { input: { workspaceName, name: 'Ada Admin', email, password: 'correct horse battery' } },
    );
    const s = data.signUp;
    return { token: s.token, refreshToken: s.refreshToken, userId: s.user.id, workspaceId: s.workspace.id, email };
  }

  /** Adds a member with `role` to the admin's workspace and signs them in. */
  async member(admin: Session, role: string): Promise<Session> {
    const email = `${role.toLowerCase()}${++this.counter}.${Date.now()}@example.com`;
    await this.ok(
      `mutation($input: AddMemberInput!) { addMember(input: $input) { id } }`,
      { input: { email, role, name: `${role} person`, password: 'correct horse battery' } },
      admin,
    );
    const data = await this.ok(
      `mutation($input: SignInInput!) { signIn(input: $input) { token refreshToken user { id } workspace { id } } }`,
      { input: { email, password: 'correct horse battery', workspaceId: admin.workspaceId } },
    );
    const s = data.signIn;
    return { token: s.token, refreshToken: s.refreshToken, userId: s.user.id, workspaceId: s.workspace.id, email };
  }
}

export function errorCode(result: GraphQLResult): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

export function errorFields(result: GraphQLResult): string[] {
  return (result.errors?.[0]?.extensions?.fields ?? []).map((f) => f.field);
}
