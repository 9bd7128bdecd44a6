import type { MiddlewareHandler } from 'hono';
import { looksLikeProgressToken, verifyAdminToken } from '../../auth/admin-token.js';
import { ProgressTokenError } from '../../auth/token-error.js';
import { bearerToken } from '../auth.js';
import { HttpError } from '../http-error.js';

/**
 * Guards /admin/api/...: an admin token in `Authorization: Bearer` (401 without one, or with one
 * that is malformed, forged or expired); a user's progress token is refused with 403, whatever it
 * is signed with. No `?token=`: admin tokens stay out of URLs and access logs.
 */
export function adminAccess(adminSecret: string): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new HttpError(401, 'admin_token_missing', 'an admin token is required: Authorization: Bearer <token> (make one with: sluice token --admin)');
    if (looksLikeProgressToken(token)) {
      throw new HttpError(403, 'user_token_refused', "this is a user's progress token; admin routes need an admin token (sluice token --admin)");
    }
    try {
      verifyAdminToken(token, adminSecret);
    } catch (error) {
      if (error instanceof ProgressTokenError) throw new HttpError(401, error.code, error.message);
      throw error;
    }
    await next();
  };
}
