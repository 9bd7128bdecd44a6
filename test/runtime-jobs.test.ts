import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
const closers: (() => Promise<unknown>)[] = [];
let prefix = '';
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await sluice?.close();
  await deletePrefix(prefix);
});

/** The failure reason of a job, once BullMQ has failed it. */
async function failureOf(job: Job, events: QueueEvents): Promise<string> {
  try {
    await job.waitUntilFinished(events);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`job ${job.id} completed`);
}

describe('job catalogue', () => {
  it('fails a job with malformed data or an unknown kind at once, naming the problem, and the worker goes on', async () => {
    prefix = uniquePrefix('jobs');
    const pipeline = definePipeline({ id: 'numbers', source: synthetic.records({ count: 20, pageSize: 10 }), steps: (records) => records });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    const worker = sluice.startWorker({ concurrency: 2 });
    await worker.ready();

    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('default', { connection, prefix: `{${prefix}}` });
    const events = new QueueEvents('default', { connection: connection.duplicate(), prefix: `{${prefix}}` });
    closers.push(() => events.close(), () => queue.close(), async () => connection.disconnect());
    await events.waitUntilReady();

    const ref = { runId: 'r-none', pipelineId: 'numbers', userId: 'u1' };
    const malformed = await queue.add('page', { ...ref, sourceIndex: 'zero', pageIndex: 0 }, { attempts: 5 });
    expect(await failureOf(malformed, events)).toMatch(/^invalid data in page job \S+: sourceIndex: /);

    const unknown = await queue.add('mystery', ref, { attempts: 5 });
    expect(await failureOf(unknown, events)).toMatch(/^unknown job kind "mystery"/);

    // Failed for good on the first attempt: no retries scheduled.
    for (const job of [malformed, unknown]) {
      const stored = await queue.getJob(job.id!);
      expect(await stored!.getState()).toBe('failed');
      expect(stored!.attemptsMade).toBe(1);
    }

    // The worker is still taking jobs.
    const { runId } = await sluice.startRun('numbers', { userId: 'u1' });
    const done = await waitForRun(sluice, 'u1', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ processed: 20, failed: 0 });
  });
});
