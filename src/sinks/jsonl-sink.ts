import { mkdir, open } from 'node:fs/promises';
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
 * unchanged records are never appended again and leftovers are known. A batch's lines are appended
 * and fsynced before its hashes are recorded: a crash in between can repeat a line, never lose one.
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
      if (lines.length > 0) await appendDurably(file, `${lines.join('\n')}\n`);
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

const MAX_WRITE = 0x7ffff000;

/**
 * Appends `text` so that appends from any number of processes never interleave: the whole batch goes
 * in one write() on a descriptor opened with O_APPEND. On local filesystems the kernel finds the end
 * and writes under the inode lock, so each write() lands whole, after the others (not on NFS). A lock
 * would also work but needs a lock file or a lease that a killed worker can leave behind; a single
 * write needs nothing. (fs.appendFile is not enough: it writes in 512 KiB chunks, one call each.)
 * A regular file takes a short write only when the disk or a size limit is full; that throws, so
 * the batch fails and its hashes are not recorded. fsync makes the lines durable before they are.
 * (Repairing a line torn by a writer killed inside write() is not attempted: another process can
 * see the file's size grow part-way through a write, so "the file ends mid-line" cannot be told
 * apart from "someone is appending".)
 */
async function appendDurably(file: string, text: string): Promise<void> {
  const buffer = Buffer.from(text);
  // Linux writes at most this much per write(); more would be split, and could interleave.
  if (buffer.length > MAX_WRITE) throw new Error(`JSONL sink: a batch of ${buffer.length} bytes is too large for one append`);
  await mkdir(dirname(file), { recursive: true });
  const handle = await open(file, 'a');
  try {
    const { bytesWritten } = await handle.write(buffer, 0, buffer.length);
    if (bytesWritten !== buffer.length) {
      throw new Error(`JSONL sink: short append to ${file} (${bytesWritten} of ${buffer.length} bytes); its last line is torn`);
    }
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
