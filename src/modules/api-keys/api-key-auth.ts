import { RequestContext, type AppRuntime } from '../../kernel/context';
import { hashMatches, lookupPrefixOf } from './api-key-tokens';

/** One message for unknown, expired and revoked keys: a caller learns nothing about which. */
export const INVALID_API_KEY = 'Invalid, expired or revoked API key';

interface KeyRow {
  id: string;
  workspace_id: string;
  secret_hash: string;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
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
  if (!row || !hashMatches(token, row.secret_hash) || row.revoked_at || (row.expires_at && row.expires_at <= new Date())) return refused;
  await runtime.dataSource.query(`SELECT crm_api_key_touch($1)`, [row.id]);
  return RequestContext.forApiKey(runtime, { apiKeyId: row.id, workspaceId: row.workspace_id, scopes: row.scopes }, requestId);
}
