import { setTimeout as delay } from 'node:timers/promises';
import { invalidRequest, rateLimited, serverError } from './errors.js';
import { failsAt, latencyFor } from './faults.js';
import type { MockState } from './state.js';

export interface Admitted {
  /** The request's number among admitted ones (from 1). */
  seq: number;
  /** x-ratelimit-* and x-request-id for the answer. */
  headers: Record<string, string>;
}

/** Refuses a model the configured list does not name. */
export function checkModel(state: MockState, model: string): void {
  const { models } = state.knobs;
  if (models && !models.includes(model)) {
    throw invalidRequest(`The model \`${model}\` does not exist or you do not have access to it.`, 'model', 'model_not_found');
  }
  state.seenModels.add(model);
}

/**
 * The path of a valid request, in the order the real API takes it: the rate limiter charges it
 * (or answers 429), then the configured latency passes, then the injected 500s strike.
 */
export async function admit(state: MockState, model: string, tokens: number, closing: AbortSignal): Promise<Admitted> {
  const now = state.now();
  const admission = state.limiter.admit(model, tokens, state.knobs, now);
  if (!admission.ok) {
    const retry: Record<string, string> =
      admission.retryAfterMs === undefined
        ? {}
        : { 'retry-after': String(Math.ceil(admission.retryAfterMs / 1000)), 'retry-after-ms': String(admission.retryAfterMs) };
    throw rateLimited(admission.message, admission.type, { ...admission.headers, ...retry });
  }
  state.stats.admitted(model, tokens, now);
  const seq = state.nextAdmitted();
  const headers = { ...admission.headers, 'x-request-id': `req_mock_${seq}` };
  const latency = latencyFor(seq, state.knobs.latencyMs);
  // Closing the mock cuts the wait short, so close() never hangs on a slow answer.
  if (latency > 0) await delay(latency, undefined, { signal: closing }).catch(() => undefined);
  const failRateHit = failsAt(seq, state.knobs.failRate);
  if (state.takeBurst500() || failRateHit) {
    const error = serverError();
    Object.assign(error.headers, headers);
    throw error;
  }
  return { seq, headers };
}
