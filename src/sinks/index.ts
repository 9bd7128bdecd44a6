export type { Sink, SinkCommit, SinkDocument, SinkEntry, SinkScope, SinkState, SinkWriter, SinkWriteResult } from './types.js';
export { redisSink, type StoredDocument } from './redis-sink.js';
export { jsonlSink, type JsonlSinkOptions } from './jsonl-sink.js';
export { readDocuments, countDocuments } from './read-documents.js';
