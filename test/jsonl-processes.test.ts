import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { largeRecordValue } from './support/large-record.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKERS = 4;
const BATCHES = 6;
const PER_BATCH = 4;
const RECORD_BYTES = 256 * 1024;

let prefix = '';
let dir = '';
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await deletePrefix(prefix);
  await rm(dir, { recursive: true, force: true });
});

/** Starts a writer process and resolves once it waits for the go line. */
async function startWriter(file: string, worker: number): Promise<{ child: ChildProcess; exited: Promise<unknown[]>; output: () => string }> {
  const args = [prefix, file, String(worker), String(BATCHES), String(PER_BATCH), String(RECORD_BYTES)];
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/jsonl-writer-child.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    });
    exited.then(([code]) => reject(new Error(`writer exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, exited, output: () => output };
}

describe('JSONL sink across processes', () => {
  it('four processes appending 256 KiB records to one file lose and mix no line', async () => {
    prefix = uniquePrefix('jsonl-procs');
    dir = await mkdtemp(join(tmpdir(), 'sluice-jsonl-'));
    const file = join(dir, 'out.jsonl');
    const writers = await Promise.all(Array.from({ length: WORKERS }, (_, w) => startWriter(file, w)));
    for (const { child } of writers) child.stdin!.end('go\n');
    for (const writer of writers) expect((await writer.exited)[0], writer.output()).toBe(0);

    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((line, i) => {
      try {
        return JSON.parse(line) as { id: string; value: string };
      } catch {
        throw new Error(`line ${i + 1} does not parse (${line.length} chars, starts ${line.slice(0, 40)})`);
      }
    });
    expect(parsed).toHaveLength(WORKERS * BATCHES * PER_BATCH);
    const byId = new Map(parsed.map((doc) => [doc.id, doc.value]));
    for (let w = 0; w < WORKERS; w++) {
      for (let n = 0; n < BATCHES * PER_BATCH; n++) {
        expect(byId.get(`w${w}-r${n}#1`) === largeRecordValue(w, n, RECORD_BYTES), `record w${w}-r${n}`).toBe(true);
      }
    }
  });
});
