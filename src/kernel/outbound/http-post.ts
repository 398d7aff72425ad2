import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkTarget, TargetRefused, type AllowedPrivateRange } from './target-guard';

/** How much of an answer's body is kept, for the delivery log: enough to see an error, never the whole page. */
const EXCERPT_BYTES = 512;

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: readonly AllowedPrivateRange[];
}

/** An answer (any status), or why there was none: `refused` by the guard, `timeout`, or `unreachable`. */
export type PostResult =
  | { ok: boolean; status: number; excerpt: string; durationMs: number }
  | { ok: false; status: null; error: 'refused' | 'timeout' | 'unreachable'; message: string; durationMs: number };

/**
 * The one HTTP sender for calls to user-given URLs: checks the target (target-guard) at send
 * time and connects to exactly the checked address (a `lookup` that answers it), so a DNS rebind
 * between check and connect cannot reach a closed range. TLS still verifies the URL's host name.
 */
export async function postJson(request: PostRequest): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target;
  try {
    target = await checkTarget(request.url, request.allowPrivate);
  } catch (error) {
    if (!(error instanceof TargetRefused)) throw error;
    return { ok: false, status: null, error: 'refused', message: `URL ${error.message}`, durationMs: elapsed() };
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve) => {
    const req = send(target.url, {
      method: 'POST',
      lookup: pinned,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body), ...request.headers },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    req.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept < EXCERPT_BYTES) chunks.push(chunk.subarray(0, EXCERPT_BYTES - kept));
        kept += chunk.length;
        if (kept >= EXCERPT_BYTES) response.destroy();
      });
      const done = () => {
        const status = response.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 300, status, excerpt: Buffer.concat(chunks).toString('utf8'), durationMs: elapsed() });
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    req.on('error', (error: Error) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      resolve({
        ok: false,
        status: null,
        error: timedOut ? 'timeout' : 'unreachable',
        message: timedOut ? `no answer within ${request.timeoutMs} ms` : error.message,
        durationMs: elapsed(),
      });
    });
    req.end(request.body);
  });
}
