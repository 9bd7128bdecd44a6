import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, type ProgressEntry } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
});

/** Resolves once any of the users' runs has processed `n` records. */
async function someProgress(s: Sluice, users: string[], n: number): Promise<void> {
  for (;;) {
    const runs = (await Promise.all(users.map((u) => s.status(u)))).flat();
    if (runs.some((r) => r.counts.processed >= n)) return;
    await s.events(users[0]!, { after: '$', blockMs: 200 });
  }
}

describe('fairness across users', () => {
  it("a user who starts while others have backlogs gets a first batch done before the backlogs drain", async () => {
    prefix = uniquePrefix('fair');
    const pipeline = definePipeline({
      id: 'busy',
      source: synthetic.records({ count: 120, pageSize: 60 }),
      sharding: { batchSize: 5 },
      // Work per record, so three users' backlogs take a while on two job slots.
      steps: (records) => records.map(async (r) => (await delay(15), r)),
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 0 } }));
    sluice.startWorker({ concurrency: 2 });
    const early = ['e1', 'e2', 'e3'];
    const earlyRuns = await Promise.all(early.map((userId) => sluice!.startRun('busy', { userId })));
    await someProgress(sluice, early, 20);

    const late = await sluice.startRun('busy', { userId: 'late' });
    const firstLateProgress = await new Promise<number>((resolve) => {
      const poll = async (after?: string): Promise<void> => {
        for (const event of await sluice!.events('late', { after, blockMs: 1000 })) {
          if ('run' in event && event.run.counts.processed > 0) return resolve(Date.now());
          after = event.id;
        }
        return poll(after);
      };
      void poll();
    });
    const finishes = await Promise.all(earlyRuns.map((r, i) => waitForRun(sluice!, early[i]!, r.runId)));
    await waitForRun(sluice, 'late', late.runId);
    const lastEarlyFinish = Math.max(...finishes.map((r) => Date.parse(r.finishedAt!)));
    expect(firstLateProgress).toBeLessThan(lastEarlyFinish);
    // Stronger: when the late user's first batch was done, the early users still had most of their work left.
    const events: ProgressEntry[] = (await Promise.all(early.map((u) => sluice!.events(u)))).flat();
    const earlyDoneThen = early.map((u) => {
      const before = events.filter((e) => 'run' in e && e.run.userId === u && Date.parse(e.at) <= firstLateProgress);
      const last = before.at(-1);
      return last && 'run' in last ? last.run.counts.processed : 0;
    });
    expect(earlyDoneThen.reduce((a, b) => a + b, 0)).toBeLessThan((3 * 120) / 2);
  });
});
