import { definePipeline, type RunSnapshot } from '../../src/index.js';
import { createSluice, type Sluice } from '../../src/runtime/index.js';
import { createProgressServer, createProgressToken, type ProgressServerOptions } from '../../src/server/index.js';
import { ProgressPublisher } from '../../src/progress/publisher.js';
import type { ListeningServer, ProgressServer } from '../../src/server/index.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedis } from '../../src/store/redis.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { synthetic } from './synthetic.js';

export const SECRET = 'test-secret-of-at-least-32-bytes';

export interface TestServer {
  url: string;
  sluice: Sluice;
  server: ProgressServer;
  listening: ListeningServer;
  publisher: ProgressPublisher;
  token(userId: string, ttlSeconds?: number): string;
  /** Publishes `count` run.progress events for the user (one run, rising seq); returns their ids. */
  publish(userId: string, count: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** A progress server on a free port over its own Redis prefix; `stop()` removes every key. */
export async function startTestServer(
  name: string,
  options: Partial<Omit<ProgressServerOptions, 'sluice'>> & { maxEvents?: number; redisUrl?: string } = {},
): Promise<TestServer> {
  const { maxEvents = 1000, redisUrl = REDIS_URL, ...serverOptions } = options;
  const prefix = uniquePrefix(`server-${name}`);
  const pipeline = definePipeline({ id: 'notes', source: synthetic.records({ count: 10, pageSize: 5 }), userInput: ['note'] });
  const sluice = createSluice({ prefix, redis: redisUrl, pipelines: [pipeline], progress: { maxEvents, intervalMs: 0 } });
  const server = createProgressServer({ sluice, secret: SECRET, ...serverOptions });
  const listening = await server.listen(0);
  // Events go in as a worker's publisher writes them, on a connection of its own.
  const redis = createRedis(redisUrl);
  const publisher = new ProgressPublisher(redis, createKeys(prefix), { maxEvents, intervalMs: 0 });
  const seqs = new Map<string, number>();
  return {
    url: listening.url,
    sluice,
    server,
    listening,
    publisher,
    token: (userId, ttlSeconds) => createProgressToken({ userId, secret: SECRET, ...(ttlSeconds ? { ttlSeconds } : {}) }),
    async publish(userId, count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const seq = (seqs.get(userId) ?? 0) + 1;
        seqs.set(userId, seq);
        const id = await publisher.publishRun(seq === 1 ? 'run.started' : 'run.progress', runAt(userId, seq));
        if (!id) throw new Error(`event ${seq} for ${userId} was not published`);
        ids.push(id);
      }
      return ids;
    },
    async stop() {
      await listening.close();
      await sluice.close();
      redis.disconnect();
      // A test's own cluster goes away with its keys.
      if (redisUrl === REDIS_URL) await deletePrefix(prefix);
    },
  };
}

/** A running run of `userId` with `seq` records done. */
export function runAt(userId: string, seq: number): RunSnapshot {
  return {
    runId: `run-${userId}`,
    pipeline: 'notes',
    userId,
    status: 'running',
    startedAt: '2024-01-01T00:00:00.000Z',
    seq,
    counts: { discovered: 100, processed: seq, skipped: 0, failed: 0, written: seq, total: 100 },
  };
}
