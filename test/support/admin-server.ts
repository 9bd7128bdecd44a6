import { createAdminToken } from '../../src/auth/admin-token.js';
import { defineConfig, definePipeline, SourceRateLimitError, type Step } from '../../src/index.js';
import { createSluice, type Sluice } from '../../src/runtime/index.js';
import { createProgressServer, createProgressToken, type ListeningServer } from '../../src/server/index.js';
import { SECRET } from './progress-server.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { synthetic } from './synthetic.js';

export const ADMIN_SECRET = 'admin-test-secret-of-at-least-32-bytes';
/** A failure reason as hostile as a record can make it: markup that runs code if rendered as HTML. */
export const HOSTILE_REASON = '<img src=x onerror="window.__pwned = true"> flaky step refused it';

/**
 * A real Sluice (own prefix, real Redis, a worker) behind a progress server with the admin view:
 * - `notes`: 10 records; while `flaky.on`, records 1, 5 and 9 fail with HOSTILE_REASON;
 * - `held`: its second page hangs until the run is cancelled (a run that stays running);
 * - `limited`: its source answers a 10-minute rate limit (a run that waits, its job delayed);
 * - `idle`: on queue `idle-q`, which no worker serves (its jobs stay queued).
 */
export interface AdminFixture {
  url: string;
  sluice: Sluice;
  prefix: string;
  adminToken: string;
  userToken(userId: string): string;
  flaky: { on: boolean };
  stop(): Promise<void>;
}

export async function startAdminFixture(name: string): Promise<AdminFixture> {
  const prefix = uniquePrefix(`admin-${name}`);
  const flaky = { on: true };
  const step: Step<unknown, unknown> = {
    name: 'flaky',
    run: async (items) =>
      items.map((item) =>
        flaky.on && /[159]$/.test(item.context.id) ? { ok: false as const, reason: HOSTILE_REASON } : { ok: true as const, items: [item] },
      ),
  };
  const records = synthetic.records({ count: 10, pageSize: 5 });
  const base = synthetic.records({ count: 20, pageSize: 10 });
  const held: typeof base = {
    ...base,
    async read(context, cursor) {
      if (cursor === undefined) return base.read(context, cursor);
      const signal = context.signal;
      if (!signal) throw new Error('no signal');
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      throw signal.reason;
    },
  };
  const limited: typeof base = {
    ...base,
    async read() {
      throw new SourceRateLimitError('synthetic: rate limit exceeded', 'synthetic', 600_000);
    },
  };
  const sluice = createSluice(
    defineConfig({
      prefix,
      redis: REDIS_URL,
      pipelines: [
        definePipeline({ id: 'notes', source: records, sharding: { batchSize: 5 }, steps: (r) => r.pipe(step) }),
        definePipeline({ id: 'held', source: held, sharding: { batchSize: 10 } }),
        definePipeline({ id: 'limited', source: limited }),
        definePipeline({ id: 'idle', source: records, queue: 'idle-q' }),
      ],
      limits: { 'test:model': { rpm: 600, tpm: 60_000 } },
      progress: { intervalMs: 20 },
    }),
  );
  const worker = sluice.startWorker({ pipelines: ['notes', 'held', 'limited'], concurrency: 4 });
  await worker.ready();
  let listening: ListeningServer;
  try {
    listening = await createProgressServer({ sluice, secret: SECRET, admin: { secret: ADMIN_SECRET } }).listen(0);
  } catch (error) {
    await sluice.close();
    throw error;
  }
  return {
    url: listening.url,
    sluice,
    prefix,
    adminToken: createAdminToken({ secret: ADMIN_SECRET }),
    userToken: (userId) => createProgressToken({ userId, secret: SECRET }),
    flaky,
    async stop() {
      await listening.close();
      await sluice.close();
      await deletePrefix(prefix);
    },
  };
}
