import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { changedSourceIds, commitEntries, isDeletion, readIndex, type IndexedRecord } from './record-index.js';
import type { StoredDocument } from './redis-sink.js';
import type { Sink, SinkEntry, SinkScope, SinkWriter } from './types.js';

export interface JsonlSinkOptions {
  /** File path; `{pipeline}` and `{user}` are replaced. Default `.sluice/out/{pipeline}/{user}.jsonl`. */
  path?: string;
}

/** A line that says a document no longer exists. */
export interface JsonlTombstone {
  id: string;
  sourceId: string;
  deleted: true;
  updatedAt: string;
}

export type JsonlLine<T = unknown> = StoredDocument<T> | JsonlTombstone;

/**
 * Appends one JSON line per document, and a tombstone line per document that a changed record no
 * longer yields or a deleted record had. Readers keep the last line per `id` and drop tombstones
 * (see `readJsonlDocuments`). Content hashes and each record's document ids live in Redis, so
 * unchanged records are never appended again and leftovers are known. Lines are appended before
 * their hashes are recorded: a crash in between can repeat a line, never lose one.
 */
export function jsonlSink<T = unknown>(options: JsonlSinkOptions = {}): Sink<T> {
  const template = options.path ?? '.sluice/out/{pipeline}/{user}.jsonl';
  return { kind: 'jsonl', open: (scope) => openJsonlWriter<T>(scope, template) };
}

function openJsonlWriter<T>(scope: SinkScope, template: string): SinkWriter<T> {
  const keys = scope.keys.sink(scope.pipelineId, scope.userId);
  const file = resolve(template.replaceAll('{pipeline}', scope.pipelineId).replaceAll('{user}', encodeURIComponent(scope.userId)));
  return {
    changed: (entries) => changedSourceIds(scope.redis, keys, entries),
    async write(entries) {
      const index = await readIndex(scope.redis, keys, entries.map((e) => e.sourceId));
      const lines = linesFor(entries, index, new Date().toISOString());
      if (lines.length > 0) {
        await mkdir(dirname(file), { recursive: true });
        await appendFile(file, `${lines.join('\n')}\n`);
      }
      return commitEntries(scope.redis, keys, entries);
    },
  };
}

/** The lines a batch appends, following the index as each entry in turn would change it. */
function linesFor<T>(entries: readonly SinkEntry<T>[], index: IndexedRecord[], updatedAt: string): string[] {
  const state = new Map<string, IndexedRecord>();
  const lines: string[] = [];
  entries.forEach((entry, i) => {
    const { sourceId } = entry;
    const before = state.get(sourceId) ?? index[i]!;
    const tombstones = (ids: string[]) => {
      for (const id of ids) lines.push(JSON.stringify({ id, sourceId, deleted: true, updatedAt } satisfies JsonlTombstone));
    };
    if (isDeletion(entry)) {
      tombstones(before.documentIds);
      state.set(sourceId, { hash: null, documentIds: [] });
      return;
    }
    if (before.hash === entry.hash) return;
    const ids = new Set(entry.documents.map((d) => d.id));
    for (const doc of entry.documents) {
      const line: StoredDocument<T> = { id: doc.id, sourceId, hash: entry.hash, value: doc.value, updatedAt };
      lines.push(JSON.stringify(line));
    }
    tombstones(before.documentIds.filter((id) => !ids.has(id)));
    state.set(sourceId, { hash: entry.hash, documentIds: [...ids] });
  });
  return lines;
}
