import { requireSecret, signToken, verifiedClaims } from './token.js';
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
  return signToken(VERSION, secret, { role: 'admin', exp: Math.floor(now / 1000 + ttlSeconds) });
}

/** A user's progress token by its shape (not verified): admin routes refuse it with 403, not 401. */
export const looksLikeProgressToken = (token: string): boolean => /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

/** The token's expiry (seconds since the epoch), or a ProgressTokenError saying why it is refused. */
export function verifyAdminToken(token: string, secret: string, now = Date.now()): { exp: number } {
  requireAdminSecret(secret);
  const claims = (verifiedClaims(token, secret, VERSION, {
    malformed: 'token is not a Sluice admin token (admin1.<claims>.<signature>); make one with: sluice token --admin',
    invalid: 'admin token signature does not match',
    notJson: 'admin token claims are not JSON',
  }) ?? {}) as { role?: unknown; exp?: unknown };
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
  requireSecret(secret, 'admin');
}
