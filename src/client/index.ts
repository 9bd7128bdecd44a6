// sluice/client: browser- and Node-safe, no dependencies. The widget, the React hook and the CLI build on it.
export { subscribeProgress, type SubscribeOptions, type ProgressSubscription } from './subscribe.js';
export { applyProgress, initialProgressState, type ProgressState, type ProgressInput } from './state.js';
export { latestRuns, overallState, runProgress, type OverallState } from './selectors.js';
export { fetchProgress, startRemoteRun, type RequestOptions } from './http.js';
export { ProgressError, type ProgressErrorDetails } from './errors.js';
export { SseParser, type SseMessage, type SseHandlers } from './sse-parser.js';
export { compareStreamIds } from '../util/stream-id.js';
export { formatEta, formatCount, formatDeleted, formatSpan, formatSyncTimes, formatWaiting } from './format.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { TokenSource } from './endpoints.js';
export type { ConnectionStatus, ItemFailure, ProgressSnapshotBody, RunSchedule, RunView } from './types.js';
export type { ProgressEntry, RunCounts, RunEvent, RunEventType, RunSnapshot, RunStatus } from '../progress/events.js';
