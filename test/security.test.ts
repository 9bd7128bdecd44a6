/**
 * One test per finding of the security review: each reproduces what an attacker did against the
 * code before the fix, and checks the fix holds.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import nock from 'nock';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectorState, CredentialProvider, Page, ReadContext, Source } from '../src/connector/index.js';
import { shared, sharedConnectorsOf, unlimitedSource } from '../src/connector/index.js';
import { files, type FileRecord } from '../connectors/files/index.js';
import { createGithubConnector } from '../connectors/github/index.js';
import { fixture } from '../connectors/github/fixtures/harness.js';
import { defineConfig, definePipeline, type Pipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { createProgressServer, createProgressToken, verifyProgressToken } from '../src/server/index.js';
import { SERVER_LIMITS } from '../src/server/listen.js';
import { runAt, startTestServer } from './support/progress-server.js';
import { openSse } from './support/sse.js';
import { z } from 'zod';
import { synthetic } from './support/synthetic.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';
import { waitForRun } from './support/wait.js';
import { withSilentServer } from './support/silent-server.js';

const exec = promisify(execFile);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-security-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string): Promise<void> {
  const absolute = join(dir, path);
  await mkdir(dirname(absolute), { recursive: true });
  await writeFile(absolute, content);
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd });
}

/** A read context whose connector state lives as long as the run (shared by its pages). */
function runContext(input: Record<string, unknown> = {}): Omit<ReadContext<unknown>, 'params'> {
  const store = new Map<string, string>();
  const state: ConnectorState = {
    get: async (key) => store.get(key),
    set: async (key, value) => {
      store.set(key, value);
    },
  };
  return { userId: 'user-1', input, credentials: async () => ({}), state, limiter: unlimitedSource };
}

async function readAll(source: Source<FileRecord>, input: Record<string, unknown> = {}, between?: () => Promise<void>) {
  const ctx = runContext(input);
  const pages: Page<FileRecord>[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.read(ctx, cursor);
    pages.push(page);
    cursor = page.nextCursor;
    if (between) await between();
  } while (cursor !== undefined);
  const records = pages.flatMap((page) => page.records);
  return { pages, records, paths: records.map((record) => record.id) };
}

/** A Sluice over a prefix of its own for each test; closed, and its keys removed, after it. */
function ownSluice(name: string) {
  let open: { sluice: Sluice; prefix: string } | undefined;
  afterEach(async () => {
    await open?.sluice.close();
    if (open) await deletePrefix(open.prefix);
    open = undefined;
  });
  return (pipelines: Pipeline<any>[], runs?: { maxActivePerUser?: number; maxRecordsPerRun?: number; maxBytesPerRun?: number }) => {
    const prefix = uniquePrefix(name);
    open = { prefix, sluice: createSluice(defineConfig({ prefix, redis: REDIS_URL, pipelines, progress: { intervalMs: 10 }, ...(runs ? { runs } : {}) })) };
    return open;
  };
}

describe('files connector is confined to its roots', () => {
  it('refuses a root from the run input when the pipeline does not allow input roots, naming the value', async () => {
    const read = files.files().read(runContext({ root: '/etc' }), undefined);
    await expect(read).rejects.toThrow(/root "\/etc" from the run input is refused/);
    await expect(read).rejects.toMatchObject({ kind: 'run-fatal' });
  });

  it('refuses an input root outside the allowed folder, `..` segments, and a symlink out of it', async () => {
    await put('uploads/alice/a.md', 'alice');
    await put('outside/secret.md', 'secret');
    await symlink(join(dir, 'outside'), join(dir, 'uploads', 'escape'));
    const source = files.files({ allowInputRoot: { under: join(dir, 'uploads') } });

    expect((await readAll(source, { root: 'alice' })).paths).toEqual(['a.md']);
    expect((await readAll(source, { root: join(dir, 'uploads', 'alice') })).paths).toEqual(['a.md']);
    await expect(readAll(source, { root: join(dir, 'outside') })).rejects.toThrow(/outside the allowed folders/);
    await expect(readAll(source, { root: '/etc' })).rejects.toThrow(/root "\/etc" .*outside the allowed folders/);
    await expect(readAll(source, { root: '../outside' })).rejects.toThrow(/root "\.\.\/outside" .*"\.\." segments/);
    await expect(readAll(source, { root: `${join(dir, 'uploads')}/../outside` })).rejects.toThrow(/"\.\." segments/);
    await expect(readAll(source, { root: 'escape' })).rejects.toThrow(/root "escape" .*outside the allowed folders/);
  });

  it('never follows a symlinked directory of a git tree out of the root (tracked dir/passwd, dir -> outside)', async () => {
    const root = join(dir, 'repo');
    await put('outside/passwd', 'root:x:0:0');
    await put('repo/dir/passwd', 'tracked');
    await put('repo/ok.md', 'ok');
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-q', '-m', 'init');
    await rm(join(root, 'dir'), { recursive: true });
    await symlink(join(dir, 'outside'), join(root, 'dir'));

    const { records } = await readAll(files.files({ root }));
    expect(records.map((record) => record.id)).toEqual(['ok.md']);
    expect(JSON.stringify(records)).not.toContain('root:x');
  });

  it('lists the tree once per run, not once per page', async () => {
    for (let i = 0; i < 25; i += 1) await put(`tree/f-${String(i).padStart(2, '0')}.md`, `file ${i}`);
    let added = 0;
    // A file added after the first page would show up only if a later page listed the tree again.
    const { pages, paths } = await readAll(files.files({ root: join(dir, 'tree'), pageSize: 10 }), {}, async () => {
      added += 1;
      await put(`tree/z-added-${added}.md`, 'later');
    });
    expect(pages).toHaveLength(3);
    expect(paths).toHaveLength(25);
    expect(paths.some((path) => path.startsWith('z-added'))).toBe(false);
  });
});

describe('git runs without the commands of the folder it lists', () => {
  it('a .git/config core.fsmonitor command is not run when the files connector lists the tree', async () => {
    const root = join(dir, 'repo');
    const marker = join(dir, 'MARKER');
    await put('repo/a.md', 'a');
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-q', '-m', 'init');
    await git(root, 'config', 'core.fsmonitor', `touch ${marker}; false`);
    await git(root, 'config', 'core.hooksPath', join(dir, 'hooks'));

    const { paths } = await readAll(files.files({ root }));
    expect(paths).toEqual(['a.md']);
    expect(existsSync(marker)).toBe(false);
  });
});

const API = 'https://api.github.test';
const listQuery = { state: 'all', sort: 'created', direction: 'asc', per_page: '100' };

describe('credentials', () => {
  let sluice: Sluice | undefined;
  let prefix = '';
  const logged: string[] = [];

  beforeEach(() => {
    nock.disableNetConnect();
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      });
    }
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    logged.length = 0;
    await sluice?.close();
    sluice = undefined;
    await deletePrefix(prefix);
  });

  function start(credentials: CredentialProvider | undefined): Sluice {
    prefix = uniquePrefix('sec-cred');
    const github = createGithubConnector({ baseUrl: API, retry: { retries: 0, baseDelayMs: 1 } });
    const pipeline = definePipeline({
      id: 'gh-issues',
      source: github.issues({ comments: false, repos: ['acme/app'] }),
      retries: { attempts: 2, backoffMs: 10 },
      steps: (records) => records.map((issue) => ({ title: issue.title })),
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], ...(credentials ? { credentials } : {}), progress: { intervalMs: 10 } }));
    sluice.startWorker({ concurrency: 2 });
    return sluice;
  }

  it('without a provider no user gets the operator\'s GITHUB_TOKEN: the run fails with a clear error, no request is sent', async () => {
    vi.stubEnv('GITHUB_TOKEN', 'ghp_operator_token_0123456789');
    const s = start(undefined);
    const { runId } = await s.startRun('gh-issues', { userId: 'u1' });
    const run = await waitForRun(s, 'u1', runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/no credentials provider configured for github; .*credentials: shared\(/);
    expect(nock.pendingMocks()).toEqual([]);
    expect(sharedConnectorsOf(s.config.credentials)).toEqual([]);
  });

  it('shared(...) is an explicit opt-in that serve can see; connectors it does not name are refused', async () => {
    const provider = shared({ github: 'ghp_shared', gmail: undefined });
    expect(sharedConnectorsOf(provider)).toEqual(['github']);
    expect(await provider({ userId: 'anyone', connector: 'github' })).toEqual({ token: 'ghp_shared' });
    expect(() => provider({ userId: 'anyone', connector: 'gmail' })).toThrow(/no credentials provider configured for gmail/);
  });

  it('after runs, ok and failed, no Redis key of the prefix and no log line holds a credential used', async () => {
    const tokenOf = (userId: string) => `tok_${userId}_a9f3c1e7d5b2`;
    const s = start(({ userId }) => ({ token: tokenOf(userId) }));
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, fixture('issues-page-3'));
    nock(API).get('/repos/acme/app/issues').query(listQuery).times(2).reply(500, { message: 'boom' });
    const ok = await s.startRun('gh-issues', { userId: 'u1' });
    expect((await waitForRun(s, 'u1', ok.runId)).status).toBe('completed');
    const failed = await s.startRun('gh-issues', { userId: 'u2' });
    await waitForRun(s, 'u2', failed.runId);

    const redis = new Redis(REDIS_URL);
    try {
      const secrets = [tokenOf('u1'), tokenOf('u2')];
      let scanned = 0;
      for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          for (const key of keys) {
            scanned += 1;
            const dump = await redis.dumpBuffer(key);
            const text = `${key} ${dump?.toString('latin1') ?? ''}`;
            for (const secret of secrets) expect(text, `key ${key}`).not.toContain(secret);
          }
        } while (cursor !== '0');
      }
      expect(scanned).toBeGreaterThan(5);
      for (const line of logged) for (const secret of secrets) expect(line).not.toContain(secret);
    } finally {
      redis.disconnect();
    }
  });
});

describe('run input: what an end user may set', () => {
  const secret = 'a-progress-secret-of-more-than-32-bytes';
  let sluice: Sluice | undefined;
  let prefix = '';
  afterEach(async () => {
    await sluice?.close();
    sluice = undefined;
    await deletePrefix(prefix);
  });

  function serve() {
    prefix = uniquePrefix('sec-input');
    const pipeline = definePipeline({
      id: 'docs',
      source: synthetic.records({ count: 3, pageSize: 3 }),
      input: z.object({ since: z.string().optional(), root: z.string().optional() }),
      userInput: ['since'],
    });
    const other = definePipeline({ id: 'internal-audit', source: synthetic.records({ count: 1, pageSize: 1 }) });
    sluice = createSluice(defineConfig({ prefix, redis: REDIS_URL, pipelines: [pipeline, other] }));
    const server = createProgressServer({ sluice, secret });
    const token = createProgressToken({ userId: 'u1', secret });
    return (body: unknown) =>
      server.app.request('/v1/users/u1/runs', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
  }

  it('the browser may set only the fields the pipeline lists; others are a 400 naming them, and no run starts', async () => {
    const post = serve();
    const refused = await post({ pipeline: 'docs', input: { since: '2024-01-01', root: '/etc', repos: ['acme/private'] } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'input_not_allowed', fields: ['root', 'repos'] } });
    expect(await sluice!.status('u1')).toEqual([]);

    const wrongType = await post({ pipeline: 'docs', input: { since: 5 } });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ error: { code: 'invalid_input' } });

    expect((await post({ pipeline: 'docs', input: { since: '2024-01-01' } })).status).toBe(202);
  });

  it('a pipeline without userInput takes no input from a browser; the operator still sets any declared field', async () => {
    const post = serve();
    const refused = await post({ pipeline: 'internal-audit', input: { root: '/' } });
    expect(refused.status).toBe(400);
    const unknown = await post({ pipeline: 'nope' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).not.toContain('internal-audit');

    const run = await sluice!.startRun('docs', { userId: 'u2', input: { root: '/srv/docs' } });
    expect(run.created).toBe(true);
    await expect(sluice!.startRun('docs', { userId: 'u3', input: { root: 7 } })).rejects.toThrow(/invalid input for pipeline "docs"/);
  });

  it('userInput must name fields of the input schema', () => {
    expect(() =>
      definePipeline({ id: 'typo', source: synthetic.records({ count: 1, pageSize: 1 }), input: z.object({ since: z.string() }), userInput: ['snice'] }),
    ).toThrow(/userInput.0: "snice" is not a field of the input schema/);
  });
});

describe('hardened edges of the progress server', () => {
  const secret = 'a-progress-secret-of-more-than-32-bytes';

  it('refuses secrets shorter than 32 bytes, to sign, to verify and to serve', () => {
    expect(() => createProgressToken({ userId: 'u1', secret: 'k9' })).toThrow(/at least 32 bytes/);
    expect(() => verifyProgressToken('v1.a.b', 'k9')).toThrow(/at least 32 bytes/);
    expect(() => createProgressServer({ sluice: {} as Sluice, secret: 'x'.repeat(31) })).toThrow(/at least 32 bytes/);
  });

  it('parses tokens strictly: no padding, no extra characters, only the canonical base64url', () => {
    const token = createProgressToken({ userId: 'u1', secret });
    const [version, claims, signature] = token.split('.') as [string, string, string];
    expect(verifyProgressToken(token, secret).userId).toBe('u1');
    for (const variant of [`${token}=`, `${version}.${claims}.${signature}!`, `${version}.${claims}=.${signature}`, `${version}.${claims}.${signature.slice(0, 20)}*${signature.slice(20)}`]) {
      expect(() => verifyProgressToken(variant, secret), variant).toThrow(expect.objectContaining({ code: 'token_malformed' }));
    }
    // The last character of a 32-byte MAC carries 2 unused bits: another letter there decodes to the same bytes.
    const last = signature.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)] as string;
    expect(() => verifyProgressToken(`${version}.${claims}.${signature.slice(0, -1)}${twin}`, secret)).toThrow();
  });

  it('an open event stream ends with a token_expired event when its token expires', async () => {
    const t = await startTestServer('sec-expiry');
    try {
      const sse = await openSse(`${t.url}/v1/users/u1/progress/stream`, { authorization: `Bearer ${t.token('u1', 1)}` });
      expect(sse.status).toBe(200);
      const messages = await sse.ended();
      expect(messages.at(-1)).toMatchObject({ event: 'token_expired' });
    } finally {
      await t.stop();
    }
  });

  it('JSON input nested deeper than the bound is a 400, not a 500 with a stack trace', async () => {
    const t = await startTestServer('sec-depth', { maxBodyBytes: 16 * 1024 });
    try {
      const deep = `{"pipeline":"notes","input":{"note":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
      // In memory: nock, loaded for the GitHub tests above, wraps fetch and chokes on this body.
      const response = await t.server.app.request('/v1/users/u1/runs', {
        method: 'POST',
        body: deep,
        headers: { authorization: `Bearer ${t.token('u1')}`, 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_body');
      expect(body.error.message).toMatch(/nested deeper than/);
      expect(await t.sluice.status('u1')).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it('the server bounds header time, request time and connections', async () => {
    const t = await startTestServer('sec-limits');
    try {
      expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(15_000);
      // Slow-header sockets: one that sends half a request line is cut after the header timeout.
      const { connect } = await import('node:net');
      const { port } = new URL(t.url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => (text += String(chunk)));
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1.1 408/);
    } finally {
      await t.stop();
    }
  }, 70_000);
});

describe.concurrent('the CLI fails fast, in one line, when Redis cannot be used', () => {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

  async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const base: NodeJS.ProcessEnv = { ...process.env, SLUICE_SECRET: 'a-progress-secret-of-more-than-32-bytes', ...env };
    if (env.REDIS_URL === undefined) delete base.REDIS_URL;
    const child = spawn(process.execPath, ['--import', tsx, join(repoRoot, 'src/cli/bin.ts'), ...args, '-c', 'test/fixtures/config/cli.config.ts'], {
      cwd: repoRoot,
      env: base,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A guard against a CLI that hangs (what it did before); not a timing assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(guard);
    return { code, stdout, stderr };
  }

  it.each([
    ['status', ['status', '--user', 'u1', '--redis', 'redis://127.0.0.1:1'], /^sluice: cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/],
    ['run', ['run', 'cli-notes', '--user', 'u1', '--redis', 'redis://127.0.0.1:1'], /^sluice: cannot use Redis at /],
    ['worker', ['worker', '--redis', 'redis://127.0.0.1:1'], /^sluice: cannot use Redis at /],
    ['a --redis that is not a URL', ['status', '--user', 'u1', '--redis', 'localhost:6379'], /^sluice: --redis is not a Redis URL/],
    ['serve with a wrong password', ['serve', '--port', '0', '--redis', 'redis://nobody:wrong-password@127.0.0.1:6379'], /^sluice: cannot use Redis at redis:\/\/nobody:\*\*\*@.*WRONGPASS/],
  ])('%s: exit 1, one line, no stack trace', async (_, args, line) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/listening/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(line);
    expect(stderr).not.toContain('wrong-password');
  });

  it('SLUICE_PREFIX from the environment obeys the config rule', async () => {
    const { code, stderr } = await cli(['status', '--user', 'u1'], { SLUICE_PREFIX: 'a b:*', REDIS_URL });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('sluice: SLUICE_PREFIX "a b:*" is invalid: use 1-32 letters, digits, _ or -');
  });
});

describe('failed jobs keep ids, not contents', () => {
  const start = ownSluice('sec-failed');

  it('a batch that failed for good keeps its record ids in BullMQ, not the record text', async () => {
    const brokenSink = { kind: 'broken', open: () => ({ changed: async (entries: readonly { sourceId: string }[]) => new Set(entries.map((e) => e.sourceId)), write: async () => Promise.reject(new Error('sink down')) }) };
    const pipeline = definePipeline({
      id: 'fails',
      source: synthetic.records({ count: 3, pageSize: 3 }),
      sink: brokenSink,
      retries: { attempts: 1, backoffMs: 1 },
    });
    const { sluice, prefix } = start([pipeline]);
    sluice.startWorker({ concurrency: 1 });
    const { runId } = await sluice.startRun('fails', { userId: 'u1' });
    const run = await waitForRun(sluice, 'u1', runId);
    expect(run.counts.failed).toBe(3);

    const redis = new Redis(REDIS_URL);
    try {
      let failedJobs = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          if ((await redis.type(key)) !== 'hash') continue;
          const job = await redis.hgetall(key);
          if (job.failedReason === undefined || job.data === undefined) continue;
          failedJobs += 1;
          expect(job.data).toContain('rec-000001');
          expect(job.data).not.toContain('record 1 v');
        }
      } while (cursor !== '0');
      expect(failedJobs).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('deadlines', () => {
  it('a GitHub request that does not answer in time fails with "timed out", instead of holding the worker', async () => {
    await withSilentServer(async (url) => {
      const github = createGithubConnector({ baseUrl: url, retry: { retries: 0, baseDelayMs: 1 }, requestTimeoutMs: 200 });
      const ctx = { ...runContext(), credentials: async () => ({ token: 'tok' }) };
      const read = github.issues({ comments: false, repos: ['acme/slow'] }).read(ctx, undefined);
      await expect(read).rejects.toThrow(/timed out after 0\.2 s/);
    });
  });

  const start = ownSluice('sec-deadline');

  it('a record whose step never resolves fails with "timed out after N s"; the batch and the run go on', async () => {
    const pipeline = definePipeline({
      id: 'hangs',
      source: synthetic.records({ count: 5, pageSize: 5 }),
      recordTimeoutMs: 300,
      steps: (records) => records.map((record) => (record.n === 2 ? new Promise<never>(() => {}) : record.text)),
    });
    const { sluice } = start([pipeline]);
    sluice.startWorker({ concurrency: 1 });
    const { runId } = await sluice.startRun('hangs', { userId: 'u1' });
    const run = await waitForRun(sluice, 'u1', runId);
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ processed: 4, failed: 1 });
    const failed = (await sluice.events('u1')).find((event) => event.type === 'item.failed');
    expect(failed && failed.type === 'item.failed' && failed.item.reason).toBe('map: timed out after 0.3 s');
  });
});

describe('per-user limits', () => {
  it('a user past the cap of active runs is refused (429 through the server); asking for a run already going is fine', async () => {
      const pipelines = ['a', 'b', 'c'].map((id) => definePipeline({ id, source: synthetic.records({ count: 1, pageSize: 1 }) }));
      const sluice = createSluice(defineConfig({ prefix: uniquePrefix('sec-cap'), redis: REDIS_URL, pipelines, runs: { maxActivePerUser: 2 } }));
      try {
      await sluice.startRun('a', { userId: 'u1' });
      await sluice.startRun('b', { userId: 'u1' });
      expect((await sluice.startRun('a', { userId: 'u1' })).created).toBe(false);
      await expect(sluice.startRun('c', { userId: 'u1' })).rejects.toThrow(/already has 2 runs going \(the limit is 2\)/);
      expect((await sluice.startRun('c', { userId: 'u2' })).created).toBe(true);
      const server = createProgressServer({ sluice, secret: 'a-progress-secret-of-more-than-32-bytes' });
      const response = await server.app.request('/v1/users/u1/runs', {
        method: 'POST',
        body: JSON.stringify({ pipeline: 'c' }),
        headers: { authorization: `Bearer ${createProgressToken({ userId: 'u1', secret: 'a-progress-secret-of-more-than-32-bytes' })}`, 'content-type': 'application/json' },
      });
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({ error: { code: 'too_many_runs' } });
      } finally {
      await sluice.close();
      await deletePrefix(sluice.config.prefix as string);
      }
  });
});

describe('per-run caps', () => {
  const start = ownSluice('sec-caps');

  it('two runs started at once cannot both pass the cap of active runs', async () => {
    const pipelines = ['a', 'b'].map((id) => definePipeline({ id, source: synthetic.records({ count: 1, pageSize: 1 }) }));
    const { sluice } = start(pipelines, { maxActivePerUser: 1 });
    const results = await Promise.allSettled([sluice.startRun('a', { userId: 'u1' }), sluice.startRun('b', { userId: 'u1' })]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/already has 1 runs going \(the limit is 1\)/);
  });

  it.each([
    { cap: { maxRecordsPerRun: 15 }, reason: /^run stopped: 20 records read, the cap is 15 \(runs\.maxRecordsPerRun\)$/ },
    { cap: { maxBytesPerRun: 100 }, reason: /^run stopped: [\d,]+ bytes of records read, the cap is 100 \(runs\.maxBytesPerRun\)$/ },
  ])('a run past $cap fails with a reason naming the cap', async ({ cap, reason }) => {
    const pipeline = definePipeline({ id: 'many', source: synthetic.records({ count: 50, pageSize: 10 }) });
    const { sluice } = start([pipeline], cap);
    sluice.startWorker({ concurrency: 1 });
    const { runId } = await sluice.startRun('many', { userId: 'u1' });
    const run = await waitForRun(sluice, 'u1', runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(reason);
    expect(run.counts.discovered).toBeLessThan(50);
  });

  it('the caps are validated with the config', () => {
    expect(() => defineConfig({ pipelines: [], runs: { maxRecordsPerRun: 0 } })).toThrow(/maxRecordsPerRun/);
    expect(() => defineConfig({ pipelines: [], runs: { maxBytesPerRun: 1.5 } })).toThrow(/maxBytesPerRun/);
  });
});

describe('browser-facing errors', () => {
  it('carry a code, a generic message and a request id; the details are logged under that id', async () => {
    const t = await startTestServer('sec-errors');
    const logged: string[] = [];
    // The runtime's structured log (pino): the details go there, under the request id.
    const spy = vi.spyOn(t.sluice.log, 'error').mockImplementation(((fields: unknown, message?: string) => void logged.push(`${JSON.stringify(fields)} ${message}`)) as never);
    vi.spyOn(t.sluice, 'status').mockRejectedValue(new Error('ENOENT: /srv/secret/host/path missing'));
    try {
      const response = await t.server.app.request('/v1/users/u1/progress', { headers: { authorization: `Bearer ${t.token('u1')}` } });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain('/srv/secret');
      const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
      expect(body.error).toMatchObject({ code: 'internal', message: 'internal server error' });
      expect(logged.some((line) => line.includes(body.error.requestId) && line.includes('/srv/secret/host/path'))).toBe(true);
    } finally {
      spy.mockRestore();
      vi.restoreAllMocks();
      await t.stop();
    }
  });

  it('failed runs and items reach browsers without host paths or upstream bodies; the CLI side keeps them', async () => {
    const t = await startTestServer('sec-redact');
    try {
      const failedRun = { ...runAt('u1', 1), status: 'failed' as const, error: 'SourceError: EACCES: permission denied, open \'/srv/secret/host/notes.txt\'' };
      await t.publisher.publishItemFailed(failedRun, { id: 'a.md', reason: 'GitHub GET /repos/a/b failed (502): <!DOCTYPE html><html>internal proxy 10.0.0.7</html>' });
      await t.publisher.publishRun('run.failed', failedRun);
      const stream = await openSse(`${t.url}/v1/users/u1/progress/stream?since=0-0`, { authorization: `Bearer ${t.token('u1')}` });
      const messages = await stream.messages(2);
      stream.close();
      const sent = messages.map((message) => message.data).join('\n');
      expect(sent).not.toContain('/srv/secret');
      expect(sent).not.toContain('10.0.0.7');
      expect(sent).toContain('notes.txt');
      expect(sent).toContain('failed (502): [response body removed]');
      const response = await fetch(`${t.url}/v1/users/u1/progress`, { headers: { authorization: `Bearer ${t.token('u1')}` } });
      const body = await response.text();
      expect(body).not.toContain('/srv/secret');
      expect(body).toContain('notes.txt');
      // Operator side: the full text.
      expect((await t.sluice.status('u1'))[0]?.error).toContain('/srv/secret/host/notes.txt');
    } finally {
      await t.stop();
    }
  });
});
