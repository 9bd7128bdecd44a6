import type { Step, StepItem } from '../pipeline/step.js';
import { modelRef, type ModelOptions } from './model-options.js';
import { loadTokenizer } from '../util/tokens.js';

export interface EmbedOptions<I> extends Omit<ModelOptions<I>, 'concurrency'> {
  /** Inputs per embeddings request. Default 64. */
  batchSize?: number;
  /** Each value's text is split into chunks of at most this many tokens, one document each. Default 512. */
  chunkTokens?: number;
}

/**
 * Embeds each value's text in token-sized chunks: one output per chunk (`<id>#<n>` after the
 * first) carrying the chunk and its vector. Chunks of the whole batch share requests.
 */
export function embed<I extends object>(options: EmbedOptions<I>): Step<I, I & { chunk: string; embedding: number[] }> {
  const batchSize = options.batchSize ?? 64;
  const version = `embed:${options.version ?? '1'}`;
  return {
    name: 'embed',
    version: options.version,
    async run(items, runtime) {
      const tokens = await loadTokenizer();
      const chunks = items.map((item) => tokens.chunk(options.text(item.value), options.chunkTokens ?? 512));
      const flat = chunks.flatMap((list, itemIndex) => list.map((text) => ({ itemIndex, text })));
      const vectors: number[][] = [];
      for (let i = 0; i < flat.length; i += batchSize) {
        const group = flat.slice(i, i + batchSize);
        // A wait or an outage here sends the batch back to the queue; embedded groups are cached.
        vectors.push(...(await runtime.llm.embed({ ...modelRef(options, runtime), inputs: group.map((c) => c.text), cacheScope: version }, runtime.usage)));
      }
      let at = 0;
      return items.map((item, itemIndex) => {
        const out: StepItem<I & { chunk: string; embedding: number[] }>[] = chunks[itemIndex]!.map((chunk, n) => ({
          context: { ...item.context, id: n === 0 ? item.context.id : `${item.context.id}#${n}` },
          value: { ...item.value, chunk, embedding: vectors[at + n]! },
        }));
        at += out.length;
        return { ok: true, items: out };
      });
    },
  };
}
