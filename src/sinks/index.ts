export type { Sink, SinkDeletion, SinkDocument, SinkEntry, SinkScope, SinkUpsert, SinkWriter, SinkWriteResult } from './types.js';
export { redisSink, type StoredDocument } from './redis-sink.js';
export { jsonlSink, type JsonlLine, type JsonlSinkOptions, type JsonlTombstone } from './jsonl-sink.js';
export { readJsonlDocuments } from './read-jsonl.js';
export { readDocuments, countDocuments } from './read-documents.js';
