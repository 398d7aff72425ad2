import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `crm_<16 hex lookup prefix>_<43 base64url chars: 32 random bytes>`. */
const TOKEN = /^crm_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

export const isApiKeyToken = (token: string): boolean => token.startsWith('crm_');

/** SHA-256 suffices: the token carries 256 random bits, so there is nothing to brute-force slowly. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function newToken(): { token: string; lookupPrefix: string; secretHash: string } {
  const lookupPrefix = randomBytes(8).toString('hex');
  const token = `crm_${lookupPrefix}_${randomBytes(32).toString('base64url')}`;
  return { token, lookupPrefix, secretHash: hashToken(token) };
}

/** The lookup prefix of a well-formed token, else null. */
export const lookupPrefixOf = (token: string): string | null => TOKEN.exec(token)?.[1] ?? null;

export function hashMatches(token: string, storedHash: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(token), 'hex'), Buffer.from(storedHash, 'hex'));
}
