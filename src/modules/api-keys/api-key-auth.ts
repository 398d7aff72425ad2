import { INVALID_API_KEY, RequestContext, type AppRuntime } from '../../kernel/context';
import { hashMatches, lookupPrefixOf } from './api-key-tokens';

interface KeyRow {
  id: string;
  workspace_id: string;
  secret_hash: string;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** A key may act while it is neither revoked nor past its expiry. */
export const isKeyUsable = (revokedAt: Date | null, expiresAt: Date | null, now = new Date()): boolean => !revokedAt && !(expiresAt && expiresAt <= now);

/** crm_api_key_touch records use at most once a minute; so does this process, sparing the round trip in between. */
const TOUCH_EVERY_MS = 60_000;
const touchedAt = new Map<string, number>();

async function touch(runtime: AppRuntime, keyId: string): Promise<void> {
  const now = Date.now();
  if (now - (touchedAt.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
  touchedAt.set(keyId, now);
  await runtime.dataSource.query(`SELECT crm_api_key_touch($1)`, [keyId]);
}

/**
 * The context of a request that sent an API key: one indexed lookup by the token's prefix (a
 * SECURITY DEFINER function, as no workspace is in scope yet), a constant-time compare of the
 * hash, then the key's validity. Runs on every request, so revocation and expiry apply at once.
 */
export async function contextFromApiKey(runtime: AppRuntime, token: string, requestId: string): Promise<RequestContext> {
  const refused = new RequestContext(runtime, null, requestId, INVALID_API_KEY);
  const prefix = lookupPrefixOf(token);
  if (!prefix) return refused;
  const [row] = (await runtime.dataSource.query(`SELECT * FROM crm_api_key_lookup($1)`, [prefix])) as KeyRow[];
  if (!row || !hashMatches(token, row.secret_hash) || !isKeyUsable(row.revoked_at, row.expires_at)) return refused;
  await touch(runtime, row.id);
  return RequestContext.forApiKey(runtime, { apiKeyId: row.id, workspaceId: row.workspace_id, scopes: row.scopes }, requestId);
}
