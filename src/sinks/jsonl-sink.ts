import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Sink, SinkScope, SinkWriter } from './types.js';

export interface JsonlSinkOptions {
  /** File path; `{pipeline}` and `{user}` are replaced. Default `.sluice/out/{pipeline}/{user}.jsonl`. */
  path?: string;
}

/**
 * Appends one JSON line per document. Sluice keeps the content hashes (the scope's state) so unchanged records are never
 * appended again. Lines are appended before their hashes are recorded: a crash in between can
 * repeat a line, never lose one; readers keep the last line per `id`.
 */
export function jsonlSink<T = unknown>(options: JsonlSinkOptions = {}): Sink<T> {
  const template = options.path ?? '.sluice/out/{pipeline}/{user}.jsonl';
  return { kind: 'jsonl', open: (scope) => openJsonlWriter<T>(scope, template) };
}

function openJsonlWriter<T>(scope: SinkScope, template: string): SinkWriter<T> {
  const file = resolve(template.replaceAll('{pipeline}', scope.pipelineId).replaceAll('{user}', encodeURIComponent(scope.userId)));
  const changed: SinkWriter<T>['changed'] = (entries) => scope.state.changed(entries);
  return {
    changed,
    async write(entries) {
      const todo = await changed(entries);
      const fresh = entries.filter((e) => todo.has(e.sourceId));
      if (fresh.length > 0) {
        const updatedAt = new Date().toISOString();
        const lines = fresh.flatMap((e) =>
          e.documents.map((d) => JSON.stringify({ id: d.id, sourceId: e.sourceId, hash: e.hash, value: d.value, updatedAt })),
        );
        await mkdir(dirname(file), { recursive: true });
        if (lines.length > 0) await appendFile(file, `${lines.join('\n')}\n`);
        await scope.state.commit(fresh.map((e) => ({ sourceId: e.sourceId, hash: e.hash, documents: e.documents.length })));
      }
      return { written: fresh.length, unchanged: entries.length - fresh.length };
    },
  };
}
