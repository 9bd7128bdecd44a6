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
  /** Aborts the call (the run was cancelled); an aborted call does not count against the provider. */
  signal?: AbortSignal;
  /** The end user the call is for; sent hashed when the provider is configured to (`endUserId`). */
  userId?: string;
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

/** The wait reason a run shows while one of its LLM calls is in flight for more than a few seconds. */
export const LLM_CALL_IN_FLIGHT = 'llm call in flight';

/** An LLM call still in flight: its limiter key, when it was sent and when it gives up (epoch ms). */
export interface SlowCall {
  on: string;
  since: number;
  deadline: number;
}

/**
 * Adds up the LLM usage of one batch. With `publish`, each paid call (and cache hit) is also
 * published the moment it happens, so a call paid by an attempt that is later re-queued or
 * fails still counts, once.
 */
export class UsageMeter {
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls: 0 };
  private readonly pending = new Set<Promise<unknown>>();
  private cachedUnsent = 0;

  /**
   * `publish` gets each delta and the limiter key that answered (a paid call proves the provider is
   * back: a wait on that key is over); `slowCalls` hears of a call still in flight after a few seconds, and of its end.
   */
  constructor(
    private readonly publish?: (delta: Usage, answeredBy?: string) => Promise<unknown>,
    private readonly slowCalls?: { shown(call: SlowCall): void; ended(call: SlowCall): void },
  ) {}

  add(promptTokens: number, completionTokens: number, costMicros: number, answeredBy?: string): void {
    this.usage.promptTokens += promptTokens;
    this.usage.completionTokens += completionTokens;
    this.usage.costMicros += costMicros;
    this.usage.calls += 1;
    this.send({ promptTokens, completionTokens, costMicros, calls: 1, cachedCalls: 0 }, answeredBy);
  }

  /** A call on `on` sent at `since` (epoch ms) has not answered yet; it gives up at `deadline`. */
  slowCall(call: SlowCall): void {
    this.slowCalls?.shown(call);
  }

  /** A call `slowCall` told of has ended, answered or not. */
  slowCallEnded(call: SlowCall): void {
    this.slowCalls?.ended(call);
  }

  addCached(): void {
    this.usage.cachedCalls += 1;
    // A batch's cache hits arrive together (one MGET): they are published as one delta.
    if (this.cachedUnsent++ > 0) return;
    queueMicrotask(() => {
      const cachedCalls = this.cachedUnsent;
      this.cachedUnsent = 0;
      this.send({ promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls });
    });
  }

  /** Resolves when every publication so far is written. */
  async flushed(): Promise<void> {
    // Cache hits counted in this turn are published from a microtask queued before this one.
    await Promise.resolve();
    await Promise.all([...this.pending]);
  }

  /**
   * A meter for one call: it passes each paid call, cache hit and slow-call notice on to this meter
   * at once (so this one's accounting, publication and `flushed` are unchanged) and tells `tap` too.
   */
  forCall(tap: (delta: Usage) => void): UsageMeter {
    const batch = this;
    return new (class CallMeter extends UsageMeter {
      override add(promptTokens: number, completionTokens: number, costMicros: number, answeredBy?: string): void {
        super.add(promptTokens, completionTokens, costMicros, answeredBy);
        batch.add(promptTokens, completionTokens, costMicros, answeredBy);
        tap({ promptTokens, completionTokens, costMicros, calls: 1, cachedCalls: 0 });
      }
      override addCached(): void {
        super.addCached();
        batch.addCached();
        tap({ promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls: 1 });
      }
      override slowCall(call: SlowCall): void {
        batch.slowCall(call);
      }
      override slowCallEnded(call: SlowCall): void {
        batch.slowCallEnded(call);
      }
      override flushed(): Promise<void> {
        return batch.flushed();
      }
    })();
  }

  private send(delta: Usage, answeredBy?: string): void {
    if (!this.publish) return;
    // A lost publication costs an under-count, never the batch: it is not worth failing work over.
    const sent = this.publish(delta, answeredBy).catch(() => undefined);
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }
}
