import { z } from 'zod';
import type { Step } from '../pipeline/step.js';
import { LlmRequestError } from './errors.js';
import { eachItem, modelRef, type ModelOptions } from './model-options.js';
import { loadTokenizer } from '../util/tokens.js';

export interface ExtractOptions<I, S extends z.ZodType> extends ModelOptions<I> {
  schema: S;
  /** What to extract, in words; the schema is sent as the response format too. */
  instructions?: string;
  /** Default 512. */
  maxTokens?: number;
  /** Extra tries after an answer that is not valid JSON or does not match the schema. Default 2. */
  invalidRetries?: number;
  /** Only the first this-many tokens of the input are read. Default 6000. */
  inputTokens?: number;
}

/**
 * Adds `extracted`, validated against a zod schema. An invalid answer is asked again a bounded
 * number of times; then the record fails with the validation issues as its reason.
 */
export function extract<I extends object, S extends z.ZodType>(options: ExtractOptions<I, S>): Step<I, I & { extracted: z.infer<S> }> {
  const jsonSchema = z.toJSONSchema(options.schema) as Record<string, unknown>;
  const instructions = options.instructions ?? 'Extract the requested fields from the text.';
  const retries = options.invalidRetries ?? 2;
  const version = `extract:${options.version ?? '1'}:${instructions}`;
  return {
    name: 'extract',
    version: options.version,
    run: (items, runtime) =>
      eachItem('extract', items, options.concurrency ?? 8, async (item) => {
        const [text = ''] = (await loadTokenizer()).chunk(options.text(item.value), options.inputTokens ?? 6000);
        const messages = [
          { role: 'system' as const, content: `${instructions}\nAnswer with JSON matching this schema:\n${JSON.stringify(jsonSchema)}` },
          { role: 'user' as const, content: text },
        ];
        const check = (answer: string): { ok: true; value: z.infer<S> } | { ok: false; problem: string } => {
          const parsed = parseJson(answer);
          if (!parsed.ok) return { ok: false, problem: `answer is not JSON (${parsed.error})` };
          const result = options.schema.safeParse(parsed.value);
          if (result.success) return { ok: true, value: result.data as z.infer<S> };
          return { ok: false, problem: `answer does not match the schema: ${z.prettifyError(result.error).replaceAll('\n', '; ')}` };
        };
        let problem = '';
        for (let attempt = 0; attempt <= retries; attempt++) {
          const answer = await runtime.llm.chat(
            {
              ...modelRef(options, runtime),
              messages,
              maxTokens: options.maxTokens ?? 512,
              jsonSchema: { name: 'extraction', schema: jsonSchema },
              cacheScope: version,
              attempt,
              // An invalid answer is never cached: a later run asks again instead of failing for the cache's lifetime.
              accept: (text) => check(text).ok,
            },
            runtime.usage,
          );
          const checked = check(answer);
          if (checked.ok) return [{ context: item.context, value: { ...item.value, extracted: checked.value } }];
          problem = checked.problem;
        }
        throw new LlmRequestError(`${retries + 1} tries, ${problem}`);
      }),
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
