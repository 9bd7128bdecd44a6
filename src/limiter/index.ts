export { createLimiter, type Limiter } from './limiter.js';
export { LimiterWaitError, RequestTooLargeError } from './errors.js';
export { readRateLimitHeaders, parseDuration, type RateLimitHeaders } from './headers.js';
export type { Acquired, CallOutcome, LimiterOptions, LimitSpec, WaitReason } from './types.js';
