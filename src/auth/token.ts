import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseUserId } from '../store/ids.js';
import { ProgressTokenError } from './token-error.js';

/**
 * Progress tokens let a browser read one user's progress without a session: `v1.<claims>.<mac>`,
 * claims = base64url(JSON {sub, exp}), mac = base64url(HMAC-SHA256(secret, "v1.<claims>")).
 * Stateless on purpose, so any number of server instances verify them with the shared secret.
 */
const VERSION = 'v1';

export interface ProgressTokenOptions {
  userId: string;
  secret: string;
  /** Lifetime in seconds. Default one hour. */
  ttlSeconds?: number;
  /** The current time in ms since the epoch (for tests). Default `Date.now()`. */
  now?: number;
}

export interface ProgressTokenClaims {
  userId: string;
  /** Expiry, in seconds since the epoch. */
  exp: number;
}

export function createProgressToken({ userId, secret, ttlSeconds = 3600, now = Date.now() }: ProgressTokenOptions): string {
  requireSecret(secret);
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  const claims = { sub: parseUserId(userId), exp: Math.floor(now / 1000 + ttlSeconds) };
  const signed = `${VERSION}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** The token's user and expiry, or a ProgressTokenError saying why it is refused. */
export function verifyProgressToken(token: string, secret: string, now = Date.now()): ProgressTokenClaims {
  requireSecret(secret);
  const parts = typeof token === 'string' ? token.split('.') : [];
  const [version, payload, signature] = parts;
  if (parts.length !== 3 || version !== VERSION || !payload || !signature || !canonicalBase64url(payload) || !canonicalBase64url(signature)) {
    throw new ProgressTokenError('token_malformed', 'token is not a Sluice progress token (v1.<claims>.<signature>)');
  }
  const expected = mac(secret, `${version}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  // Lengths are public (always 32 bytes); the bytes are compared in constant time.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ProgressTokenError('token_invalid', 'token signature does not match');
  }
  const claims = decodeClaims(payload);
  if (claims.exp * 1000 <= now) throw new ProgressTokenError('token_expired', `token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  return claims;
}

function decodeClaims(payload: string): ProgressTokenClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new ProgressTokenError('token_malformed', 'token claims are not JSON');
  }
  const { sub, exp } = (claims ?? {}) as { sub?: unknown; exp?: unknown };
  if (typeof sub !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ProgressTokenError('token_malformed', 'token claims need a string sub and a numeric exp');
  }
  return { userId: sub, exp };
}

/**
 * Node's base64url decoder skips characters it does not know and ignores padding, so many strings
 * decode to the same bytes: only the one string the encoder would write is accepted.
 */
export function canonicalBase64url(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

export function mac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** A short secret can be recovered from one token by brute force, and then any user's token forged. */
export const MIN_SECRET_BYTES = 32;

export function requireSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('a non-empty secret is required to sign and verify progress tokens');
  const bytes = Buffer.byteLength(secret);
  if (bytes < MIN_SECRET_BYTES) {
    throw new TypeError(`the progress token secret must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes} (make one with: openssl rand -hex 32)`);
  }
}
