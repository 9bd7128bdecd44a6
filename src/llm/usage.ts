/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** List prices of common models, for the cost estimate in progress; configure others per provider. */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
};

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Estimated cost in millionths of a USD (integers add up exactly in Redis). */
  costMicros: number;
  calls: number;
  /** Calls answered from the cache: free. */
  cachedCalls: number;
}

/** Adds up the LLM usage of one batch; the runtime adds it to the run's counts once. */
export class UsageMeter {
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls: 0 };

  add(promptTokens: number, completionTokens: number, price: ModelPrice | undefined): void {
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;
    this.usage.calls += 1;
    if (price) this.usage.costMicros += Math.round(promptTokens * price.input + completionTokens * price.output);
  }

  addCached(): void {
    this.usage.cachedCalls += 1;
  }
}
