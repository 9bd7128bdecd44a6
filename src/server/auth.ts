import type { MiddlewareHandler } from 'hono';
import { ProgressTokenError } from '../auth/token-error.js';
import { verifyProgressToken } from '../auth/token.js';
import { parseUserId } from '../store/ids.js';
import { HttpError } from './http-error.js';

/** Hono variables: the user an authorized request is for. */
export interface ServerEnv {
  Variables: { userId: string; /** When the request's token expires, ms since the epoch. */ tokenExpiresAt: number };
}

/**
 * Guards /v1/users/:userId/...: a valid user id (400), a token (401), signed by our secret and
 * not expired (401), for that very user (403). The token comes from `Authorization: Bearer` or,
 * because EventSource cannot set headers, from `?token=`.
 */
export function userAccess(secret: string): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    let userId: string;
    try {
      userId = parseUserId(c.req.param('userId'));
    } catch (error) {
      throw new HttpError(400, 'invalid_user_id', (error as Error).message);
    }
    const token = bearerToken(c.req.header('authorization')) ?? c.req.query('token');
    if (!token) throw new HttpError(401, 'token_missing', 'a progress token is required: Authorization: Bearer <token> or ?token=<token>');
    let tokenUser: string;
    try {
      const claims = verifyProgressToken(token, secret);
      tokenUser = claims.userId;
      c.set('tokenExpiresAt', claims.exp * 1000);
    } catch (error) {
      if (error instanceof ProgressTokenError) throw new HttpError(401, error.code, error.message);
      throw error;
    }
    if (tokenUser !== userId) throw new HttpError(403, 'forbidden', 'this token is for another user');
    c.set('userId', userId);
    await next();
  };
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
