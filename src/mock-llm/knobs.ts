import { z } from 'zod';
import { SluiceError } from '../errors/index.js';
import type { MockLlmKnobs } from './types.js';

const count = z.number().int().nonnegative();
const latency = z.union([
  count,
  z.object({ min: count, max: count }).strict().refine((range) => range.min <= range.max, 'min must be <= max'),
]);

// null clears a knob: it is how JSON (the admin API) says "back to the default".
const knobsSchema = z
  .object({
    models: z.array(z.string().min(1)).min(1),
    rpm: z.number().int().positive(),
    tpm: z.number().int().positive(),
    faithful: z.boolean(),
    enforcedShare: z.number().positive().max(1),
    defaultMaxTokens: z.number().int().positive(),
    latencyMs: latency,
    failRate: z.number().min(0).max(1),
    outage: z.boolean(),
    burst500: count,
    invalidJson: count,
    requireApiKey: z.string().min(1),
    embeddingDimensions: z.number().int().positive().max(8192),
    summaryWords: z.number().int().positive(),
  })
  .partial();

const nullableKnobs = z
  .object(Object.fromEntries(Object.entries(knobsSchema.shape).map(([key, schema]) => [key, schema.nullable()])))
  .strict();

export const KNOB_NAMES = Object.keys(knobsSchema.shape) as (keyof MockLlmKnobs)[];

export class MockOptionsError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'mock_options_invalid';
}

/** Validates a partial update (from code or JSON) and returns it with nulls as undefined. */
export function parseKnobs(input: unknown): MockLlmKnobs {
  const parsed = nullableKnobs.safeParse(input);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
    throw new MockOptionsError(`invalid mock LLM options: ${details.join('; ')}`);
  }
  const knobs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed.data)) knobs[key] = value ?? undefined;
  return knobs as MockLlmKnobs;
}

/** Applies an update: a key present with undefined is removed, so the default applies again. */
export function mergeKnobs(current: MockLlmKnobs, update: MockLlmKnobs): MockLlmKnobs {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as MockLlmKnobs;
}

/** Only the knobs of an options object (drops port, host, clock). */
export function pickKnobs(options: object): MockLlmKnobs {
  const source = options as Record<string, unknown>;
  return Object.fromEntries(KNOB_NAMES.filter((key) => key in source).map((key) => [key, source[key]])) as MockLlmKnobs;
}
