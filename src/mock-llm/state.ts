import type { JsonBreakage } from './chat.js';
import { mergeKnobs, parseKnobs } from './knobs.js';
import { RateLimiter } from './rate-limiter.js';
import { StatsRecorder } from './stats.js';
import type { MockLlmKnobs } from './types.js';

export const DEFAULTS = { defaultMaxTokens: 1024, embeddingDimensions: 64, summaryWords: 12 } as const;

/** Everything a running mock knows: its knobs, rate-limit usage, stats and deterministic counters. */
export class MockState {
  knobs: MockLlmKnobs;
  readonly limiter = new RateLimiter();
  readonly stats: StatsRecorder;
  readonly seenModels = new Set<string>();
  private admittedCount = 0;
  private brokenJsonCount = 0;

  constructor(
    knobs: MockLlmKnobs,
    readonly now: () => number,
  ) {
    this.knobs = mergeKnobs({}, parseKnobs(knobs));
    this.stats = new StatsRecorder(now());
  }

  setKnobs(update: unknown): MockLlmKnobs {
    this.knobs = mergeKnobs(this.knobs, parseKnobs(update));
    return { ...this.knobs };
  }

  /** Numbers admitted requests from 1: the index latency and failRate are derived from. */
  nextAdmitted(): number {
    this.admittedCount += 1;
    return this.admittedCount;
  }

  /** Consumes one of the `burst500` failures, if any are left. */
  takeBurst500(): boolean {
    if (!this.knobs.burst500) return false;
    this.knobs = { ...this.knobs, burst500: this.knobs.burst500 - 1 };
    return true;
  }

  /** Consumes one `invalidJson` answer: alternately cut short (unparseable) and missing a required field. */
  takeJsonBreakage(): JsonBreakage | undefined {
    if (!this.knobs.invalidJson) return undefined;
    this.knobs = { ...this.knobs, invalidJson: this.knobs.invalidJson - 1 };
    this.brokenJsonCount += 1;
    return this.brokenJsonCount % 2 === 1 ? 'cut-short' : 'missing-field';
  }

  reset(): void {
    this.limiter.reset();
    this.stats.reset(this.now());
    this.seenModels.clear();
    this.admittedCount = 0;
    this.brokenJsonCount = 0;
  }
}
