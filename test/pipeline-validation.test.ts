import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Chain, definePipeline, jsonlSink, PipelineConfigError, redisSink } from '../src/index.js';
import { synthetic } from './support/synthetic.js';

/** definePipeline reads its caller's file from the stack: errors must name this file. */
const thisFile = fileURLToPath(import.meta.url);
const shownFile = relative(process.cwd(), thisFile);

const source = synthetic.records({ count: 3, pageSize: 2 });
const other = synthetic.records({ count: 5, pageSize: 5, version: '2' });

/** Defines a pipeline from untyped options (these are mistakes TypeScript would catch, or not) and returns its error. */
function definitionError(options: Record<string, unknown>): PipelineConfigError {
  try {
    definePipeline(options as never);
  } catch (error) {
    if (error instanceof PipelineConfigError) return error;
    throw error;
  }
  throw new Error(`definePipeline accepted ${JSON.stringify(options)}`);
}

interface BadCase {
  name: string;
  options: Record<string, unknown>;
  path: string;
  message: string | RegExp;
}

const badCases: BadCase[] = [
  { name: 'an uppercase id', options: { id: 'MyPipeline', source }, path: 'id', message: /lowercase letters, digits and dashes/ },
  { name: 'an empty id', options: { id: '', source }, path: 'id', message: /use 1-63 lowercase/ },
  { name: 'an id with spaces', options: { id: 'my pipeline', source }, path: 'id', message: /lowercase letters, digits and dashes/ },
  { name: 'an id starting with a dash', options: { id: '-issues', source }, path: 'id', message: /starting with a letter or digit/ },
  { name: 'an id of 64 characters', options: { id: 'a'.repeat(64), source }, path: 'id', message: /1-63/ },
  { name: 'a missing id', options: { source }, path: 'id', message: 'expected a string' },
  { name: 'a missing source', options: { id: 'no-source' }, path: 'source', message: /expected a connector stream, e\.g\. github\.issues/ },
  { name: 'a string source', options: { id: 'string-source', source: 'github.issues' }, path: 'source', message: /expected a connector stream/ },
  { name: 'a plain object source', options: { id: 'object-source', source: { connector: 'files' } }, path: 'source', message: /expected a connector stream/ },
  { name: 'an empty source array', options: { id: 'no-sources', source: [] }, path: 'source', message: 'needs at least one source' },
  { name: 'a source array with a non-stream', options: { id: 'mixed-sources', source: [source, 'files'] }, path: 'source', message: /expected a connector stream/ },
  { name: 'batchSize 0', options: { id: 'b', source, sharding: { batchSize: 0 } }, path: 'sharding.batchSize', message: /too small.*>=1/i },
  { name: 'batchSize 5000', options: { id: 'b', source, sharding: { batchSize: 5000 } }, path: 'sharding.batchSize', message: /too big.*<=1000/i },
  { name: 'batchSize 1.5', options: { id: 'b', source, sharding: { batchSize: 1.5 } }, path: 'sharding.batchSize', message: /expected int/ },
  { name: 'batchSize as a string', options: { id: 'b', source, sharding: { batchSize: '100' } }, path: 'sharding.batchSize', message: /expected (int|number)/ },
  { name: 'attempts 0', options: { id: 'r', source, retries: { attempts: 0 } }, path: 'retries.attempts', message: /too small.*>=1/i },
  { name: 'a negative backoff', options: { id: 'r', source, retries: { backoffMs: -1 } }, path: 'retries.backoffMs', message: /too small.*>=0/i },
  { name: 'concurrency 0', options: { id: 'c', source, concurrency: 0 }, path: 'concurrency', message: /too small.*>=1/i },
  { name: 'an empty version', options: { id: 'v', source, version: '' }, path: 'version', message: /too small/i },
  { name: 'a misspelt top-level key', options: { id: 't', source, batchsize: 10 }, path: '(root)', message: 'Unrecognized key: "batchsize"' },
  { name: 'a misspelt sharding key', options: { id: 't', source, sharding: { batchsize: 10 } }, path: 'sharding', message: 'Unrecognized key: "batchsize"' },
  { name: 'a misspelt retries key', options: { id: 't', source, retries: { attempt: 3 } }, path: 'retries', message: 'Unrecognized key: "attempt"' },
  { name: 'a sink that is an object without open()', options: { id: 's', source, sink: { kind: 'redis' } }, path: 'sink', message: /expected a sink, e\.g\. redisSink\(\)/ },
  { name: 'the sink factory instead of a sink', options: { id: 's', source, sink: redisSink }, path: 'sink', message: /expected a sink/ },
  { name: 'a sink given by name', options: { id: 's', source, sink: 'redis' }, path: 'sink', message: /expected a sink/ },
  { name: 'steps that are not a function', options: { id: 'st', source, steps: ['map'] }, path: 'steps', message: /expected a function \(records\) =>/ },
  { name: 'steps given as a chain', options: { id: 'st', source, steps: new Chain() }, path: 'steps', message: /expected a function/ },
  { name: 'a queue name with uppercase and spaces', options: { id: 'q', source, queue: 'My Queue' }, path: 'queue', message: /lowercase letters, digits and dashes/ },
  { name: 'a queue name with a colon', options: { id: 'q', source, queue: 'bulk:1' }, path: 'queue', message: /lowercase letters, digits and dashes/ },
  { name: 'an empty queue name', options: { id: 'q', source, queue: '' }, path: 'queue', message: /lowercase letters, digits and dashes/ },
];

describe('definePipeline validation', () => {
  it.each(badCases)('rejects $name, naming the field and this file', ({ options, path, message }) => {
    const error = definitionError(options);
    expect(error).toBeInstanceOf(PipelineConfigError);
    expect(error.name).toBe('PipelineConfigError');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe(path);
    if (typeof message === 'string') expect(error.issues[0]!.message).toBe(message);
    else expect(error.issues[0]!.message).toMatch(message);
    // The message names the pipeline, the file that defined it and the field, one issue per line.
    const id = typeof options.id === 'string' ? options.id : '(no id)';
    expect(error.message.split('\n')[0]).toBe(`Invalid pipeline "${id}" in ${shownFile}:`);
    expect(error.message).toContain('pipeline-validation.test.ts');
    expect(error.message).toContain(`\n  - ${path}: ${error.issues[0]!.message}`);
  });

  it('lists every bad field at once', () => {
    const error = definitionError({ id: 'Bad Id', source: [], sharding: { batchSize: 0 }, retries: { attempts: 0 }, queue: 'Q' });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['id', 'queue', 'retries.attempts', 'sharding.batchSize', 'source']);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`Invalid pipeline "Bad Id" in ${shownFile}:`);
    expect(lines.slice(1)).toHaveLength(5);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}- [a-zA-Z.]+: \S/);
  });

  it('says "(no id)" when there is no usable id', () => {
    const error = definitionError({ id: 42, source });
    expect(error.message).toMatch(/^Invalid pipeline "\(no id\)" in /);
    expect(error.issues).toEqual([{ path: 'id', message: 'expected a string' }]);
  });

  it('does not call steps when the options are invalid', () => {
    let called = false;
    definitionError({ id: 'Nope', source, steps: (records: Chain<unknown>) => ((called = true), records) });
    expect(called).toBe(false);
  });

  it('accepts the boundaries of each numeric option', () => {
    for (const batchSize of [1, 1000]) {
      expect(definePipeline({ id: 'edge', source, sharding: { batchSize } }).batchSize).toBe(batchSize);
    }
    expect(definePipeline({ id: 'edge', source, retries: { attempts: 1, backoffMs: 0 } })).toMatchObject({ attempts: 1, backoffMs: 0 });
    expect(definePipeline({ id: 'a'.repeat(63), source }).id).toHaveLength(63);
    expect(definePipeline({ id: '0-numbers-first', source }).id).toBe('0-numbers-first');
  });
});

describe('definePipeline defaults', () => {
  it('fills in batchSize 100, attempts 5, backoff 1 s, queue "default", version "1" and the Redis sink', () => {
    const pipeline = definePipeline({ id: 'defaults', source });
    expect(pipeline).toMatchObject({
      id: 'defaults',
      version: '1',
      batchSize: 100,
      attempts: 5,
      backoffMs: 1000,
      queue: 'default',
    });
    expect(pipeline.concurrency).toBeUndefined();
    expect(pipeline.description).toBeUndefined();
    expect(pipeline.sink.kind).toBe('redis');
    expect(pipeline.sources).toEqual([source]);
    expect(pipeline.chain).toBeInstanceOf(Chain);
    expect(pipeline.chain.steps).toEqual([]);
    expect(pipeline.definedIn).toBe(thisFile);
  });

  it('keeps every option it is given', () => {
    const sink = jsonlSink({ path: 'unused/{pipeline}.jsonl' });
    const pipeline = definePipeline({
      id: 'explicit',
      description: 'all options',
      version: '7',
      source: [source, other],
      sink,
      sharding: { batchSize: 10 },
      retries: { attempts: 2, backoffMs: 50 },
      queue: 'bulk-1',
      concurrency: 3,
    });
    expect(pipeline).toMatchObject({
      id: 'explicit',
      description: 'all options',
      version: '7',
      batchSize: 10,
      attempts: 2,
      backoffMs: 50,
      queue: 'bulk-1',
      concurrency: 3,
    });
    expect(pipeline.sink).toBe(sink);
    expect(pipeline.sources).toEqual([source, other]);
  });

  it('builds the chain once, from a fresh Chain, with the steps in order', () => {
    const seen: unknown[] = [];
    const pipeline = definePipeline({
      id: 'chained',
      source,
      steps: (records) => {
        seen.push(records);
        return records.map((r) => r.text, 'text').filter((t) => t.length > 0, 'non-empty').flatMap((t) => t.split(' '), 'words');
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(Chain);
    expect((seen[0] as Chain<unknown>).steps).toEqual([]);
    expect(pipeline.chain.steps.map((s) => s.name)).toEqual(['text', 'non-empty', 'words']);
  });
});
