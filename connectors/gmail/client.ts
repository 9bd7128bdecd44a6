/**
 * Gmail calls of one read: each goes through the user's concurrency gate, is charged its quota
 * units on the shared limiter (per user, and per project when configured) before it is sent, carries
 * the user's access token, is retried once with a fresh token after a 401, and leaves here as a
 * SourceError. No in-client retries: a rate limit re-queues the shard, 5xx is retried by the runtime
 * with backoff.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import { SourceError, type ReadContext } from 'sluice';
import type { TokenSourceFor } from './auth.js';
import { CONNECTOR, httpStatus, toSourceError } from './errors.js';
import type { UserGate } from './gate.js';
import type { ResolvedOptions } from './options.js';

/** Quota units per call, from Gmail's usage limits page. */
export const QUOTA_UNITS = {
  'users.getProfile': 1,
  'users.messages.list': 5,
  'users.messages.get': 5,
  'users.threads.list': 10,
  'users.threads.get': 10,
  'users.history.list': 2,
} as const;
export type GmailCall = keyof typeof QUOTA_UNITS;

type Users = gmail_v1.Resource$Users;
type CallOptions = { headers: Record<string, string>; signal?: AbortSignal; timeout: number; retry: false };

export interface GmailApi {
  readonly options: ResolvedOptions;
  call<T>(name: GmailCall, fn: (users: Users, options: CallOptions) => Promise<{ data: T }>): Promise<T>;
}

export function createApiProvider(options: ResolvedOptions, tokens: TokenSourceFor, gate: UserGate) {
  const users = gmail({ version: 'v1', rootUrl: options.rootUrl }).users;

  return function apiFor(context: ReadContext<unknown>): GmailApi {
    const tokenSource = tokens(context);
    const send = async <T>(name: GmailCall, token: string, fn: (users: Users, o: CallOptions) => Promise<{ data: T }>) => {
      await context.limiter.take(options.userLimitKey, QUOTA_UNITS[name]);
      await context.limiter.take(options.projectLimitKey, QUOTA_UNITS[name]);
      try {
        const call = { headers: { authorization: `Bearer ${token}` }, signal: context.signal, timeout: options.requestTimeoutMs, retry: false as const };
        return (await fn(users, call)).data;
      } catch (error) {
        // gaxios aborts a request past its deadline; the run's own abort (cancellation) stays an abort.
        if (!context.signal?.aborted && isAbort(error)) {
          throw new SourceError(`Gmail ${name} timed out after ${options.requestTimeoutMs / 1000} s`, CONNECTOR, { cause: error });
        }
        throw error;
      }
    };
    return {
      options,
      call: (name, fn) =>
        gate.run(context.userId, async () => {
          const token = await tokenSource.token();
          try {
            return await send(name, token, fn);
          } catch (error) {
            if (httpStatus(error) !== 401) throw toSourceError(error, name);
            const fresh = await tokenSource.refresh(token);
            try {
              return await send(name, fresh, fn);
            } catch (again) {
              throw toSourceError(again, name);
            }
          }
        }),
    };
  };
}

/** An aborted request: gaxios' own deadline (TimeoutError) or an AbortError, somewhere in the cause chain. */
function isAbort(error: unknown): boolean {
  for (let e = error as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
}

export type ApiFor = ReturnType<typeof createApiProvider>;
