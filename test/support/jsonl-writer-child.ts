/**
 * A process that writes large records through the JSONL sink's writer, batch after batch, once the
 * parent says go (a line on stdin), so several of these append to one file at the same time.
 * argv: prefix file worker batches perBatch recordBytes
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { jsonlSink } from '../../src/sinks/index.js';
import { createKeys } from '../../src/store/keys.js';
import { largeRecordValue } from './large-record.js';

const [prefix, file, worker, batches, perBatch, recordBytes] = process.argv.slice(2);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const writer = jsonlSink<string>({ path: file! }).open({ pipelineId: 'p', userId: 'u', redis, keys: createKeys(prefix!) });

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();

for (let b = 0; b < Number(batches); b++) {
  const entries = Array.from({ length: Number(perBatch) }, (_, i) => {
    const n = b * Number(perBatch) + i;
    const sourceId = `w${worker}-r${n}`;
    return { sourceId, hash: `h${n}`, documents: [{ id: `${sourceId}#1`, value: largeRecordValue(Number(worker), n, Number(recordBytes)) }] };
  });
  await writer.write(entries);
}
redis.disconnect();
