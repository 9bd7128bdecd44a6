import { z } from 'zod';
import { contentHash, defineConnector, SourceAuthError, type ReadContext } from '../../src/index.js';

export interface FakeItem {
  text: string;
}

/**
 * An in-memory source for runtime tests: `items` is the source's current content (id -> item), and
 * what a read did is recorded, so a test changes the world between runs and looks at what happened.
 */
export function createFakeSource() {
  const world = {
    items: new Map<string, FakeItem>(),
    /** Ids the next history page reports deleted. */
    deleted: [] as string[],
    /** Watermarks the history pages report, one page each. */
    watermarks: [] as string[],
    /** Ids a listing page reports as failed items instead of records. */
    failing: new Set<string>(),
    /** Listing pages (by index) that throw on every read. */
    brokenPages: new Set<number>(),
    /** Read contexts the streams saw. */
    contexts: [] as Omit<ReadContext<unknown>, 'params'>[],
  };
  const params = z.object({ pageSize: z.int().min(1) });
  const record = (id: string) => ({ id, hash: contentHash(world.items.get(id)!), data: world.items.get(id)! });
  /** Page `cursor` of a feed: every item on the first page (when `withItems`), one watermark per page, deletions on the last. */
  const historyPage = async (ctx: Omit<ReadContext<unknown>, 'params'>, cursor: string | undefined, withItems: boolean) => {
    world.contexts.push(ctx);
    const index = cursor ? Number(cursor) : 0;
    const last = index >= world.watermarks.length - 1;
    return {
      records: withItems && index === 0 ? [...world.items.keys()].map(record) : [],
      ...(last && withItems ? { deleted: world.deleted } : {}),
      ...(world.watermarks[index] !== undefined ? { watermark: world.watermarks[index] } : {}),
      ...(last ? {} : { nextCursor: String(index + 1) }),
    };
  };

  const connector = defineConnector({
    id: 'fake',
    streams: {
      /** The whole scope, every run, in pages. */
      listing: {
        changeFeed: 'full',
        fullListing: true,
        params,
        async read(ctx, cursor) {
          world.contexts.push(ctx);
          const index = cursor ? Number(cursor) : 0;
          if (world.brokenPages.has(index)) throw new Error(`page ${index} is broken`);
          const ids = [...world.items.keys()].sort().slice(index * ctx.params.pageSize, (index + 1) * ctx.params.pageSize);
          const good = ids.filter((id) => !world.failing.has(id));
          const next = (index + 1) * ctx.params.pageSize < world.items.size ? String(index + 1) : undefined;
          return {
            records: good.map(record),
            failures: ids.filter((id) => world.failing.has(id)).map((id) => ({ id, reason: 'unreadable' })),
            ...(next ? { nextCursor: next } : {}),
          };
        },
      },
      /** A history feed: every item once, then one page per watermark, the last with the deleted ids. */
      history: {
        changeFeed: 'history',
        watermark: 'number',
        params,
        read: (ctx, cursor) => historyPage(ctx, cursor, true),
      },
      /** Same as history, with timestamps. */
      events: {
        changeFeed: 'since',
        params,
        read: (ctx, cursor) => historyPage(ctx, cursor, false),
      },
      /** Refuses every token but 'fresh'. */
      guarded: {
        changeFeed: 'full',
        params,
        async read(ctx) {
          world.contexts.push(ctx);
          const { token } = await ctx.credentials();
          if (token !== 'fresh') throw new SourceAuthError('fake: token refused', 'fake');
          return { records: [...world.items.keys()].map(record) };
        },
      },
    },
  });
  return { world, connector };
}
