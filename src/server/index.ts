export { createProgressServer, type ProgressBody, type ProgressRun, type ProgressServer } from './app.js';
export type { ProgressServerOptions } from './options.js';
export type { ServerMetricsOptions } from './metrics.js';
export type { ListeningServer } from './listen.js';
export type { ErrorBody } from './http-error.js';
export { bundledWidgetScript, WidgetMissingError } from './widget.js';
export { createAdminToken, verifyAdminToken, type AdminTokenOptions } from '../auth/index.js';
export { createProgressToken, verifyProgressToken, ProgressTokenError, type ProgressTokenClaims, type ProgressTokenOptions, type ProgressTokenErrorCode } from '../auth/index.js';
