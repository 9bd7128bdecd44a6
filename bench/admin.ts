/**
 * Operator view benchmark: what listing runs across users costs without an index of users.
 *
 *   npx tsx bench/admin.ts                       (5,000 users with 3 runs each)
 *   BENCH_USERS=20000 npx tsx bench/admin.ts
 *
 * Writes users' snapshots as the progress publisher stores them (one hash per user, a JSON field per
 * run; one run in three with failed items) under a prefix of its own, then times, through the
 * facade (`sluice.admin`, no HTTP): the first page of 50 users, a full walk by cursor at 200 users a
 * page, a `waiting=true` walk, and the limiter listing. Figures depend on the whole Redis keyspace
 * (SCAN walks every key, not only this prefix's), so the database's key count is printed with them.
 * Prints figures, asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice } from '../src/runtime/index.js';
import { createKeys } from '../src/store/keys.js';
import { synthetic } from '../connectors/synthetic/index.js';
import { deletePrefixAt, intEnv } from './support.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = intEnv('BENCH_USERS', 5000);
const RUNS_PER_USER = 3;

async function main(): Promise<void> {
  const prefix = `bench-admin-${process.pid}`;
  const keys = createKeys(prefix);
  const redis = new Redis(REDIS_URL);
  const sluice = createSluice(defineConfig({ prefix, redis: REDIS_URL, pipelines: [definePipeline({ id: 'notes', source: synthetic.records({ count: 1, pageSize: 1 }) })] }));
  try {
    for (let from = 0; from < USERS; from += 1000) {
      const write = redis.pipeline();
      for (let u = from; u < Math.min(USERS, from + 1000); u++) {
        const userId = `user-${u}`;
        for (let r = 0; r < RUNS_PER_USER; r++) {
          const runId = `r${u}x${r}`;
          const failed = r === 0 ? 2 : 0;
          const run = {
            runId, pipeline: 'notes', userId, status: r === 2 ? 'running' : 'completed', seq: 5, startedAt: new Date(Date.now() - r * 60_000).toISOString(),
            counts: { discovered: 100, processed: 98, skipped: 0, failed, written: 98, total: 100 },
            ...(r === 2 && u % 10 === 0 ? { waiting: { on: 'github', reason: 'rate limit', until: new Date(Date.now() + 60_000).toISOString() } } : {}),
          };
          write.hset(keys.progress(userId).snapshot, runId, JSON.stringify(run));
          if (failed) write.lpush(keys.run('notes', userId, runId).failures, JSON.stringify({ id: 'a', reason: 'x' }), JSON.stringify({ id: 'b', reason: 'y' }));
        }
      }
      await write.exec();
    }
    const dbsize = await redis.dbsize();
    console.log(`operator view: ${USERS} users x ${RUNS_PER_USER} runs; Redis holds ${dbsize} keys in all`);

    let start = performance.now();
    const first = await sluice.admin.runs({ users: 50 });
    console.log(`  first page (users=50): ${first.users} users, ${first.runs.length} runs in ${(performance.now() - start).toFixed(1)} ms`);

    for (const waiting of [false, true]) {
      start = performance.now();
      let pages = 0;
      let runs = 0;
      let users = 0;
      let slowest = 0;
      let cursor: string | undefined;
      do {
        const t = performance.now();
        const page = await sluice.admin.runs({ users: 200, ...(cursor ? { cursor } : {}), ...(waiting ? { waiting: true } : {}) });
        slowest = Math.max(slowest, performance.now() - t);
        pages++;
        runs += page.runs.length;
        users += page.users;
        cursor = page.cursor ?? undefined;
      } while (cursor);
      const total = performance.now() - start;
      console.log(
        `  full walk${waiting ? ' (waiting=true)' : ''} at users=200: ${pages} pages, ${users} users, ${runs} runs in ${total.toFixed(0)} ms (slowest page ${slowest.toFixed(1)} ms)`,
      );
    }

    start = performance.now();
    const limiters = await sluice.admin.limiters();
    console.log(`  limiters: ${limiters.limiters.length} keys in ${(performance.now() - start).toFixed(1)} ms`);
  } finally {
    await sluice.close();
    redis.disconnect();
    await deletePrefixAt(REDIS_URL, prefix);
  }
}

await main();
