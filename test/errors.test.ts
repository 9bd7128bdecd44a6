import { createJiti } from 'jiti';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { GithubStatusError } from '../connectors/github/errors.js';
import { ProgressTokenError } from '../src/auth/index.js';
import { ConfigError } from '../src/config/validate.js';
import { ConnectorParamsError, SourceAuthError, SourceConfigError, SourceError, SourceRateLimitError, SourceResponseError } from '../src/connector/index.js';
import {
  classifyError,
  concernsShard,
  ERROR_KINDS,
  InvalidInputError,
  isSluiceError,
  SLUICE_ERROR,
  SluiceError,
  type ErrorDecision,
  type ErrorKind,
} from '../src/errors/index.js';
import * as root from '../src/index.js';
import { LimiterWaitError, RequestTooLargeError } from '../src/limiter/index.js';
import { LlmAuthError, LlmRequestError, ProviderUnavailableError } from '../src/llm/index.js';
import { MockOptionsError } from '../src/mock-llm/index.js';
import { PipelineConfigError } from '../src/pipeline/validate.js';
import { WidgetMissingError } from '../src/server/index.js';

const FAIL_RUN: ErrorDecision = { action: 'fail-run' };
const RETRY: ErrorDecision = { action: 'retry' };
const GIVE_UP: ErrorDecision = { action: 'give-up' };

/** Every Sluice error class, the kind it has and what becomes of a shard that throws it. */
const TABLE: [SluiceError, ErrorKind, ErrorDecision][] = [
  [new SourceAuthError('token revoked', 'github'), 'run-fatal', FAIL_RUN],
  [new SourceConfigError('no such root', 'files'), 'run-fatal', FAIL_RUN],
  [new SourceRateLimitError('slow down', 'github', 30_000), 'retry-later', { action: 'delay', delayMs: 30_000, wait: { on: 'github', reason: 'rate limit' } }],
  [new SourceResponseError('not JSON', 'github'), 'retry', RETRY],
  [new SourceError('502 after retries', 'github'), 'retry', RETRY],
  [new GithubStatusError('422', 422), 'retry', RETRY],
  [new LimiterWaitError('openai:m', 500, 'rate'), 'retry-later', { action: 'delay', delayMs: 500, wait: { on: 'openai:m', reason: 'budget', seenAt: expect.any(Number) } }],
  [new LimiterWaitError('openai:m', 800, 'circuit'), 'retry-later', { action: 'delay', delayMs: 800, wait: { on: 'openai:m', reason: 'provider unavailable', seenAt: expect.any(Number) } }],
  [new LimiterWaitError('openai:m', 900, 'paused'), 'retry-later', { action: 'delay', delayMs: 900, wait: { on: 'openai:m', reason: 'provider rate limit', seenAt: expect.any(Number) } }],
  [new LimiterWaitError('openai:m', 1000, 'day'), 'retry-later', { action: 'delay', delayMs: 1000, wait: { on: 'openai:m', reason: 'daily budget used', seenAt: expect.any(Number) } }],
  [new RequestTooLargeError('openai:m', 2000, 1000), 'record-failed', GIVE_UP],
  [new LlmAuthError('bad key'), 'run-fatal', FAIL_RUN],
  [new ProviderUnavailableError('503'), 'retry', RETRY],
  [new LlmRequestError('content policy'), 'record-failed', GIVE_UP],
  [new InvalidInputError('bad user id'), 'run-fatal', FAIL_RUN],
  [new ConfigError('bad config'), 'run-fatal', FAIL_RUN],
  [new PipelineConfigError('bad pipeline', []), 'run-fatal', FAIL_RUN],
  [new ConnectorParamsError('bad params'), 'run-fatal', FAIL_RUN],
  [new ProgressTokenError('token_expired', 'expired'), 'run-fatal', FAIL_RUN],
  [new MockOptionsError('bad knob'), 'run-fatal', FAIL_RUN],
  [new WidgetMissingError('no bundle'), 'run-fatal', FAIL_RUN],
];

describe('classification', () => {
  it.each(TABLE)('%s is %s', (error, kind, decision) => {
    expect(isSluiceError(error)).toBe(true);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.kind).toBe(kind);
    expect(error.name).toBe(error.constructor.name);
    expect(error.code).toMatch(/^[a-z][a-z_]*$/);
    expect(classifyError(error)).toEqual(decision);
    // Only a record's own failure leaves the rest of the shard running.
    expect(concernsShard(error)).toBe(kind !== 'record-failed');
  });

  it('the table covers every kind', () => {
    expect(new Set(TABLE.map(([, kind]) => kind))).toEqual(new Set(ERROR_KINDS));
  });

  it('each class has a code of its own, so codes can be matched on', () => {
    const codeOf = new Map(TABLE.map(([error]) => [error.constructor.name, error.code]));
    expect(new Set(codeOf.values()).size).toBe(codeOf.size);
  });

  it.each([new Error('boom'), new TypeError('x is undefined'), 'a string', undefined, null, { message: 'an object' }])(
    'a foreign value (%s) is retried, and inside a step fails only its record',
    (error) => {
      expect(isSluiceError(error)).toBe(false);
      expect(classifyError(error)).toEqual(RETRY);
      expect(concernsShard(error)).toBe(false);
    },
  );

  it('a retry-later error that does not say how long waits a second rather than spinning', () => {
    class Vague extends SluiceError {
      readonly kind = 'retry-later';
      readonly code = 'vague';
    }
    expect(classifyError(new Vague('later'))).toEqual({ action: 'delay', delayMs: 1000 });
  });

  it('keeps the brand out of what a log shows', () => {
    expect(Object.getOwnPropertySymbols(new LlmAuthError('bad key'))).toEqual([]);
  });
});

describe('the brand works across copies of the classes', () => {
  it('recognises an error from a second copy of src/errors, where instanceof fails', async () => {
    // The query makes the module loader evaluate the file again: a class of its own, as in a config's graph.
    const specifier = '../src/errors/sluice-error.ts?copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('../src/errors/sluice-error.js');
    expect(copy.SluiceError).not.toBe(SluiceError);
    class CopiedAuthError extends copy.SluiceError {
      readonly kind = 'run-fatal';
      readonly code = 'copied_auth';
    }
    const error = new CopiedAuthError('revoked');
    expect(error).not.toBeInstanceOf(SluiceError);
    expect(isSluiceError(error)).toBe(true);
    expect(classifyError(error)).toEqual(FAIL_RUN);
  });

  it('recognises the errors of a connector loaded by jiti, as a config file is', async () => {
    const jiti = createJiti(import.meta.url, { moduleCache: false });
    const copy = await jiti.import<typeof import('../src/connector/errors.js')>('../src/connector/errors.ts');
    expect(copy.SourceAuthError).not.toBe(SourceAuthError);
    const auth = new copy.SourceAuthError('revoked', 'github');
    expect(auth).not.toBeInstanceOf(SourceAuthError);
    expect(classifyError(auth)).toEqual(FAIL_RUN);
    expect(classifyError(new copy.SourceRateLimitError('slow', 'github', 5000))).toEqual({ action: 'delay', delayMs: 5000, wait: { on: 'github', reason: 'rate limit' } });
    expect(classifyError(new copy.SourceResponseError('odd', 'github'))).toEqual(RETRY);
  });

  it('recognises any object carrying the brand and a known kind, and nothing else', () => {
    const branded = { [SLUICE_ERROR]: true, kind: 'retry-later', code: 'x', message: 'm', retryAfterMs: 70 };
    expect(isSluiceError(branded)).toBe(true);
    expect(classifyError(branded)).toEqual({ action: 'delay', delayMs: 70 });
    expect(isSluiceError({ [Symbol.for('sluice.error')]: true, kind: 'record-failed' })).toBe(true);
    // A kind from a newer Sluice this copy does not know is not trusted: retried, like any error.
    const newer = { [SLUICE_ERROR]: true, kind: 'retry-elsewhere' };
    expect(isSluiceError(newer)).toBe(false);
    expect(classifyError(newer)).toEqual(RETRY);
    expect(isSluiceError({ kind: 'run-fatal' })).toBe(false);
    expect(isSluiceError({ [Symbol('sluice.error')]: true, kind: 'run-fatal' })).toBe(false);
  });
});

describe('exhaustiveness', () => {
  it('ERROR_KINDS lists exactly the ErrorKind union', () => {
    expectTypeOf<(typeof ERROR_KINDS)[number]>().toEqualTypeOf<ErrorKind>();
    expectTypeOf<ErrorKind>().toEqualTypeOf<'run-fatal' | 'retry-later' | 'retry' | 'record-failed'>();
    expect(ERROR_KINDS).toEqual(['run-fatal', 'retry-later', 'retry', 'record-failed']);
  });

  it('every kind gets a decision of its own', () => {
    const decisions = ERROR_KINDS.map((kind) => classifyError({ [SLUICE_ERROR]: true, kind, retryAfterMs: 10 }).action);
    expect(decisions).toEqual(['fail-run', 'delay', 'retry', 'give-up']);
  });
});

it('the root entry exports the base, the guard and the general errors', () => {
  expect(root.SluiceError).toBe(SluiceError);
  expect(root.isSluiceError).toBe(isSluiceError);
  expect(root.InvalidInputError).toBe(InvalidInputError);
  expectTypeOf<root.ErrorKind>().toEqualTypeOf<ErrorKind>();
});
