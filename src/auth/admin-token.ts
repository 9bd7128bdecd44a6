import { timingSafeEqual } from 'node:crypto';
import { canonicalBase64url, mac, MIN_SECRET_BYTES } from './token.js';
import { ProgressTokenError } from './token-error.js';

/**
 * Admin tokens open the operator view (`sluice serve --admin`): `admin1.<claims>.<mac>`, claims =
 * base64url(JSON {role: "admin", exp}), mac = HMAC-SHA256(admin secret, "admin1.<claims>"). Their own
 * version tag and claims keep them apart from users' progress tokens (`v1.`) even under one secret:
 * neither kind verifies where the other is expected.
 */
const VERSION = 'admin1';

export interface AdminTokenOptions {
  secret: string;
  /** Lifetime in seconds. Default one hour. */
  ttlSeconds?: number;
  /** The current time in ms since the epoch (for tests). Default `Date.now()`. */
  now?: number;
}

export function createAdminToken({ secret, ttlSeconds = 3600, now = Date.now() }: AdminTokenOptions): string {
  requireAdminSecret(secret);
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ttlSeconds must be a positive number, got ${ttlSeconds}`);
  const claims = { role: 'admin', exp: Math.floor(now / 1000 + ttlSeconds) };
  const signed = `${VERSION}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/** A user's progress token by its shape (not verified): admin routes refuse it with 403, not 401. */
export const looksLikeProgressToken = (token: string): boolean => /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

/** The token's expiry (seconds since the epoch), or a ProgressTokenError saying why it is refused. */
export function verifyAdminToken(token: string, secret: string, now = Date.now()): { exp: number } {
  requireAdminSecret(secret);
  const parts = typeof token === 'string' ? token.split('.') : [];
  const [version, payload, signature] = parts;
  if (parts.length !== 3 || version !== VERSION || !payload || !signature || !canonicalBase64url(payload) || !canonicalBase64url(signature)) {
    throw new ProgressTokenError('token_malformed', 'token is not a Sluice admin token (admin1.<claims>.<signature>); make one with: sluice token --admin');
  }
  const expected = mac(secret, `${version}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ProgressTokenError('token_invalid', 'admin token signature does not match');
  }
  let claims: { role?: unknown; exp?: unknown };
  try {
    claims = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) ?? {}) as typeof claims;
  } catch {
    throw new ProgressTokenError('token_malformed', 'admin token claims are not JSON');
  }
  if (claims.role !== 'admin' || typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw new ProgressTokenError('token_malformed', 'admin token claims need role "admin" and a numeric exp');
  }
  if (claims.exp * 1000 <= now) throw new ProgressTokenError('token_expired', `admin token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  return { exp: claims.exp };
}

/** The admin secret from a CLI flag or SLUICE_ADMIN_SECRET: as long as a progress secret, and not the same one. */
export function resolveAdminSecret(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const secret = flag ?? env.SLUICE_ADMIN_SECRET;
  if (!secret) {
    throw new Error('no admin secret: pass --admin-secret <secret> or set SLUICE_ADMIN_SECRET (sluice serve --admin and sluice token --admin must share it)');
  }
  requireAdminSecret(secret);
  return secret;
}

export function requireAdminSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('a non-empty admin secret is required to sign and verify admin tokens');
  const bytes = Buffer.byteLength(secret);
  if (bytes < MIN_SECRET_BYTES) {
    throw new TypeError(`the admin secret must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes} (make one with: openssl rand -hex 32)`);
  }
}
