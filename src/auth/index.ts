export { createProgressToken, verifyProgressToken, type ProgressTokenClaims, type ProgressTokenOptions } from './token.js';
export { ProgressTokenError, type ProgressTokenErrorCode } from './token-error.js';
export { resolveSecret } from './resolve-secret.js';
export { createAdminToken, verifyAdminToken, resolveAdminSecret, type AdminTokenOptions } from './admin-token.js';
