import { verifyAccessToken } from '../kernel/auth/tokens';
import { RequestContext, type AppRuntime } from '../kernel/context';
import { contextFromApiKey, isApiKeyToken } from '../modules/api-keys';

/**
 * Builds the request context from an `Authorization` header. A missing header means an
 * anonymous caller; a bad one is remembered and answered UNAUTHENTICATED by any protected field.
 * A bearer token starting `crm_` is an API key; any other is a member's access token.
 */
export async function contextFromAuthorization(runtime: AppRuntime, header: string | undefined, requestId: string): Promise<RequestContext> {
  if (!header) return new RequestContext(runtime, null, requestId);
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim());
  if (!match) return new RequestContext(runtime, null, requestId, 'Authorization header must be `Bearer <token>`');
  if (isApiKeyToken(match[1])) return contextFromApiKey(runtime, match[1], requestId);
  const c = runtime.config;
  const claims = verifyAccessToken(
    { secret: c.JWT_SECRET, accessTtlSeconds: c.JWT_ACCESS_TTL_SECONDS, refreshTtlSeconds: c.JWT_REFRESH_TTL_SECONDS },
    match[1],
  );
  if (!claims) return new RequestContext(runtime, null, requestId, 'Invalid or expired token');
  return new RequestContext(runtime, { userId: claims.sub, workspaceId: claims.wsp, role: claims.role }, requestId);
}
