import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SinkEntry, SinkWriter, StoredDocument } from '../../src/index.js';

/** What the shared suite needs from a sink under test. */
export interface SinkHarness {
  writer: SinkWriter<string>;
  /** The documents a reader sees now, sorted by id. */
  documents(): Promise<StoredDocument<string>[]>;
  stats(): Promise<{ records: number; documents: number }>;
  /** The stored content hash and index entry of a source record. */
  stored(sourceId: string): Promise<{ hash: string | null; indexed: boolean }>;
  close(): Promise<void>;
}

const upsert = (sourceId: string, hash: string, ...values: string[]): SinkEntry<string> => ({
  sourceId,
  hash,
  documents: values.map((value, i) => ({ id: `${sourceId}#${i + 1}`, value })),
});
const deletion = (sourceId: string): SinkEntry<string> => ({ sourceId, deleted: true });

/** The same tests for every sink: upserts by hash, shrinking records, deletions, idempotent repeats. */
export function sinkConformance(name: string, open: () => Promise<SinkHarness>): void {
  describe(`${name} sink conformance`, () => {
    let sink: SinkHarness;
    const visible = async () => (await sink.documents()).map((d) => [d.id, d.value]);

    beforeEach(async () => {
      sink = await open();
    });
    afterEach(async () => {
      await sink.close();
    });

    it('writes each record once: repeating the same write is a no-op', async () => {
      const batch = [upsert('a', 'h1', 'a one', 'a two'), upsert('b', 'h1', 'b one')];
      expect(await sink.writer.write(batch)).toEqual({ written: 2, unchanged: 0, deleted: 0 });
      expect(await sink.writer.write(batch)).toEqual({ written: 0, unchanged: 2, deleted: 0 });
      expect(await visible()).toEqual([['a#1', 'a one'], ['a#2', 'a two'], ['b#1', 'b one']]);
      expect(await sink.stats()).toEqual({ records: 2, documents: 3 });
      expect(await sink.writer.changed([{ sourceId: 'a', hash: 'h1' }, { sourceId: 'b', hash: 'h2' }])).toEqual(new Set(['b']));
    });

    it('a record that now yields 1 document instead of 3 removes the other 2', async () => {
      await sink.writer.write([upsert('a', 'h1', 'one', 'two', 'three'), upsert('b', 'h1', 'b one')]);
      expect(await sink.writer.write([upsert('a', 'h2', 'only')])).toEqual({ written: 1, unchanged: 0, deleted: 0 });
      expect(await visible()).toEqual([['a#1', 'only'], ['b#1', 'b one']]);
      expect(await sink.stats()).toEqual({ records: 2, documents: 2 });

      await sink.writer.write([upsert('a', 'h3', 'one', 'two')]);
      expect(await visible()).toEqual([['a#1', 'one'], ['a#2', 'two'], ['b#1', 'b one']]);
      expect(await sink.stats()).toEqual({ records: 2, documents: 3 });
    });

    it('a deleted record loses all its documents, its hash and its index entry; repeating the delete is a no-op', async () => {
      await sink.writer.write([upsert('a', 'h1', 'one', 'two', 'three'), upsert('b', 'h1', 'b one')]);
      expect(await sink.writer.write([deletion('a')])).toEqual({ written: 0, unchanged: 0, deleted: 1 });
      expect(await visible()).toEqual([['b#1', 'b one']]);
      expect(await sink.stored('a')).toEqual({ hash: null, indexed: false });
      expect(await sink.stats()).toEqual({ records: 1, documents: 1 });

      expect(await sink.writer.write([deletion('a')])).toEqual({ written: 0, unchanged: 0, deleted: 0 });
      expect(await visible()).toEqual([['b#1', 'b one']]);
      expect(await sink.stats()).toEqual({ records: 1, documents: 1 });
      // Gone means gone: the same content comes back as a fresh write.
      expect(await sink.writer.changed([{ sourceId: 'a', hash: 'h1' }])).toEqual(new Set(['a']));
    });

    it('deleting a record that was never stored counts 0 and changes nothing', async () => {
      await sink.writer.write([upsert('b', 'h1', 'b one')]);
      expect(await sink.writer.write([deletion('never')])).toEqual({ written: 0, unchanged: 0, deleted: 0 });
      expect(await visible()).toEqual([['b#1', 'b one']]);
      expect(await sink.stored('never')).toEqual({ hash: null, indexed: false });
      expect(await sink.stats()).toEqual({ records: 1, documents: 1 });
    });

    it('applies a batch in order and gives the same result when the batch runs again', async () => {
      await sink.writer.write([upsert('a', 'h1', 'one', 'two', 'three'), upsert('c', 'h1', 'c one')]);
      const batch = [upsert('a', 'h2', 'new'), deletion('c'), upsert('c', 'h2', 'c again'), upsert('d', 'h1', 'd one'), deletion('d')];
      expect(await sink.writer.write(batch)).toEqual({ written: 3, unchanged: 0, deleted: 2 });
      const after = await visible();
      expect(after).toEqual([['a#1', 'new'], ['c#1', 'c again']]);
      expect(await sink.stored('d')).toEqual({ hash: null, indexed: false });
      expect(await sink.stats()).toEqual({ records: 2, documents: 2 });

      // At-least-once: the job runs again. a is unchanged; c and d are deleted and written again in turn.
      expect(await sink.writer.write(batch)).toEqual({ written: 2, unchanged: 1, deleted: 2 });
      expect(await visible()).toEqual(after);
      expect(await sink.stats()).toEqual({ records: 2, documents: 2 });
    });
  });
}
