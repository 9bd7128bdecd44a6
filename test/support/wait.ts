import type { RunSnapshot } from '../../src/index.js';
import type { Sluice } from '../../src/runtime/index.js';

/** Follows the user's progress stream until the run's final event arrives (no polling sleeps). */
export async function waitForRun(sluice: Sluice, userId: string, runId: string, timeoutMs = 50_000): Promise<RunSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let after: string | undefined;
  while (Date.now() < deadline) {
    const events = await sluice.events(userId, { after, blockMs: 1000 });
    for (const event of events) {
      after = event.id;
      if (event.runId === runId && (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled')) return event.run;
    }
  }
  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
}

/** Resolves once the run has processed at least `n` records, as seen in the progress stream. */
export async function processedAtLeast(sluice: Sluice, userId: string, runId: string, n: number): Promise<void> {
  let after: string | undefined;
  for (;;) {
    for (const event of await sluice.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if (event.runId === runId && 'run' in event && event.run.counts.processed >= n) return;
    }
  }
}

/** Resolves with `read()`'s value once `done(value)` holds, checking every 20 ms; fails after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last seen ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
