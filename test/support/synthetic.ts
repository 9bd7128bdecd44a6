import { contentHash, defineConnector } from '../../src/index.js';
import { z } from 'zod';

export interface SyntheticRecord {
  n: number;
  text: string;
}

/** A source of `count` numbered records in pages of `pageSize`; `version` changes their content. */
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
          const data = { n, text: `record ${n} v${version}` };
          records.push({ id: `rec-${String(n).padStart(6, '0')}`, hash: contentHash(data), data });
        }
        const next = offset + pageSize;
        return { records, total: count, ...(next < count ? { nextCursor: String(next) } : {}) };
      },
    },
  },
});
