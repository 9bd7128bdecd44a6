/**
 * What a step may ask of the LLM: the contract, declared here beside the step that uses it.
 * src/llm implements it (createLlmRuntime) and builds the ready steps on it.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelRef {
  provider: string;
  model: string;
  /** Shared budget this call draws from. Default `<provider>:<model>`. */
  limiterKey?: string;
  /** The shard's priority (lower first): among calls waiting for budget, better priorities go first. */
  priority?: number;
}

export interface ChatRequest extends ModelRef {
  messages: ChatMessage[];
  maxTokens: number;
  /** JSON schema for structured output. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** Identifies the step and its version in the cache key: a new version is a new answer. */
  cacheScope: string;
  /** Skip the cache (a retry after an invalid answer must ask again). */
  attempt?: number;
  /** Whether an answer is valid; one that is not is returned but never cached, so asking again pays for a new one. */
  accept?: (answer: string) => boolean;
}

export interface EmbedRequest extends ModelRef {
  inputs: string[];
  cacheScope: string;
}

/** LLM calls under the shared limiter, with results cached by content. */
export interface LlmRuntime {
  chat(request: ChatRequest, usage: UsageMeter): Promise<string>;
  embed(request: EmbedRequest, usage: UsageMeter): Promise<number[][]>;
}

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

  add(promptTokens: number, completionTokens: number, costMicros: number): void {
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;
    this.usage.costMicros += costMicros;
    this.usage.calls += 1;
  }

  addCached(): void {
    this.usage.cachedCalls += 1;
  }
}
