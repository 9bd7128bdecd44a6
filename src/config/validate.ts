import { z } from 'zod';

const configSchema = z
  .object({
    pipelines: z
      .array(z.custom<object>((v) => typeof v === 'object' && v !== null && 'chain' in v && 'sources' in v, {
        message: 'expected a pipeline made by definePipeline()',
      }))
      .min(1, 'add at least one pipeline'),
    redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
    prefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'use 1-32 letters, digits, _ or -').optional(),
    credentials: z.custom<Function>((v) => typeof v === 'function', { message: 'expected a function ({ userId, connector }) => credentials' }).optional(),
    worker: z
      .strictObject({
        concurrency: z.int().min(1).max(1000).optional(),
        lockDurationMs: z.int().min(1000).optional(),
        stalledIntervalMs: z.int().min(500).optional(),
      })
      .optional(),
    progress: z
      .strictObject({
        maxEvents: z.int().min(10).optional(),
        intervalMs: z.int().min(0).max(60_000).optional(),
        maxItemFailures: z.int().min(0).optional(),
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function validateConfig(config: unknown, file?: string): void {
  const result = configSchema.safeParse(config);
  if (result.success) return;
  const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  throw new ConfigError(`Invalid Sluice config${file ? ` in ${file}` : ''}:\n${lines}`);
}
