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
  return signToken(VERSION, secret, { sub: parseUserId(userId), exp: Math.floor(now / 1000 + ttlSeconds) });
}

/** The token's user and expiry, or a ProgressTokenError saying why it is refused. */
export function verifyProgressToken(token: string, secret: string, now = Date.now()): ProgressTokenClaims {
  requireSecret(secret);
  const { sub, exp } = (verifiedClaims(token, secret, VERSION, {
    malformed: 'token is not a Sluice progress token (v1.<claims>.<signature>)',
    invalid: 'token signature does not match',
    notJson: 'token claims are not JSON',
  }) ?? {}) as { sub?: unknown; exp?: unknown };
  if (typeof sub !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ProgressTokenError('token_malformed', 'token claims need a string sub and a numeric exp');
  }
  if (exp * 1000 <= now) throw new ProgressTokenError('token_expired', `token expired at ${new Date(exp * 1000).toISOString()}`);
  return { userId: sub, exp };
}

/** `<version>.<claims>.<mac>`: claims as base64url JSON, mac = HMAC-SHA256(secret, "<version>.<claims>"). */
export function signToken(version: string, secret: string, claims: object): string {
  const signed = `${version}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/**
 * The claims of a `<version>.<claims>.<mac>` token whose mac matches, as parsed JSON of a shape the
 * caller checks; a ProgressTokenError (`token_malformed`, `token_invalid`) with the given messages otherwise.
 */
export function verifiedClaims(token: string, secret: string, version: string, refusals: { malformed: string; invalid: string; notJson: string }): unknown {
  const parts = typeof token === 'string' ? token.split('.') : [];
  const [given, payload, signature] = parts;
  if (parts.length !== 3 || given !== version || !payload || !signature || !canonicalBase64url(payload) || !canonicalBase64url(signature)) {
    throw new ProgressTokenError('token_malformed', refusals.malformed);
  }
  const expected = mac(secret, `${version}.${payload}`);
  const sent = Buffer.from(signature, 'base64url');
  // Lengths are public (always 32 bytes); the bytes are compared in constant time.
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw new ProgressTokenError('token_invalid', refusals.invalid);
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new ProgressTokenError('token_malformed', refusals.notJson);
  }
}

/**
 * Node's base64url decoder skips characters it does not know and ignores padding, so many strings
 * decode to the same bytes: only the one string the encoder would write is accepted.
 */
function canonicalBase64url(text: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text;
}

function mac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** A short secret can be recovered from one token by brute force, and then any user's token forged. */
export const MIN_SECRET_BYTES = 32;

const SECRET_NAMES = {
  progress: { tokens: 'progress tokens', empty: 'a non-empty secret', named: 'the progress token secret' },
  admin: { tokens: 'admin tokens', empty: 'a non-empty admin secret', named: 'the admin secret' },
};

export function requireSecret(secret: string, kind: keyof typeof SECRET_NAMES = 'progress'): void {
  const names = SECRET_NAMES[kind];
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError(`${names.empty} is required to sign and verify ${names.tokens}`);
  const bytes = Buffer.byteLength(secret);
  if (bytes < MIN_SECRET_BYTES) {
    throw new TypeError(`${names.named} must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes} (make one with: openssl rand -hex 32)`);
  }
}
