import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from './roles';

const ALGORITHM = 'HS256';
const ISSUER = 'headless-crm';

const keys = new Map<string, KeyObject>();

/** jsonwebtoken builds a key object from a string secret on every call; build it once per secret. */
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export interface AccessClaims {
  sub: string;
  wsp: string;
  role: Role;
}

export interface RefreshClaims {
  sub: string;
  wsp: string;
  jti: string;
}

export interface TokenSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export function signAccessToken(settings: TokenSettings, claims: AccessClaims): string {
  return jwt.sign({ wsp: claims.wsp, role: claims.role, typ: 'access' }, keyOf(settings.secret), {
    algorithm: ALGORITHM,
    issuer: ISSUER,
    subject: claims.sub,
    expiresIn: settings.accessTtlSeconds,
  });
}

export function signRefreshToken(settings: TokenSettings, sub: string, wsp: string): { token: string; jti: string; expiresAt: Date } {
  const jti = randomUUID();
  const token = jwt.sign({ wsp, typ: 'refresh' }, keyOf(settings.secret), {
    algorithm: ALGORITHM,
    issuer: ISSUER,
    subject: sub,
    jwtid: jti,
    expiresIn: settings.refreshTtlSeconds,
  });
  return { token, jti, expiresAt: new Date(Date.now() + settings.refreshTtlSeconds * 1000) };
}

/** Verifies signature (HS256 only: `alg: none` and other algorithms are refused), issuer, expiry and kind. */
function verify(settings: TokenSettings, token: string, typ: 'access' | 'refresh'): jwt.JwtPayload | null {
  try {
    const payload = jwt.verify(token, keyOf(settings.secret), { algorithms: [ALGORITHM], issuer: ISSUER });
    if (typeof payload !== 'object' || payload.typ !== typ || !payload.sub || typeof payload.wsp !== 'string') return null;
    return payload;
  } catch {
    return null;
  }
}

export function verifyAccessToken(settings: TokenSettings, token: string): AccessClaims | null {
  const payload = verify(settings, token, 'access');
  return payload ? { sub: payload.sub!, wsp: payload.wsp, role: payload.role } : null;
}

export function verifyRefreshToken(settings: TokenSettings, token: string): RefreshClaims | null {
  const payload = verify(settings, token, 'refresh');
  return payload?.jti ? { sub: payload.sub!, wsp: payload.wsp, jti: payload.jti } : null;
}
