import type { Queue } from 'bullmq';

/** Job counts of one BullMQ queue, and the pipelines that use it. */
export interface QueueState {
  name: string;
  pipelines: string[];
  counts: { waiting: number; active: number; delayed: number; prioritized: number; failed: number; completed: number; waitingChildren: number };
}

/**
 * Counts per queue (BullMQ's getJobCounts). Shards carry priorities, so jobs ready to run are mostly
 * `prioritized`; `waiting` holds those queued without one.
 */
export async function listQueues(queues: ReadonlyMap<string, string[]>, queue: (name: string) => Queue): Promise<QueueState[]> {
  return Promise.all(
    [...queues].map(async ([name, pipelines]) => {
      const c = await queue(name).getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed', 'completed', 'waiting-children');
      return {
        name,
        pipelines,
        counts: {
          waiting: c.wait ?? 0,
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          prioritized: c.prioritized ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
          waitingChildren: c['waiting-children'] ?? 0,
        },
      };
    }),
  );
}
