import { relative } from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../errors/index.js';
import { scheduleSpecSchema } from './schedule.js';

const sourceSchema = z.custom<object>(
  (value) =>
    typeof value === 'object' && value !== null && typeof (value as { read?: unknown }).read === 'function' &&
    typeof (value as { connector?: unknown }).connector === 'string',
  { message: 'expected a connector stream, e.g. github.issues({ repos })' },
);

export const pipelineIdSchema = z
  .string({ message: 'expected a string' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use 1-63 lowercase letters, digits and dashes, starting with a letter or digit');

const optionsSchema = z.object({
  id: pipelineIdSchema,
  description: z.string().optional(),
  version: z.string().min(1).max(64).optional(),
  // Without its own message the union would report a bare "Invalid input" for a missing or wrong source.
  source: z.union([sourceSchema, z.array(sourceSchema).min(1, 'needs at least one source')], {
    error: 'expected a connector stream, e.g. github.issues({ repos }), or an array of them',
  }),
  steps: z.custom<Function>((v) => v === undefined || typeof v === 'function', { message: 'expected a function (records) => records.map(...)' }).optional(),
  sink: z
    .custom<object>((v) => typeof v === 'object' && v !== null && typeof (v as { open?: unknown }).open === 'function', {
      message: 'expected a sink, e.g. redisSink() or jsonlSink()',
    })
    .optional(),
  sharding: z.strictObject({ batchSize: z.int().min(1).max(1000).optional() }).optional(),
  retries: z
    .strictObject({ attempts: z.int().min(1).max(100).optional(), backoffMs: z.int().min(0).max(3_600_000).optional() })
    .optional(),
  queue: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes').optional(),
  concurrency: z.int().min(1).max(1000).optional(),
  fairness: z.enum(['round-robin', 'fifo']).optional(),
  input: z
    .custom<object>((v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function', {
      message: 'expected a zod schema, e.g. z.object({ since: z.string().optional() })',
    })
    .optional(),
  recordTimeoutMs: z.int().min(1).max(24 * 3_600_000).optional(),
  userInput: z.array(z.string().min(1), { message: "expected a list of input field names, e.g. ['since']" }).optional(),
  schedule: scheduleSpecSchema.optional(),
}).strict().superRefine((options, ctx) => {
  // Fields a browser may set must be fields the input declares, or the list hides a typo.
  const shape = (options.input as { shape?: Record<string, unknown> } | undefined)?.shape;
  if (!shape || !options.userInput) return;
  for (const [index, field] of options.userInput.entries()) {
    if (!(field in shape)) ctx.addIssue({ code: 'custom', path: ['userInput', index], message: `"${field}" is not a field of the input schema` });
  }
});

/** A pipeline definition that failed validation; the message names the pipeline, its file and each bad field. */
export class PipelineConfigError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'pipeline_invalid';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(message);
  }
}

export function validatePipeline(options: unknown, definedIn: string | undefined): void {
  const result = optionsSchema.safeParse(options);
  if (result.success) return;
  const id = typeof (options as { id?: unknown })?.id === 'string' ? (options as { id: string }).id : '(no id)';
  const where = definedIn ? ` in ${relative(process.cwd(), definedIn) || definedIn}` : '';
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new PipelineConfigError(`Invalid pipeline "${id}"${where}:\n${lines}`, issues);
}
