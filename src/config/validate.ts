import { z } from 'zod';
import { SluiceError } from '../errors/index.js';
import { parseRedisUrl, RedisUrlError } from '../store/redis-url.js';

const limitSpec = z.strictObject({
  rpm: z.number().positive().optional(),
  tpm: z.number().positive().optional(),
  rpd: z.number().positive().optional(),
  tpd: z.number().positive().optional(),
});

/** Redis URL and key prefix rules, shared with the same settings taken from the environment or flags. */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  try {
    parseRedisUrl(url);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof RedisUrlError ? error.reason : String(error) });
  }
});
export const prefixSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'use 1-32 letters, digits, _ or -');

const configSchema = z
  .object({
    pipelines: z
      .array(z.custom<object>((v) => typeof v === 'object' && v !== null && 'chain' in v && 'sources' in v, {
        message: 'expected a pipeline made by definePipeline()',
      }))
      .min(1, 'add at least one pipeline'),
    redis: redisUrlSchema.optional(),
    prefix: prefixSchema.optional(),
    credentials: z.custom<Function>((v) => typeof v === 'function', { message: 'expected a function ({ userId, connector }) => credentials' }).optional(),
    worker: z
      .strictObject({
        concurrency: z.int().min(1).max(1000).optional(),
        lockDurationMs: z.int().min(1000).optional(),
        stalledIntervalMs: z.int().min(500).optional(),
        drainTimeoutMs: z.int().min(0).optional(),
        reconcileIntervalMs: z.int().min(0).optional(),
      })
      .optional(),
    llm: z
      .strictObject({
        providers: z
          .record(
            z.string().regex(/^[a-z0-9-]+$/, 'provider names use lowercase letters, digits and dashes'),
            z.strictObject({
              baseURL: z.url().optional(),
              apiKey: z.string().min(1).optional(),
              limits: z.record(z.string(), limitSpec).optional(),
              prices: z.record(z.string(), z.strictObject({ input: z.number().min(0), output: z.number().min(0) })).optional(),
              timeoutMs: z.int().min(100).optional(),
              rateLimitCharge: z.enum(['max_tokens', 'usage']).optional(),
              endUserId: z.enum(['safety_identifier', 'user']).optional(),
            }),
          )
          .optional(),
        maxWaitInWorkerMs: z.int().min(0).max(60_000).optional(),
        cacheTtlSeconds: z.int().min(1).optional(),
        inFlightNoticeMs: z.int().min(100).optional(),
      })
      .optional(),
    limits: z.record(z.string().min(1), limitSpec).optional(),
    limiter: z
      .strictObject({
        burstSeconds: z.number().positive().max(60).optional(),
        pace: z.number().positive().max(1).optional(),
        circuitThreshold: z.int().min(1).optional(),
        cooldownMs: z.int().min(10).optional(),
        maxCooldownMs: z.int().min(10).optional(),
        cutFactor: z.number().positive().max(1).optional(),
      })
      .optional(),
    progress: z
      .strictObject({
        maxEvents: z.int().min(10).optional(),
        intervalMs: z.int().min(0).max(60_000).optional(),
        maxItemFailures: z.int().min(0).optional(),
        maxRuns: z.int().min(1).optional(),
      })
      .optional(),
    runs: z
      .strictObject({
        maxActivePerUser: z.int().min(1).optional(),
        maxRecordsPerRun: z.int().min(1).optional(),
        maxBytesPerRun: z.int().min(1).optional(),
        noProgressTimeoutMs: z.int().min(0).optional(),
      })
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.pipelines.forEach((p, i) => {
      const id = (p as { id: string }).id;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['pipelines', i], message: `duplicate pipeline id "${id}"` });
      seen.add(id);
    });
  });

/** The config file is invalid: nothing is enqueued until it is fixed. */
export class ConfigError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'config_invalid';
}

export function validateConfig(config: unknown, file?: string): void {
  const result = configSchema.safeParse(config);
  if (result.success) return;
  const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  throw new ConfigError(`Invalid Sluice config${file ? ` in ${file}` : ''}:\n${lines}`);
}
