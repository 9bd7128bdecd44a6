export { createProgressServer, type ProgressServer } from './create-server.js';
export type { ProgressServerOptions } from './options.js';
export type { ListeningServer } from './listen.js';
export type { ProgressBody, ProgressRun } from './progress-body.js';
export type { ErrorBody } from './http-error.js';
export { bundledWidgetScript, WidgetMissingError } from './widget-loader.js';
export { createProgressToken, verifyProgressToken, ProgressTokenError, type ProgressTokenClaims, type ProgressTokenOptions, type ProgressTokenErrorCode } from '../auth/index.js';
