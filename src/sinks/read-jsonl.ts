import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JsonlLine } from './jsonl-sink.js';
import type { StoredDocument } from './redis-sink.js';

/**
 * Reads the documents a JSONL sink file holds now. The file is a log: a document may appear on
 * several lines (a changed record, or a batch repeated after a crash), and a tombstone line
 * (`"deleted": true`) means the document is gone. The rule: keep the last line per `id`, then drop
 * tombstones. A line that does not parse throws, naming the line: it is never skipped silently.
 */
export async function readJsonlDocuments<T = unknown>(path: string): Promise<StoredDocument<T>[]> {
  const latest = new Map<string, JsonlLine<T>>();
  const input = createReadStream(path);
  let n = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      n++;
      if (line === '') continue;
      let parsed: JsonlLine<T>;
      try {
        parsed = JSON.parse(line) as JsonlLine<T>;
      } catch {
        throw new Error(`${path}:${n}: not a JSON line`);
      }
      latest.set(parsed.id, parsed);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const documents = [...latest.values()].filter((line): line is StoredDocument<T> => !('deleted' in line));
  return documents.sort((a, b) => (a.id < b.id ? -1 : 1));
}
