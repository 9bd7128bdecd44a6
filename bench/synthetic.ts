import { z } from 'zod';
import { contentHash, defineConnector } from '../src/index.js';

/**
 * A source of `count` numbered records in pages of `pageSize`, built in memory so the benchmark
 * measures the runtime, not an API. Same idea as test/support/synthetic.ts (copied, not imported).
 */
export const synthetic = defineConnector({
  id: 'synthetic',
  streams: {
    records: {
      changeFeed: 'full',
      params: z.object({ count: z.int().min(0), pageSize: z.int().min(1), version: z.string().default('1') }),
      async read(ctx, cursor) {
        const { count, pageSize, version } = ctx.params;
        const offset = cursor ? Number(cursor) : 0;
        const records = [];
        for (let n = offset; n < Math.min(count, offset + pageSize); n++) {
          // The user is part of the content: users' records differ, as real users' data does (no shared LLM cache hits).
          const data = { n, text: `record ${n} of ${ctx.userId} v${version}` };
          records.push({ id: `rec-${String(n).padStart(7, '0')}`, hash: contentHash(data), data });
        }
        const next = offset + pageSize;
        return { records, total: count, ...(next < count ? { nextCursor: String(next) } : {}) };
      },
    },
  },
});
