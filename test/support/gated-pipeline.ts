import { definePipeline } from '../../src/index.js';
import { synthetic } from './synthetic.js';

/**
 * Pipeline `heal` (60 records, pages of 20, batches of 10) whose first batch's steps wait for the
 * test: with one worker slot, its other jobs stay queued until `release()`. `stepBlocked` resolves
 * once a step waits.
 */
export function gatedPipeline() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let blocked!: () => void;
  const stepBlocked = new Promise<void>((resolve) => (blocked = resolve));
  const pipeline = definePipeline({
    id: 'heal',
    source: synthetic.records({ count: 60, pageSize: 20 }),
    sharding: { batchSize: 10 },
    steps: (records) =>
      records.map(async (r) => {
        blocked();
        await gate;
        return r;
      }),
  });
  return { pipeline, stepBlocked, release };
}
