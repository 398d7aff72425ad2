/**
 * Whether an error means the database could not serve the statement through no fault of the
 * request's input: the connection was refused, lost or closed (a restart, a failover,
 * pg_terminate_backend), the server has no connection slot left, or the statement ran past its
 * timeout and was cancelled. Such errors are answered SERVICE_UNAVAILABLE, never as internal ones.
 */
export type Unavailability = 'connection' | 'timeout';

/** 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections; class 08: connection exceptions. */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// TypeORM releases a query runner whose connection emits 'error' (terminated while idle in the
// request's transaction), so the request's next statement fails with "… was already released".
const CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|Client was closed|Query runner already released|provided by a query runner was already released|timeout exceeded when trying to connect/i;
/** query_canceled: a statement timeout (or a cancel by an operator). */
const CANCELED = '57014';

export function databaseUnavailable(error: unknown): Unavailability | null {
  for (let cause = error, hops = 0; cause && typeof cause === 'object' && hops < 5; hops += 1) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (code === CANCELED) return 'timeout';
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return 'connection';
    if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return 'connection';
    const next = cause as { driverError?: unknown; originalError?: unknown; cause?: unknown };
    cause = next.driverError ?? next.originalError ?? next.cause;
  }
  return null;
}
