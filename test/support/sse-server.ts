import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ItemFailure, ProgressSnapshotBody, RunView } from '../../src/client/types.js';
import { compareStreamIds } from '../../src/util/stream-id.js';
import { estimateSecondsLeft } from '../../src/progress/eta.js';
import { PROGRESS_EVENT_VERSION, type ProgressEntry, type RunEvent, type RunSnapshot } from '../../src/progress/events.js';
import { Redis } from 'ioredis';
import { readEventPage } from '../../src/progress/reader.js';
import { createKeys } from '../../src/store/keys.js';
import { REDIS_URL } from './redis.js';
import type { Sluice } from '../../src/runtime/sluice.js';

/**
 * A stand-in for the progress server (src/server), implementing the same HTTP contract over a
 * pluggable source: in memory for client tests, or a Sluice's Redis for the widget test. It adds
 * what a real server cannot do on demand: drop streams mid-message, replay events, fail requests.
 */
export interface ProgressSource {
  /** The snapshot body; takes the stream position first so no event between the two is lost. */
  snapshot(userId: string): Promise<ProgressSnapshotBody>;
  /** True when `id` is older than the oldest event kept: a reader resuming from it missed events. */
  trimmed(userId: string, id: string): Promise<boolean>;
  /** Batches of events after `after`, as they come, until the signal aborts. */
  follow(userId: string, after: string | null, signal: AbortSignal): AsyncIterable<ProgressEntry[]>;
  /** Events up to and including `id`, newest last (for the replay option). */
  before?(userId: string, id: string, count: number): Promise<ProgressEntry[]>;
}

export interface FakeServerOptions {
  source: ProgressSource;
  /** Accepted bearer token(s). Default `secret`. */
  token?: string | string[];
  /** Tokens answered with 401 `token_expired`. */
  expiredTokens?: string[];
  port?: number;
  /** The `retry:` the server announces. Default 1000 ms, as the real server. */
  retryMs?: number;
  /** Heartbeat comment interval. Default 15 s. */
  pingMs?: number;
  /** Write every SSE message in pieces of this many bytes (exercises the client's parser). */
  chunkBytes?: number;
  widgetScript?: () => Promise<string>;
  startRun?: (userId: string, body: { pipeline: string; input?: Record<string, unknown> }) => Promise<{ runId: string; created: boolean }>;
}

export interface StreamRequest {
  userId: string;
  lastEventId: string | undefined;
  since: string | undefined;
  authorization: string | undefined;
}

export interface FakeProgressServer {
  readonly url: string;
  readonly port: number;
  /** Every stream request, in order. */
  readonly requests: StreamRequest[];
  readonly openStreams: number;
  /** Resolves once `count` stream requests in total have been received (answered or not). */
  waitForRequests(count: number): Promise<void>;
  /** Resolves once exactly `count` streams are open. */
  waitForOpenStreams(count: number): Promise<void>;
  /** Answers the next stream requests with these errors instead of a stream. */
  failNext(...errors: { status: number; code: string; retryAfter?: number }[]): void;
  /** Replays this many events from before the resume id on every resumed stream (an at-least-once server). */
  replayOnResume(count: number): void;
  /** Cuts every open stream's socket; with `partial`, after half of a message, which the client must discard. */
  dropStreams(options?: { partial?: boolean }): Promise<void>;
  /** Ends every stream cleanly and stops listening (a shutdown). */
  close(): Promise<void>;
  /** Listens again on the same port (a restarted instance). */
  listen(): Promise<void>;
}

export async function createFakeProgressServer(options: FakeServerOptions): Promise<FakeProgressServer> {
  const tokens = new Set([options.token ?? 'secret'].flat());
  const expired = new Set(options.expiredTokens ?? []);
  const requests: StreamRequest[] = [];
  const failures: { status: number; code: string; retryAfter?: number }[] = [];
  const streams = new Set<{ res: ServerResponse; socket: Socket; stop: AbortController }>();
  const changes = new EventEmitter();
  let replay = 0;
  let port = options.port ?? 0;
  let server: Server | undefined;

  const sendError = (res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: { code, message: `${code} (${status})` } }));
  };

  const authorized = (req: IncomingMessage, url: URL, res: ServerResponse): boolean => {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('token') ?? undefined;
    if (given !== undefined && expired.has(given)) return sendError(res, 401, 'token_expired'), false;
    if (given === undefined || !tokens.has(given)) return sendError(res, 401, 'unauthorized'), false;
    return true;
  };

  const write = async (res: ServerResponse, text: string) => {
    const bytes = Buffer.from(text);
    const size = options.chunkBytes ?? bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      if (res.destroyed || res.writableEnded) return;
      if (!res.write(bytes.subarray(at, at + size))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  };

  const message = (event: string, id: string | null, data: unknown) =>
    `${id === null ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

  const stream = async (req: IncomingMessage, res: ServerResponse, userId: string, url: URL) => {
    const resume = (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('since') ?? undefined;
    const failure = failures.shift();
    if (failure) return sendError(res, failure.status, failure.code, failure.retryAfter ? { 'retry-after': String(failure.retryAfter) } : {});
    const entry = { res, socket: req.socket, stop: new AbortController() };
    streams.add(entry);
    changes.emit('change');
    res.on('close', () => {
      entry.stop.abort();
      streams.delete(entry);
      changes.emit('change');
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    await write(res, `retry: ${options.retryMs ?? 1000}\n\n`);
    const ping = setInterval(() => void write(res, ': ping\n\n'), options.pingMs ?? 15_000);
    try {
      let after: string | null = resume ?? null;
      if (resume === undefined || (await options.source.trimmed(userId, resume))) {
        const snapshot = await options.source.snapshot(userId);
        await write(res, message('snapshot', snapshot.lastEventId, snapshot));
        after = snapshot.lastEventId;
      } else if (replay > 0 && options.source.before) {
        for (const old of await options.source.before(userId, resume, replay)) await write(res, message(old.type, old.id, old));
      }
      for await (const batch of options.source.follow(userId, after, entry.stop.signal)) {
        for (const event of batch) await write(res, message(event.type, event.id, event));
      }
    } finally {
      clearInterval(ping);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/widget/sluice-progress.js' && options.widgetScript) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(await options.widgetScript());
      return;
    }
    const route = /^\/v1\/users\/([^/]+)\/(progress|progress\/stream|runs)$/.exec(url.pathname);
    if (!route) return sendError(res, 404, 'not_found');
    const userId = decodeURIComponent(route[1]!);
    if (route[2] === 'progress/stream') {
      requests.push({ userId, lastEventId: req.headers['last-event-id'] as string | undefined, since: url.searchParams.get('since') ?? undefined, authorization: req.headers.authorization });
      changes.emit('change');
    }
    if (!authorized(req, url, res)) return;
    if (route[2] === 'progress') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await options.source.snapshot(userId)));
    } else if (route[2] === 'progress/stream') {
      await stream(req, res, userId, url);
    } else if (req.method === 'POST' && options.startRun) {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(await options.startRun(userId, JSON.parse(body))));
    } else sendError(res, 404, 'not_found');
  };

  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const check = () => done() && (changes.off('change', check), resolve());
      changes.on('change', check);
    });

  const listen = async () => {
    server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'internal');
        else res.destroy(error as Error);
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    get openStreams() {
      return streams.size;
    },
    waitForRequests: (count) => until(() => requests.length >= count),
    waitForOpenStreams: (count) => until(() => streams.size === count),
    failNext: (...errors) => void failures.push(...errors),
    replayOnResume: (count) => void (replay = count),
    async dropStreams({ partial = false } = {}) {
      const open = [...streams];
      for (const { res, socket } of open) {
        // Cut once the half message is flushed, so the client really gets it.
        if (partial) await new Promise((resolve) => res.write('id: 999999-0\nevent: run.progress\ndata: {"trunc', resolve));
        socket.destroy();
      }
      await until(() => open.every((s) => !streams.has(s)));
    },
    async close() {
      const current = server;
      if (!current) return;
      server = undefined;
      const closed = once(current, 'close');
      current.close();
      // End each stream properly (the client sees a clean end, not a reset), then drop idle keep-alive sockets.
      await Promise.all(
        [...streams].map(({ res, stop }) => {
          stop.abort();
          if (res.destroyed) return undefined;
          return new Promise((resolve) => {
            res.once('close', resolve); // a client that leaves meanwhile never gets the end
            res.end(resolve);
          });
        }),
      );
      current.closeAllConnections();
      await closed;
    },
    listen,
  };
}

/** Events and a snapshot in memory, with stream ids like Redis (`<n>-0`, so "10-0" sorts after "9-0"). */
export function memoryProgress(userId: string) {
  let entries: ProgressEntry[] = [];
  let n = 0;
  const runs = new Map<string, RunSnapshot>();
  const failures = new Map<string, ItemFailure[]>();
  const appended = new EventEmitter();
  appended.setMaxListeners(0);

  const source: ProgressSource = {
    async snapshot(user) {
      return {
        userId: user,
        lastEventId: entries.at(-1)?.id ?? null,
        runs: user === userId ? [...runs.values()].map((run) => ({ ...run, failures: [...(failures.get(run.runId) ?? [])] })) : [],
      };
    },
    async trimmed(user, id) {
      const first = user === userId ? entries[0]?.id : undefined;
      return first !== undefined && (compareStreamIds(id, first) ?? 0) < 0;
    },
    async *follow(user, after, signal) {
      let last = after;
      while (!signal.aborted) {
        const batch = user === userId ? entries.filter((e) => last === null || compareStreamIds(e.id, last)! > 0) : [];
        if (batch.length > 0) {
          last = batch.at(-1)!.id;
          yield batch;
          continue;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            appended.off('append', done);
            signal.removeEventListener('abort', done);
            resolve();
          };
          appended.on('append', done);
          signal.addEventListener('abort', done);
        });
      }
    },
    async before(user, id, count) {
      const upTo = entries.filter((e) => user === userId && compareStreamIds(e.id, id)! <= 0);
      return upTo.slice(-count);
    },
  };

  return {
    source,
    get entries(): readonly ProgressEntry[] {
      return entries;
    },
    /** Appends an event (and updates the snapshot, as the publisher's Lua script does). */
    append(event: RunEvent): ProgressEntry {
      n += 1;
      const entry = { ...event, id: `${n}-0` } as ProgressEntry;
      entries.push(entry);
      if ('run' in event) {
        const known = runs.get(event.runId);
        if (!known || known.seq < event.run.seq) runs.set(event.runId, event.run);
      } else {
        failures.set(event.runId, [...(failures.get(event.runId) ?? []), event.item]);
      }
      appended.emit('append');
      return entry;
    },
    /** Keeps only the newest `keep` events, as MAXLEN trimming does. */
    trim(keep: number) {
      entries = entries.slice(-keep);
    },
  };
}

export type MemoryProgress = ReturnType<typeof memoryProgress>;

/** Builders for events, so tests read as a story. */
export function runEvent(type: 'run.started' | 'run.progress' | 'run.completed' | 'run.failed', run: RunSnapshot, at = new Date()): RunEvent {
  return { v: PROGRESS_EVENT_VERSION, type, runId: run.runId, pipeline: run.pipeline, at: at.toISOString(), run };
}

export function itemFailed(run: { runId: string; pipeline: string }, item: ItemFailure): RunEvent {
  return { v: PROGRESS_EVENT_VERSION, type: 'item.failed', runId: run.runId, pipeline: run.pipeline, at: new Date().toISOString(), item };
}

/** The same contract over a Sluice's progress: what the real server reads. */
export function redisProgress(sluice: Sluice): ProgressSource {
  return {
    async snapshot(userId) {
      const lastEventId = await sluice.progressPosition(userId);
      const runs = await sluice.status(userId);
      const now = Date.now();
      return {
        userId,
        lastEventId,
        runs: await Promise.all(
          runs.map(async (run): Promise<RunView & { failures: ItemFailure[] }> => {
            const failures = await sluice.recentFailures(run.pipeline, userId, run.runId);
            const eta = estimateSecondsLeft(run, now);
            return { ...run, ...(eta === undefined ? {} : { etaSeconds: eta }), failures: failures.reverse() };
          }),
        ),
      };
    },
    async trimmed(userId, id) {
      const first = (await sluice.readProgress(userId, { count: 1 })).lastId;
      return first !== undefined && (compareStreamIds(id, first) ?? 0) < 0;
    },
    async *follow(userId, after, signal) {
      // Blocking reads get their own connection per stream, closed when the stream ends.
      const redis = new Redis(sluice.config.redis ?? REDIS_URL);
      const keys = createKeys(sluice.config.prefix ?? 'sluice');
      const stop = () => redis.disconnect();
      signal.addEventListener('abort', stop);
      let last = after ?? '0-0';
      try {
        while (!signal.aborted) {
          const page = await readEventPage(redis, keys, userId, { after: last, blockMs: 1000 }).catch((error: unknown) => {
            if (signal.aborted) return undefined;
            throw error;
          });
          if (!page?.lastId) continue;
          last = page.lastId;
          if (page.entries.length > 0) yield page.entries;
        }
      } finally {
        signal.removeEventListener('abort', stop);
        redis.disconnect();
      }
    },
  };
}
