import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Redis } from 'ioredis';
import type { AppRuntime, RequestContext } from '../kernel/context';
import { databaseUnavailable } from '../kernel/db/unavailable';
import { unavailableError } from '../kernel/format-error';
import { contextFromAuthorization } from './authenticate';
import { createApollo } from './graphql-server';
import { EXAMPLE_DASHBOARD_PATH, serveExampleDashboard } from './example-route';
import { IMPORTS_PATH, createImportRoute } from './import-route';
import { executeIdempotently } from './idempotency/idempotent-request';
import { clientAddress } from './limits/client-address';
import { requestGuards } from './limits/request-guards';
import { refuse, screenRequest } from './limits/screen-request';
import { admitSocketOperation, tooManySubscriptions } from './limits/subscription-limits';
import { createMetrics, metricsAccess, metricsListener, shareWithClusterPrimary } from './metrics';
import { unavailableStatusPlugin } from './unavailable-status';

const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const KNOWN_ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/imports']);

/** Beyond this much an oversized body is not read to its end: the connection is closed after the 413. */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

class PayloadTooLarge extends Error {
  /** False when the rest of the body was not read: the connection cannot be used again. */
  constructor(readonly drained: boolean) {
    super('payload too large');
  }
}

/**
 * The body as text, at most MAX_BODY_BYTES. An oversized body is read on to its end and thrown
 * away, so that the client, which is still sending, receives the 413 instead of a reset
 * connection; past MAX_DISCARDED_BYTES (or a declared length beyond it) the 413 goes out at once
 * with `Connection: close`.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => {
      req.removeAllListeners('data');
      reject(new PayloadTooLarge(false));
    };
    if (Number(req.headers['content-length']) > MAX_DISCARDED_BYTES) return tooLarge();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DISCARDED_BYTES) tooLarge();
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new PayloadTooLarge(true)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function badRequest(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'body', message }] } }] });
}

export interface CrmServer {
  httpServer: Server;
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, finishes in-flight requests, closes subscriptions. */
  close(): Promise<void>;
}

/** Serves /graphql (HTTP and graphql-ws), /healthz, /readyz and /metrics from one node:http server. */
export async function createCrmServer(runtime: AppRuntime & { redis: Redis }, schema: GraphQLSchema): Promise<CrmServer> {
  const { logger } = runtime;
  const metrics = createMetrics();
  shareWithClusterPrimary(metrics.registry);
  let metricsServer: Server | null = null;
  const httpServer = createServer();
  const exposeInternals = runtime.config.NODE_ENV === 'development';
  const { config } = runtime;
  const { limits, guard, gate, plugin, apolloOptions, socketAdmission } = requestGuards(config, runtime.redis, logger);
  const admission = socketAdmission(schema);
  const apollo = createApollo(schema, httpServer, logger, metrics, exposeInternals, [plugin, unavailableStatusPlugin()], apolloOptions);
  await apollo.start();
  const imports = createImportRoute(runtime, schema, gate);

  async function ready(): Promise<Record<string, string>> {
    const check = async (probe: Promise<unknown>): Promise<string> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
      });
      try {
        await Promise.race([probe, timeout]);
        return 'ok';
      } catch (error) {
        return `down: ${(error as Error).message}`;
      } finally {
        clearTimeout(timer);
      }
    };
    const [postgres, redis] = await Promise.all([check(runtime.dataSource.query('SELECT 1')), check(runtime.redis.ping())]);
    return { postgres, redis };
  }

  async function graphql(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req);
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        badRequest(res, 400, 'Request body is not valid JSON');
        return 400;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const context = await contextFromAuthorization(runtime, req.headers.authorization, requestId);
    context.clientAddress = clientAddress(req, runtime.config.TRUST_PROXY_HOPS);
    const refusal = await screenRequest(guard, limits, context, method, body, url.searchParams);
    if (refusal) return refuse(res, refusal, requestId);
    // Members and API keys act in a workspace and take one of its places; anonymous calls hold no request session.
    const workspace = context.principal?.workspaceId;
    const leave = workspace ? await gate.enter(workspace) : null;
    if (workspace && !leave) return refuse(res, gate.busy(), requestId);
    try {
      // A replayed answer comes from the ledger before Apollo runs, so it costs no rate-limit points.
      const result = await executeIdempotently({ runtime, ctx: context, method, key: headers.get('idempotency-key'), body }, () =>
        apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method, headers, search: url.search, body }, context: async () => context }),
      );
      const status = result.status ?? 200;
      res.statusCode = status;
      for (const [key, value] of result.headers) res.setHeader(key, value);
      res.setHeader('x-request-id', requestId);
      if (result.body.kind === 'complete') {
        res.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
      return status;
    } finally {
      leave?.();
    }
  }

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    const route = (req.url ?? '/').split('?')[0];
    const finish = (status: number) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const label = route.startsWith(IMPORTS_PATH) ? '/imports' : route;
      metrics.httpDuration.observe({ route: KNOWN_ROUTES.has(label) ? label : 'other', status }, seconds);
      logger.info({ requestId, method: req.method, route, status, ms: Math.round(seconds * 1000) }, 'request');
    };
    const handle = async (): Promise<number> => {
      if (route === '/healthz') {
        sendJson(res, 200, { status: 'ok' });
        return 200;
      }
      if (route === '/readyz') {
        const checks = await ready();
        const ok = Object.values(checks).every((v) => v === 'ok');
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks });
        return ok ? 200 : 503;
      }
      if (route === '/metrics') {
        const access = metricsAccess(config, req.headers.authorization);
        if (access === 'open') {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
          return 200;
        }
        if (access === 'off') {
          sendJson(res, 404, { error: 'Not found' });
          return 404;
        }
        res.setHeader('www-authenticate', 'Bearer');
        sendJson(res, 401, { error: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' });
        return 401;
      }
      if (route === '/graphql') return graphql(req, res, requestId);
      if (config.SERVE_EXAMPLES && req.method === 'GET' && `${route}/`.startsWith(EXAMPLE_DASHBOARD_PATH)) return serveExampleDashboard(route, res);
      if (route.startsWith(IMPORTS_PATH)) return imports.handle(req, res, route, requestId);
      sendJson(res, 404, { error: 'Not found' });
      return 404;
    };
    handle().then(finish, (error: unknown) => {
      if (error instanceof PayloadTooLarge) {
        if (!error.drained) res.setHeader('connection', 'close');
        badRequest(res, 413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
        return finish(413);
      }
      const unavailable = databaseUnavailable(error);
      logger.error({ err: error, requestId }, unavailable ? 'database unavailable' : 'unhandled HTTP error');
      const status = unavailable ? 503 : 500;
      if (res.headersSent) res.end();
      else if (unavailable) {
        res.setHeader('retry-after', '1');
        sendJson(res, status, { errors: [unavailableError(unavailable)] });
      } else sendJson(res, status, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
      finish(status);
    });
  });

  // Subscriptions: graphql-ws on the same path, authenticated by `authorization` in connection_init.
  // Each subscription has its own context; its database session is released after the subscribe
  // step and after every event, so an open subscription holds no pooled connection.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const socketContexts = new WeakMap<object, Map<string, RequestContext>>();
  const contextsOf = (socket: object) => socketContexts.get(socket) ?? socketContexts.set(socket, new Map()).get(socket)!;
  const release = async (socket: object, id: string) => {
    await contextsOf(socket).get(id)?.db.close();
  };
  const wsCleanup = useServer<{ authorization?: string }, { request: IncomingMessage }>(
    {
      schema,
      onConnect: async (ctx) => {
        const auth = await contextFromAuthorization(runtime, ctx.connectionParams?.authorization, randomUUID());
        // A person or an API key; what needs a person (notifications) refuses keys when subscribing.
        return auth.actor !== null || auth.apiKey !== null;
      },
      // Limits apply before anything runs; an admitted operation keeps its context for release below.
      onSubscribe: async (ctx, id, payload) => {
        const crowded = tooManySubscriptions(contextsOf(ctx).size, config.GRAPHQL_WS_MAX_SUBSCRIPTIONS);
        if (crowded) return crowded;
        const requestContext = await contextFromAuthorization(runtime, ctx.connectionParams?.authorization, randomUUID());
        requestContext.clientAddress = clientAddress(ctx.extra.request, runtime.config.TRUST_PROXY_HOPS);
        const admitted = await admitSocketOperation(admission, requestContext, payload);
        if (!Array.isArray(admitted)) contextsOf(ctx).set(id, requestContext);
        return admitted;
      },
      onOperation: (ctx, id) => release(ctx, id),
      onNext: (ctx, id) => release(ctx, id),
      onComplete: async (ctx, id) => {
        await contextsOf(ctx).get(id)?.close();
        contextsOf(ctx).delete(id);
      },
    },
    wsServer,
  );

  return {
    httpServer,
    async listen(port, host) {
      // In a cluster worker the primary serves METRICS_PORT for all of them.
      if (config.METRICS_PORT && !cluster.isWorker) {
        const { registry } = metrics;
        metricsServer = await metricsListener(config.METRICS_HOST, config.METRICS_PORT, async () => ({ contentType: registry.contentType, text: await registry.metrics() }));
      }
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    async close() {
      if (metricsServer) await new Promise((resolve) => metricsServer!.close(resolve));
      await wsCleanup.dispose();
      await runtime.pubSub?.close();
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await imports.close();
    },
  };
}
