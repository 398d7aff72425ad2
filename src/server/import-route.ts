import type { IncomingMessage, ServerResponse } from 'node:http';
import { Queue } from 'bullmq';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { AppRuntime } from '../kernel/context';
import type { FieldProblem } from '../kernel/errors';
import { checkedSystem } from '../kernel/records/external-refs';
import { DEFAULT_JOB_OPTIONS, producerConnection, type ImportJobPayload } from '../kernel/queue';
import { csvLines, ImportJob, TooManyRows, importJobService, ndjsonLines, OBJECT_OF_PATH, enqueueImport } from '../modules/imports';
import { upsertSpec } from '../modules/sync';
import { contextFromAuthorization } from './authenticate';
import { refuse } from './limits/screen-request';
import type { WorkspaceGate } from './limits/workspace-gate';

export const IMPORTS_PATH = '/imports/';

const FORMATS: Readonly<Record<string, 'csv' | 'ndjson'>> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

const STATUS_OF_CODE: Readonly<Record<string, number>> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, RATE_LIMITED: 429 };

class TooLarge extends Error {}

/** The request body as it arrives, refused past `maxBytes` (without reading further). */
async function* capped(req: IncomingMessage, maxBytes: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new TooLarge(`The upload exceeds ${maxBytes} bytes`);
    yield chunk;
  }
}

function sendError(res: ServerResponse, status: number, code: string, message: string, fields?: FieldProblem[]): number {
  // An upload refused midway leaves the rest of its body unread: close the connection rather than read it.
  res.writeHead(status, { 'content-type': 'application/json', ...(status === 413 ? { connection: 'close' } : {}) });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...(fields ? { fields } : {}) } }] }));
  return status;
}

export interface ImportRoute {
  /** Answers `POST /imports/{object}`; returns the HTTP status. */
  handle(req: IncomingMessage, res: ServerResponse, route: string, requestId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * `POST /imports/{object}` (see docs/sync.md, "Bulk imports"): the body, CSV or NDJSON, is streamed into
 * staging as it arrives and never held whole; `202` once every line is stored and the job
 * queued. Authenticated like /graphql (a member's token or an API key), with the object's write
 * permission; `?system=` names the source system.
 */
export function createImportRoute(runtime: AppRuntime, schema: GraphQLSchema, gate: WorkspaceGate): ImportRoute {
  const { config } = runtime;
  let queue: Queue<ImportJobPayload> | null = null;
  const enqueue = async (job: ImportJob) => {
    if (!queue) {
      queue = new Queue<ImportJobPayload>('imports', { connection: producerConnection(config.REDIS_URL), prefix: config.QUEUE_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      queue.on('error', (error) => runtime.logger.warn({ err: error }, 'imports queue error'));
    }
    await enqueueImport(queue, { workspaceId: job.workspaceId, importJobId: job.id });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, route: string, requestId: string): Promise<number> {
    if (req.method !== 'POST') return sendError(res, 405, 'BAD_USER_INPUT', 'Imports are uploaded with POST');
    const object = Object.hasOwn(OBJECT_OF_PATH, route.slice(IMPORTS_PATH.length)) ? OBJECT_OF_PATH[route.slice(IMPORTS_PATH.length)] : undefined;
    if (!object) return sendError(res, 404, 'NOT_FOUND', `Nothing to import at ${route}; one of ${Object.keys(OBJECT_OF_PATH).map((p) => IMPORTS_PATH + p).join(', ')}`);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format = Object.hasOwn(FORMATS, mediaType) ? FORMATS[mediaType] : undefined;
    if (!format) return sendError(res, 415, 'BAD_USER_INPUT', 'Content-Type must be text/csv or application/x-ndjson', [{ field: 'content-type', message: 'must be text/csv or application/x-ndjson' }]);
    const ctx = await contextFromAuthorization(runtime, req.headers.authorization, requestId);
    // An upload holds a pooled connection while its body streams in: it takes one of the workspace's places like a GraphQL request.
    const workspace = ctx.principal?.workspaceId;
    const leave = workspace ? await gate.enter(workspace) : null;
    if (workspace && !leave) {
      await ctx.close();
      return refuse(res, gate.busy(), requestId);
    }
    try {
      const system = new URL(req.url ?? '/', 'http://localhost').searchParams.get('system');
      // The source system: the `system` of CSV lines' external refs and the source of field ownership, so the same slug rule.
      if (system !== null) checkedSystem(system, 'system');
      if (Number(req.headers['content-length'] ?? 0) > config.IMPORT_MAX_BYTES) throw new TooLarge(`The upload exceeds ${config.IMPORT_MAX_BYTES} bytes`);
      const body = capped(req, config.IMPORT_MAX_BYTES);
      const lines = format === 'csv' ? csvLines(body, schema, upsertSpec(object).input.name, system) : ndjsonLines(body);
      const job = await importJobService.upload(ctx, { object, format, source: system, maxRows: config.IMPORT_MAX_ROWS }, lines, enqueue);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ importJob: { id: job.globalId, status: job.status, totalRows: job.totalRows } }));
      return 202;
    } catch (error) {
      if (error instanceof TooLarge) return sendError(res, 413, 'BAD_USER_INPUT', error.message, [{ field: 'body', message: error.message }]);
      if (error instanceof TooManyRows) {
        const message = `The upload has more than ${config.IMPORT_MAX_ROWS} lines`;
        return sendError(res, 413, 'BAD_USER_INPUT', message, [{ field: 'body', message }]);
      }
      if (error instanceof GraphQLError && Object.hasOwn(STATUS_OF_CODE, String(error.extensions.code))) {
        const code = String(error.extensions.code);
        return sendError(res, STATUS_OF_CODE[code], code, error.message, error.extensions.fields as FieldProblem[] | undefined);
      }
      throw error;
    } finally {
      await ctx.close();
      leave?.();
    }
  }

  return {
    handle,
    async close() {
      await queue?.close();
    },
  };
}
