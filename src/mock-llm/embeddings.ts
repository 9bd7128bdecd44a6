import { createHash } from 'node:crypto';
import { z } from 'zod';
import { invalidRequest } from './errors.js';
import type { Tokenizer } from '../util/tokens.js';

const tokenArray = z.array(z.number().int().nonnegative());

export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()), tokenArray, z.array(tokenArray)]),
  dimensions: z.number().int().positive().max(8192).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** The inputs as texts or token arrays, one per embedding; empty ones are refused like OpenAI does. */
export function embeddingInputs(request: EmbeddingsRequest): (string | number[])[] {
  const { input } = request;
  const inputs: (string | number[])[] = typeof input === 'string' ? [input] : input.every((x) => typeof x === 'number') ? [input as number[]] : (input as (string | number[])[]);
  if (inputs.length === 0 || inputs.some((x) => x.length === 0)) throw invalidRequest("'input' is invalid: it must not be empty.", 'input', 'invalid_value');
  if (inputs.length > 2048) throw invalidRequest("'input' is invalid: at most 2048 inputs per request.", 'input', 'invalid_value');
  return inputs;
}

export const embeddingTokens = (inputs: readonly (string | number[])[], tokens: Tokenizer) =>
  inputs.reduce((sum, x) => sum + (typeof x === 'string' ? tokens.count(x) : x.length), 0);

/**
 * A unit vector derived from a hash of the input: the same text always gets the same vector,
 * different texts get unrelated ones. Values are float32, as the real API returns them.
 */
export function embeddingVector(input: string | number[], dimensions: number): Float32Array {
  const key = typeof input === 'string' ? input : JSON.stringify(input);
  const raw: number[] = [];
  for (let block = 0; raw.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}\u0000${key}`).digest();
    for (let offset = 0; offset < digest.length && raw.length < dimensions; offset += 4) raw.push(digest.readUInt32LE(offset) / 0x80000000 - 1);
  }
  const norm = Math.sqrt(raw.reduce((sum, x) => sum + x * x, 0)) || 1;
  return Float32Array.from(raw, (x) => x / norm);
}

export function embeddingsResponse(request: EmbeddingsRequest, inputs: readonly (string | number[])[], dimensions: number, promptTokens: number) {
  const base64 = request.encoding_format === 'base64';
  return {
    object: 'list' as const,
    data: inputs.map((input, index) => {
      const vector = embeddingVector(input, dimensions);
      return {
        object: 'embedding' as const,
        index,
        embedding: base64 ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector),
      };
    }),
    model: request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
