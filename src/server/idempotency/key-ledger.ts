import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { appError } from '../../kernel/errors';
import type { CommitCheck, DbSession } from '../../kernel/db/session';

/**
 * How long a claimed key stays locked without news from its request. A request that runs longer
 * and has not committed yet may be overtaken by a retry; the fence then refuses its commit, so the
 * work still happens once. Every commit of the request extends the lease.
 */
export const LEASE_SECONDS = 60;

/** One key of one caller in one workspace (the primary key of idempotency_keys). */
export interface KeyRef {
  workspaceId: string;
  /** The principal: `user:<uuid>` or `key:<uuid>`. */
  principal: string;
  key: string;
}

export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What a request finds when it presents its key. */
export type Claim =
  | { kind: 'acquired'; lockToken: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' }
  | { kind: 'response-lost' };

interface KeyRow {
  fingerprint: string;
  locked: boolean;
  work_committed: boolean;
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
}

const PK = 'workspace_id = $1 AND principal = $2 AND key = $3';
const refParams = (ref: KeyRef) => [ref.workspaceId, ref.principal, ref.key];

/**
 * Claims the key in one statement: a new key, an expired one, or one whose request vanished
 * (lease over, nothing committed, no response) is taken; concurrent claims queue on the row, so
 * exactly one wins. Otherwise the row says why not.
 */
export async function claimKey(session: DbSession, ref: KeyRef, fingerprint: string, ttlHours: number): Promise<Claim> {
  // The row that refused us may be released (deleted) before we read it; then claim again.
  for (;;) {
    const claim = await tryClaim(session, ref, fingerprint, ttlHours);
    if (claim) return claim;
  }
}

async function tryClaim(session: DbSession, ref: KeyRef, fingerprint: string, ttlHours: number): Promise<Claim | null> {
  const lockToken = randomUUID();
  const ttl = `${Math.round(ttlHours * 3600 * 1000)} milliseconds`;
  return session.write(async (em) => {
    const taken = (await em.query(
      `INSERT INTO idempotency_keys AS k (workspace_id, principal, key, fingerprint, lock_token, locked_until, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), now() + $7::interval)
       ON CONFLICT (workspace_id, principal, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until,
             expires_at = EXCLUDED.expires_at, created_at = now(), work_committed = false,
             response_status = NULL, response_content_type = NULL, response_body = NULL
         WHERE k.expires_at <= now() OR (k.response_status IS NULL AND NOT k.work_committed AND k.locked_until <= now())
       RETURNING lock_token`,
      [...refParams(ref), fingerprint, lockToken, LEASE_SECONDS, ttl],
    )) as Array<{ lock_token: string }>;
    if (taken[0]?.lock_token === lockToken) return { kind: 'acquired', lockToken };
    const [row] = (await em.query(
      `SELECT fingerprint, locked_until > now() AS locked, work_committed, response_status, response_content_type, response_body
       FROM idempotency_keys WHERE ${PK}`,
      refParams(ref),
    )) as KeyRow[];
    return row ? verdict(row, fingerprint) : null;
  });
}

function verdict(row: KeyRow, fingerprint: string): Claim {
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (row.response_status !== null) {
    return { kind: 'replay', response: { status: row.response_status, contentType: row.response_content_type ?? 'application/json', body: row.response_body ?? '' } };
  }
  return row.locked ? { kind: 'in-progress' } : { kind: 'response-lost' };
}

/**
 * The fence, run by every write transaction of the claiming request just before it commits:
 * records that the request changed something, in the same transaction as the change, and only
 * while the request still holds the key. A request overtaken by a retry is rolled back here.
 */
export function fence(ref: KeyRef, lockToken: string): CommitCheck {
  return async (em: EntityManager) => {
    const [row] = (await em.query(
      `WITH held AS (
         UPDATE idempotency_keys SET work_committed = true, locked_until = greatest(locked_until, now() + make_interval(secs => $5))
         WHERE ${PK} AND lock_token = $4 RETURNING 1)
       SELECT count(*)::int AS n FROM held`,
      [...refParams(ref), lockToken, LEASE_SECONDS],
    )) as Array<{ n: number }>;
    if (row.n !== 1) {
      throw appError('CONFLICT', 'A retry with the same Idempotency-Key took over this request; its changes were undone', {
        fields: [{ field: 'Idempotency-Key', message: 'was taken over by a retry' }],
      });
    }
  };
}

/**
 * Ends the claim: the response is recorded when the request changed something (whatever it
 * answered) or when `definite` says a retry would get the same answer; otherwise the key is
 * released, which is safe because the fence proves nothing was written.
 */
export async function settleKey(session: DbSession, ref: KeyRef, lockToken: string, response: StoredResponse | null, definite: boolean): Promise<void> {
  await session.write(async (em) => {
    if (response) {
      await em.query(
        `UPDATE idempotency_keys SET response_status = $5, response_content_type = $6, response_body = $7
         WHERE ${PK} AND lock_token = $4 AND (work_committed OR $8)`,
        [...refParams(ref), lockToken, response.status, response.contentType, response.body, definite],
      );
    }
    await em.query(`DELETE FROM idempotency_keys WHERE ${PK} AND lock_token = $4 AND NOT work_committed AND response_status IS NULL`, [
      ...refParams(ref),
      lockToken,
    ]);
  });
}
