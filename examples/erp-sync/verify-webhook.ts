import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from now before it counts as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type Verdict = { ok: true; eventId: string } | { ok: false; reason: string };

/**
 * Checks a webhook delivery the way every receiver should (Standard Webhooks): the signature is
 * HMAC-SHA256 keyed with the webhook's secret over `<webhook-id>.<webhook-timestamp>.<raw body>`,
 * base64, sent as `v1,<signature>` (several may be listed, space-separated, during a secret
 * rotation). A stale or future timestamp is refused, so a captured delivery cannot be replayed
 * later; de-duplicate on the event id, which stays the same on every retry.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verdict {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt) || Math.abs(nowSeconds - sentAt) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${rawBody}`).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true, eventId: id } : { ok: false, reason: 'signature does not match' };
}

/** A `whsec_…` secret is base64 after its prefix (the Standard Webhooks form); any other is used as text. */
function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
