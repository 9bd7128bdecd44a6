import type { Step } from '../pipeline/step.js';
import { eachItem, modelRef, type ModelOptions } from './model-options.js';
import { loadTokenizer } from '../util/tokens.js';

export interface SummarizeOptions<I> extends ModelOptions<I> {
  /** Instructions, sent as the system message; the record's text is the user message. */
  instructions?: string;
  /** Default 256. */
  maxTokens?: number;
  /** Inputs longer than this are summarised in pieces, then the pieces' summaries together. Default 6000. */
  chunkTokens?: number;
}

const DEFAULT_INSTRUCTIONS = 'Summarise the text for a knowledge base, in a few factual sentences.';

/** Adds `summary` to each value. Long inputs are map-reduced over token-sized chunks. */
export function summarize<I extends object>(options: SummarizeOptions<I>): Step<I, I & { summary: string }> {
  const instructions = options.instructions ?? DEFAULT_INSTRUCTIONS;
  const maxTokens = options.maxTokens ?? 256;
  const chunkTokens = options.chunkTokens ?? 6000;
  const version = `summarize:${options.version ?? '1'}:${instructions}`;
  return {
    name: 'summarize',
    version: options.version,
    run: (items, runtime) =>
      eachItem('summarize', items, options.concurrency ?? 8, async (item) => {
        const ask = (text: string) =>
          runtime.llm.chat(
            { ...modelRef(options, runtime), messages: [{ role: 'system', content: instructions }, { role: 'user', content: text }], maxTokens, cacheScope: version },
            runtime.usage,
          );
        const chunks = (await loadTokenizer()).chunk(options.text(item.value), chunkTokens);
        const parts = await Promise.all(chunks.map(ask));
        const summary = parts.length === 1 ? parts[0]! : await ask(parts.join('\n\n'));
        return [{ context: item.context, value: { ...item.value, summary } }];
      }),
  };
}
