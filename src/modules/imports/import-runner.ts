import { GraphQLError } from 'graphql';
import { RequestContext, type AppRuntime } from '../../kernel/context';
import type { ImportJobPayload } from '../../kernel/queue';
import { ApiKey, isKeyUsable } from '../api-keys';
import { importJobService } from './import-job.service';
import { importRunService } from './import-run.service';

/** Why an import cannot run as its uploader; that ends it FAILED rather than retrying. */
class UploaderGone extends Error {}

/**
 * The context of the principal that uploaded the import, as it is now: a member with their live
 * seat, or the API key if it is neither revoked nor expired. Each chunk checks the object's
 * write permission again.
 */
async function uploaderContext(runtime: AppRuntime, payload: ImportJobPayload, requestId: string): Promise<RequestContext> {
  const { job, key } = await RequestContext.asSystem(runtime, payload.workspaceId, requestId, async (ctx) => {
    const job = await importJobService.get(ctx, payload.importJobId);
    const keyId = job.createdByApiKeyUuid;
    return { job, key: keyId ? await ctx.db.read((em) => em.getRepository(ApiKey).findOneBy({ id: keyId })) : null };
  });
  if (job.createdByApiKeyUuid) {
    if (!key || !isKeyUsable(key.revokedAt, key.expiresAt)) throw new UploaderGone('The API key that uploaded the import is revoked or expired');
    return RequestContext.forApiKey(runtime, { apiKeyId: key.id, workspaceId: key.workspaceId, scopes: key.scopes }, requestId);
  }
  const member = job.createdByUuid && (await RequestContext.forLiveMember(runtime, payload.workspaceId, job.createdByUuid, requestId));
  if (member) return member;
  throw new UploaderGone('The member who uploaded the import is no longer in the workspace');
}

/** A refusal that retrying will not change: the uploader lost the right to write these records. */
function refused(error: unknown): boolean {
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  return error instanceof UploaderGone || code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' || code === 'NOT_FOUND';
}

/** One runner: chunk after chunk as the uploader, on a connection of its own, until no chunk is left to claim. */
async function runChunks(runtime: AppRuntime, payload: ImportJobPayload, requestId: string): Promise<number> {
  const ctx = await uploaderContext(runtime, payload, requestId);
  try {
    let chunks = 0;
    for (let done = false; !done; chunks += 1) {
      ({ done } = await importRunService.runChunk(ctx, payload.importJobId, runtime.config.IMPORT_CHUNK_SIZE));
      // The upserts' loaders cache every record they read; kept across chunks they would grow with the file.
      ctx.clearLoaders();
    }
    return chunks;
  } finally {
    await ctx.close();
  }
}

/**
 * Runs an import until it ends: IMPORT_PARALLEL_CHUNKS runners, each upserting IMPORT_CHUNK_SIZE
 * lines per transaction. Safe to run twice, or after a worker died mid-import: each chunk commits
 * with its own bookkeeping (see runChunk), so the next run goes on from the last committed one.
 * A refused uploader ends the import FAILED; other errors are retried, and the last attempt's
 * error ends it FAILED.
 */
export async function runImport(runtime: AppRuntime, payload: ImportJobPayload, lastAttempt: boolean): Promise<{ chunks: number } | { failed: string }> {
  const { workspaceId, importJobId } = payload;
  const requestId = `import:${importJobId}`;
  const failJob = (reason: string) => RequestContext.asSystem(runtime, workspaceId, requestId, (ctx) => importRunService.fail(ctx, importJobId, reason));
  const runners = await Promise.allSettled(Array.from({ length: runtime.config.IMPORT_PARALLEL_CHUNKS }, () => runChunks(runtime, payload, requestId)));
  const failure = runners.find((runner): runner is PromiseRejectedResult => runner.status === 'rejected');
  if (!failure) return { chunks: runners.reduce((sum, runner) => sum + (runner as PromiseFulfilledResult<number>).value, 0) };
  const error = failure.reason as Error;
  if (refused(error)) {
    await failJob(error.message);
    return { failed: error.message };
  }
  if (lastAttempt) await failJob(`Stopped by an internal error: ${error.message}`);
  throw error;
}
