/**
 * Progress delivery benchmark: how long an event takes from its XADD to a browser-like client
 * reading it from `GET /v1/users/:userId/progress/stream`, with 1 and then 200 clients of one user.
 *
 *   npm run bench:progress                      (markers 200, records 50,000 per phase)
 *   BENCH_MARKERS=500 BENCH_SUBSCRIBERS=1,50,200 npm run bench:progress
 *
 * Processes: a progress server child (createProgressServer), a Sluice worker child
 * (bench/worker-child.ts) running a real pipeline run for the user meanwhile, so marker events
 * share the stream with the run's own progress; this process opens the subscribers (fetch,
 * hand-parsed SSE) and publishes the markers with ProgressPublisher, noting the time just before
 * each XADD. Latency = receipt by a subscriber - that time, same clock. Server memory per open
 * stream = (server heap after GC with N streams open - before) / N. Prints figures, asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deletePrefixAt, intEnv } from './support.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { createProgressToken } from '../src/server/index.js';
import { ProgressPublisher } from '../src/progress/publisher.js';
import { createKeys } from '../src/store/keys.js';
import type { ServerChildMessage } from './progress-server-child.js';
import { benchConfig, mb, PIPELINE_ID, REDIS_URL, type ChildMessage } from './setup.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MARKERS = intEnv('BENCH_MARKERS', 200);
const RECORDS = intEnv('BENCH_RECORDS', 50_000);
const SUBSCRIBERS = (process.env.BENCH_SUBSCRIBERS ?? '1,200').split(',').map(Number);
/** Spacing of marker events: a steady trickle like a run's coalesced progress, not a burst. */
const MARKER_EVERY_MS = 10;
/** Markers sent first and not measured: they pay for JIT warm-up and the run's start. */
const WARMUP = 20;
const GOAL_P99_MS = 50;
const GOAL_AT = 200;
const SECRET = randomBytes(16).toString('hex');
const PHASE_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Children

const children = new Set<ChildProcess>();

function startChild(script: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) while waiting for "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The server child's memory (after a full GC unless `collect` is false) and CPU time so far. */
async function serverMemory(server: ChildProcess, collect = true): Promise<Extract<ServerChildMessage, { type: 'mem' }>> {
  const reply = nextMessage<Extract<ServerChildMessage, { type: 'mem' }>>(server, 'mem');
  server.send({ type: 'mem', collect });
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Subscribers: fetch + a hand-rolled text/event-stream parser, as a browser client would see it

interface Subscriber {
  /** Resolves once the first message (the snapshot) arrived. */
  ready: Promise<void>;
  latencies: number[];
  close(): void;
}

function subscribe(url: string, onMarker: (index: number, receivedAt: number, subscriber: Subscriber) => void, onEvent: (type: string, data: string) => void): Subscriber {
  const abort = new AbortController();
  let markReady!: () => void;
  const subscriber: Subscriber = { ready: new Promise((resolve) => (markReady = resolve)), latencies: [], close: () => abort.abort() };
  void (async () => {
    const response = await fetch(url, { signal: abort.signal });
    if (!response.ok) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const receivedAt = performance.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let data: string | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (data === undefined) continue;
        if (event === 'snapshot') markReady();
        else if (event === 'item.failed') {
          const marker = /"id":"marker-(\d+)"/.exec(data);
          if (marker) onMarker(Number(marker[1]), receivedAt, subscriber);
        } else onEvent(event, data);
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) console.error('subscriber failed:', error);
  });
  return subscriber;
}

// ---------------------------------------------------------------------------------------------
// One phase: N subscribers of one user while a run goes on and markers are published

interface PhaseResult {
  subscribers: number;
  samples: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  runEvents: number;
  heapPerStream: number;
  rssPerStream: number;
  heapBefore: number;
  heapAfter: number;
  /** CPU of the server child and of this process (the subscribers) while markers flowed, % of one core. */
  serverCpuPct: number;
  clientCpuPct: number;
}

async function phase(sluice: Sluice, publisher: ProgressPublisher, server: ChildProcess, url: string, count: number): Promise<PhaseResult> {
  const userId = `bench-sse-${count}`;
  const token = createProgressToken({ userId, secret: SECRET });
  const before = await serverMemory(server);

  const total = WARMUP + MARKERS;
  const sentAt = new Array<number>(total);
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  let runEvents = 0;
  let completed!: () => void;
  const runCompleted = new Promise<void>((resolve) => (completed = resolve));
  const onMarker = (index: number, at: number, subscriber: Subscriber) => {
    if (index >= WARMUP) subscriber.latencies.push(at - sentAt[index]!);
    if (++received === count * total) allReceived();
  };
  const subscribers = Array.from({ length: count }, (_, i) =>
    subscribe(`${url}/v1/users/${userId}/progress/stream?token=${token}`, onMarker, (type) => {
      // The run's own events, counted on one subscriber, show the traffic the markers share the stream with.
      if (i !== 0) return;
      runEvents++;
      if (type === 'run.completed' || type === 'run.failed') completed();
    }),
  );
  await Promise.all(subscribers.map((s) => s.ready));
  const after = await serverMemory(server);

  const { runId } = await sluice.startRun(PIPELINE_ID, { userId });
  const marker = { runId: `marker-${runId}`, pipeline: PIPELINE_ID, userId };
  let measuredFrom = 0;
  let clientCpuStart = process.cpuUsage();
  let serverCpuStart = after.cpuMs;
  for (let i = 0; i < total; i++) {
    if (i === WARMUP) {
      measuredFrom = performance.now();
      clientCpuStart = process.cpuUsage();
      serverCpuStart = (await serverMemory(server, false)).cpuMs;
    }
    sentAt[i] = performance.now();
    await publisher.publishItemFailed(marker, { id: `marker-${i}`, reason: 'latency marker' });
    await delay(MARKER_EVERY_MS);
  }
  await withTimeout(done, `phase ${count}: not every subscriber got every marker`);
  const end = await serverMemory(server, false);
  const clientCpu = process.cpuUsage(clientCpuStart);
  const wallMs = performance.now() - measuredFrom;
  await withTimeout(runCompleted, `phase ${count}: the run did not finish`);
  for (const s of subscribers) s.close();

  const all = subscribers.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))]!;
  return {
    subscribers: count,
    samples: all.length,
    expected: count * MARKERS,
    p50: at(0.5),
    p99: at(0.99),
    max: all.at(-1)!,
    runEvents,
    heapPerStream: (after.heapUsed - before.heapUsed) / count,
    rssPerStream: (after.rss - before.rss) / count,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    serverCpuPct: ((end.cpuMs - serverCpuStart) / wallMs) * 100,
    clientCpuPct: ((clientCpu.user + clientCpu.system) / 1000 / wallMs) * 100,
  };
}

async function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

const ms = (value: number) => `${value.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const prefix = `bench-progress-${randomBytes(4).toString('hex')}`;
  const sluice = createSluice(benchConfig(prefix, RECORDS));
  // Markers go in beside the run's own events, as another publisher of the same app would write them.
  const markerRedis = new Redis(REDIS_URL);
  const publisher = new ProgressPublisher(markerRedis, createKeys(prefix), { maxEvents: 1000, intervalMs: 0 });
  const results: PhaseResult[] = [];
  try {
    const server = startChild('bench/progress-server-child.ts', [prefix, String(RECORDS), SECRET]);
    const { url } = await nextMessage<Extract<ServerChildMessage, { type: 'listening' }>>(server, 'listening');
    const worker = startChild('bench/worker-child.ts', [prefix, String(RECORDS)]);
    await nextMessage<ChildMessage>(worker, 'ready');
    for (const count of SUBSCRIBERS) {
      const result = await phase(sluice, publisher, server, url, count);
      results.push(result);
      console.log(`[bench] ${count} subscriber(s): p50 ${ms(result.p50)}, p99 ${ms(result.p99)} over ${result.samples} receipts`);
    }
    await Promise.all([...children].map(stopChild));
  } finally {
    await Promise.all([...children].map(stopChild));
    await sluice.close();
    markerRedis.disconnect();
    await deletePrefixAt(REDIS_URL, prefix);
  }

  const redis = new Redis(REDIS_URL);
  const version = ((await redis.info('server')).match(/redis_version:(\S+)/) ?? [])[1] ?? '?';
  redis.disconnect();
  const lines = [
    '',
    'Sluice progress delivery benchmark',
    `versions: node ${process.version}, redis ${version}; ${availableParallelism()} CPUs (server, worker, subscribers and Redis share them)`,
    `setup   : server child (createProgressServer), worker child running a ${RECORDS.toLocaleString('en-US')}-record run per phase;`,
    `          ${WARMUP} warm-up + ${MARKERS} measured marker events, one every ${MARKER_EVERY_MS} ms, published with ProgressPublisher;`,
    '          subscribers are fetch() streams parsed by hand, all in this process; latency = receipt - time before the XADD',
    '',
    'subscribers    receipts       p50       p99       max  run events  server CPU  subscr. CPU  server heap/stream  server RSS/stream',
  ];
  for (const r of results) {
    lines.push(
      [
        String(r.subscribers).padStart(11),
        `${r.samples}/${r.expected}`.padStart(12),
        ms(r.p50).padStart(10),
        ms(r.p99).padStart(10),
        ms(r.max).padStart(10),
        String(r.runEvents).padStart(12),
        `${r.serverCpuPct.toFixed(0)}%`.padStart(12),
        `${r.clientCpuPct.toFixed(0)}%`.padStart(13),
        kib(r.heapPerStream).padStart(20),
        kib(r.rssPerStream).padStart(19),
      ].join(''),
    );
  }
  const goal = results.find((r) => r.subscribers === GOAL_AT);
  lines.push('');
  lines.push(
    `goal: p99 < ${GOAL_P99_MS} ms at ${GOAL_AT} subscribers: ${goal ? `${goal.p99 < GOAL_P99_MS ? 'met' : 'NOT met'} (p99 ${ms(goal.p99)})` : `not measured (no phase of ${GOAL_AT})`}`,
  );
  lines.push(`server heap (after GC) before/after opening the streams: ${results.map((r) => `${r.subscribers}: ${mb(r.heapBefore)} -> ${mb(r.heapAfter)} MB`).join('; ')}`);
  lines.push('CPU columns: % of one core while the measured markers flowed; RSS per stream is noisy (the OS, not V8, decides it).');
  console.log(lines.join('\n'));
}

process.once('SIGINT', () => {
  for (const child of children) child.kill('SIGKILL');
  process.exit(130);
});

await main();
