import { createSecretKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';
import { BareForbidden, BareInputError, BareNotFound, OPERATIONS, type Sql, type Tenant } from './bare-queries';
import { APP_URL, BARE_APPLICATION_NAME, JWT_SECRET, POOL_SIZE } from './settings';

/**
 * The baseline: the benchmark's GraphQL operations answered by node:http + pg with hand-written
 * SQL. It pays what the API pays and nothing more: a JWT verified per request, the application
 * role under row-level security, and the tenant set per transaction with set_config(…, true).
 * It reads the same GraphQL request body and dispatches on `operationName`.
 */

const pool = new Pool({ connectionString: APP_URL, max: POOL_SIZE, application_name: BARE_APPLICATION_NAME });
/** Built once, as the API's token module does (jsonwebtoken would derive a key from a string secret on every call). */
const jwtKey = createSecretKey(Buffer.from(JWT_SECRET, 'utf8'));
let statements = 0;

function tenantOf(header: string | undefined): Tenant | null {
  const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
  if (!token) return null;
  try {
    const claims = jwt.verify(token, jwtKey, { algorithms: ['HS256'], issuer: 'headless-crm' });
    if (typeof claims !== 'object' || claims.typ !== 'access' || !claims.sub || typeof claims.wsp !== 'string') return null;
    return { workspaceId: claims.wsp, userId: claims.sub, role: String(claims.role) };
  } catch {
    return null;
  }
}

/** One transaction with the tenant scope set, like the API's DbSession. */
async function inTenantTransaction<T>(tenant: Tenant, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const sql: Sql = async (text, values) => {
    statements++;
    return (await client.query(text, values)).rows;
  };
  try {
    await sql('BEGIN', []);
    await sql(`SELECT set_config('app.workspace_id', $1, true), set_config('app.user_id', $2, true)`, [tenant.workspaceId, tenant.userId]);
    const result = await work(sql);
    await sql('COMMIT', []);
    return result;
  } catch (error) {
    await sql('ROLLBACK', []).catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const graphqlError = (message: string, extensions: Record<string, unknown>) => ({ errors: [{ message, extensions }] });

function errorBody(error: unknown): unknown {
  if (error instanceof BareInputError) {
    return graphqlError(error.message, { code: 'BAD_USER_INPUT', fields: [{ field: error.field, message: error.message }] });
  }
  if (error instanceof BareNotFound) return graphqlError(error.message, { code: 'NOT_FOUND' });
  if (error instanceof BareForbidden) return graphqlError(error.message, { code: 'FORBIDDEN' });
  process.stderr.write(`[bare] ${error instanceof Error ? error.stack : String(error)}\n`);
  return graphqlError('Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
}

async function graphql(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const request = JSON.parse(await readBody(req)) as { operationName?: string; variables?: Record<string, unknown> };
  const operation = OPERATIONS[request.operationName ?? ''];
  if (!operation) return { status: 400, body: graphqlError(`Unknown operation ${request.operationName}`, { code: 'BAD_REQUEST' }) };
  const tenant = tenantOf(req.headers.authorization);
  if (!tenant) return { status: 200, body: graphqlError('Invalid or expired token', { code: 'UNAUTHENTICATED' }) };
  try {
    const data = await inTenantTransaction(tenant, (sql) => operation(sql, tenant, (request.variables ?? {}) as never));
    return { status: 200, body: { data } };
  } catch (error) {
    return { status: 200, body: errorBody(error) };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const route = (req.url ?? '/').split('?')[0];
  if (route === '/healthz') return send(res, 200, { status: 'ok' });
  if (route === '/stats') return send(res, 200, { statements });
  if (route !== '/graphql' || req.method !== 'POST') return send(res, 404, { error: 'Not found' });
  graphql(req).then(
    ({ status, body }) => send(res, status, body),
    (error: unknown) => send(res, 400, graphqlError(`Bad request: ${String(error)}`, { code: 'BAD_REQUEST' })),
  );
});

const port = Number(process.env.PORT ?? 4100);
server.listen(port, '127.0.0.1', () => process.stdout.write(`[bare] listening on http://127.0.0.1:${port}/graphql\n`));

function shutdown(): void {
  server.close(() => pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
