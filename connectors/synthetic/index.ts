/**
 * Synthetic connector: `count` numbered records in pages of `pageSize`, generated in memory.
 * For tests, benchmarks and rehearsing a load without touching a real API.
 *
 *   source: synthetic.records({ count: 100_000, pageSize: 1000 })
 */
import { z } from 'zod';
import { contentHash, defineConnector } from 'sluice';

export interface SyntheticRecord {
  n: number;
  text: string;
}

const params = z.object({
  count: z.int().min(0),
  pageSize: z.int().min(1),
  /** Changing it changes every record's content. */
  version: z.string().optional(),
  /** Each user gets content of their own (no cache hits across users), like real users' data. */
  perUser: z.boolean().optional(),
});

export const synthetic = defineConnector({
  id: 'synthetic',
  streams: {
    records: {
      changeFeed: 'full',
      params,
      async read(ctx, cursor) {
        const { count, pageSize, version = '1', perUser = false } = ctx.params;
        const offset = cursor ? Number(cursor) : 0;
        if (!Number.isInteger(offset) || offset < 0) throw new Error(`synthetic: bad cursor "${cursor}"`);
        const records = [];
        for (let n = offset; n < Math.min(count, offset + pageSize); n++) {
          const data: SyntheticRecord = { n, text: perUser ? `record ${n} of ${ctx.userId} v${version}` : `record ${n} v${version}` };
          records.push({ id: `rec-${String(n).padStart(6, '0')}`, hash: contentHash(data), data });
        }
        const next = offset + pageSize;
        return { records, total: count, ...(next < count ? { nextCursor: String(next) } : {}) };
      },
    },
  },
});
