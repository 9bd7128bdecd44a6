import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, defineConfig, definePipeline, type RecordContext, type SluiceConfig } from '../src/index.js';
import { findConfig, loadConfig } from '../src/runtime/index.js';
import { synthetic } from './support/synthetic.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const fixtures = 'test/fixtures/config';
const fixture = (name: string) => `${fixtures}/${name}`;

const source = synthetic.records({ count: 1, pageSize: 1 });
const pipelineA = definePipeline({ id: 'a', source });
const pipelineB = definePipeline({ id: 'b', source });

/** Runs defineConfig on untyped input and returns its ConfigError. */
function configError(config: Record<string, unknown>): ConfigError {
  try {
    defineConfig(config as unknown as SluiceConfig);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('defineConfig accepted the config');
}

const tempDirs: string[] = [];
function tempDir(): string {
  // realpath: on some systems the temp folder is a symlink, and findConfig returns resolved paths.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-config-test-')));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('defineConfig validation', () => {
  it('returns a valid config unchanged', () => {
    const config = { pipelines: [pipelineA, pipelineB], redis: 'rediss://cache.example:6380/2', prefix: 'my_app-1', worker: { concurrency: 4 } };
    expect(defineConfig(config)).toBe(config);
  });

  it.each([
    { name: 'an empty pipeline list', config: { pipelines: [] }, line: '  - pipelines: add at least one pipeline' },
    { name: 'no pipelines key', config: {}, line: /^ {2}- pipelines: .*expected array/m },
    { name: 'a pipeline not made by definePipeline', config: { pipelines: [pipelineA, { id: 'b' }] }, line: '  - pipelines.1: expected a pipeline made by definePipeline()' },
    { name: 'duplicate pipeline ids', config: { pipelines: [pipelineA, pipelineB, definePipeline({ id: 'a', source })] }, line: '  - pipelines.2: duplicate pipeline id "a"' },
    { name: 'a host:port instead of a Redis URL', config: { pipelines: [pipelineA], redis: 'localhost:6379' }, line: '  - redis: expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port' },
    { name: 'an http URL for Redis', config: { pipelines: [pipelineA], redis: 'http://localhost:6379' }, line: '  - redis: expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port' },
    { name: 'a comma list of Redis hosts', config: { pipelines: [pipelineA], redis: 'redis://a:7000,b:7001' }, line: '  - redis: it lists several hosts; for a Redis Cluster write redis+cluster://host:port,host:port' },
    { name: 'a cluster node without a port', config: { pipelines: [pipelineA], redis: 'redis+cluster://a:7000,b' }, line: '  - redis: node "b" is not host:port' },
    { name: 'a prefix with a colon', config: { pipelines: [pipelineA], prefix: 'app:' }, line: '  - prefix: use 1-32 letters, digits, _ or -' },
    { name: 'a prefix with a space', config: { pipelines: [pipelineA], prefix: 'my app' }, line: '  - prefix: use 1-32 letters, digits, _ or -' },
    { name: 'an empty prefix', config: { pipelines: [pipelineA], prefix: '' }, line: '  - prefix: use 1-32 letters, digits, _ or -' },
    { name: 'a 33-character prefix', config: { pipelines: [pipelineA], prefix: 'p'.repeat(33) }, line: '  - prefix: use 1-32 letters, digits, _ or -' },
    { name: 'an unknown worker option', config: { pipelines: [pipelineA], worker: { concurency: 4 } }, line: '  - worker: Unrecognized key: "concurency"' },
    { name: 'worker concurrency 0', config: { pipelines: [pipelineA], worker: { concurrency: 0 } }, line: /^ {2}- worker\.concurrency: Too small/m },
    { name: 'a lock shorter than a second', config: { pipelines: [pipelineA], worker: { lockDurationMs: 10 } }, line: /^ {2}- worker\.lockDurationMs: Too small/m },
    { name: 'a negative drain timeout', config: { pipelines: [pipelineA], worker: { drainTimeoutMs: -1 } }, line: /^ {2}- worker\.drainTimeoutMs: Too small/m },
    { name: 'a fractional reconcile interval', config: { pipelines: [pipelineA], worker: { reconcileIntervalMs: 1.5 } }, line: /^ {2}- worker\.reconcileIntervalMs: /m },
    { name: 'a no-progress timeout as text', config: { pipelines: [pipelineA], runs: { noProgressTimeoutMs: '30m' } }, line: /^ {2}- runs\.noProgressTimeoutMs: /m },
    { name: 'an LLM in-flight notice under 100 ms', config: { pipelines: [pipelineA], llm: { inFlightNoticeMs: 10 } }, line: /^ {2}- llm\.inFlightNoticeMs: Too small/m },
    { name: 'an unknown progress option', config: { pipelines: [pipelineA], progress: { interval: 5 } }, line: '  - progress: Unrecognized key: "interval"' },
    { name: 'credentials that are not a function', config: { pipelines: [pipelineA], credentials: { token: 'x' } }, line: /^ {2}- credentials: expected a function/m },
    { name: 'an unknown top-level key', config: { pipelines: [pipelineA], redisUrl: 'redis://x' }, line: '  - (root): Unrecognized key: "redisUrl"' },
  ])('rejects $name with a ConfigError naming the field', ({ config, line }) => {
    const error = configError(config);
    expect(error.name).toBe('ConfigError');
    // defineConfig does not know its file; loadConfig adds it (see below).
    expect(error.message.split('\n')[0]).toBe('Invalid Sluice config:');
    if (typeof line === 'string') expect(error.message.split('\n')).toContain(line);
    else expect(error.message).toMatch(line);
  });

  it('reports every duplicate and every bad field at once', () => {
    const error = configError({ pipelines: [pipelineA, pipelineA, pipelineA], prefix: 'a b', redis: 'nope' });
    expect(error.message.split('\n').slice(1).sort()).toEqual([
      '  - pipelines.1: duplicate pipeline id "a"',
      '  - pipelines.2: duplicate pipeline id "a"',
      '  - prefix: use 1-32 letters, digits, _ or -',
      '  - redis: expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port',
    ]);
  });
});

describe('loadConfig', () => {
  it('loads a TypeScript config whose imports of "sluice" resolve to this checkout', async () => {
    const { config, file } = await loadConfig(fixture('valid.config.ts'));
    expect(file).toBe(join(repoRoot, fixture('valid.config.ts')));
    expect(config.prefix).toBe('fixture-valid');
    expect(config.worker).toEqual({ concurrency: 2 });
    expect(config.pipelines.map((p) => p.id)).toEqual(['fixture-notes', 'fixture-raw']);
    const [notes, raw] = config.pipelines;
    expect(notes).toMatchObject({ batchSize: 100, queue: 'default', definedIn: file });
    expect(raw).toMatchObject({ batchSize: 10, queue: 'bulk', definedIn: file });
    expect(notes!.sources.map((s) => `${s.connector}.${s.stream}`)).toEqual(['files.files']);

    // The fixture's steps run on the Chain of this repository's src: feed its map step one file.
    const context: RecordContext = { id: 'a.md', sourceId: 'a.md', userId: 'u', runId: 'r' };
    const step = notes!.chain.steps[0]!;
    // A pure map step needs nothing from the worker's runtime.
    expect(await step.run([{ context, value: { path: 'a.md', text: 'one two  three', size: 14, modifiedAt: '' } }], undefined as never)).toEqual([
      { ok: true, items: [{ context, value: { path: 'a.md', words: 3 } }] },
    ]);

    // 'sluice' resolved to <repo>/src, not to a build or an installed copy: the default sink's code lives there.
    let stack = '';
    try {
      notes!.sink.open(undefined as never);
    } catch (error) {
      stack = (error as Error).stack ?? '';
    }
    expect(stack).toContain(join(repoRoot, 'src/sinks/redis-sink.ts'));
  });

  it('accepts an absolute path', async () => {
    const { file } = await loadConfig(join(repoRoot, fixture('valid.config.ts')));
    expect(file).toBe(join(repoRoot, fixture('valid.config.ts')));
  });

  it("finds the repository's own sluice.config.ts when no path is given", async () => {
    const { config, file } = await loadConfig();
    expect(file).toBe(join(repoRoot, 'sluice.config.ts'));
    expect(config.pipelines.map((p) => p.id)).toContain('demo-files');
  });

  it('names the pipeline file when a pipeline the config imports is invalid', async () => {
    const error = await loadConfig(fixture('bad-pipeline.config.ts')).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // Thrown by the config's own copy of Sluice, so compared by name rather than instanceof.
    expect(error?.name).toBe('PipelineConfigError');
    expect(error?.message).toBe(
      `Invalid pipeline "bad-batch" in ${fixture('pipelines/bad-batch.ts')}:\n  - sharding.batchSize: Too small: expected number to be >=1`,
    );
  });

  it('names the config file when defineConfig rejects the config', async () => {
    await expect(loadConfig(fixture('bad-prefix.config.ts'))).rejects.toMatchObject({
      name: 'ConfigError',
      message: `Invalid Sluice config in ${fixture('bad-prefix.config.ts')}:\n  - prefix: use 1-32 letters, digits, _ or -`,
    });
  });

  it('validates a default export that did not go through defineConfig', async () => {
    const error = await loadConfig(fixture('not-a-config.config.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `Invalid Sluice config in ${fixture('not-a-config.config.ts')}:\n  - (root): Unrecognized key: "prefx"`,
    );
  });

  it('rejects a file without a default export, naming the file', async () => {
    const error = await loadConfig(fixture('no-default.config.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid Sluice config in ${fixture('no-default\\.config\\.ts')}:\n`));
    expect((error as Error).message).toMatch(/^ {2}- pipelines: /m);
  });

  it('wraps an exception thrown by the config in "Could not load <file>"', async () => {
    vi.stubEnv('SLUICE_FIXTURE_NEVER_SET', '');
    const error = await loadConfig(fixture('throws.config.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`Could not load ${fixture('throws.config.ts')}: SLUICE_FIXTURE_NEVER_SET is not set`);
  });

  it('wraps a JavaScript syntax error in "Could not load <file>"', async () => {
    const error = await loadConfig(fixture('syntax-error.config.mjs')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^Could not load ${fixture('syntax-error\\.config\\.mjs')}: .+`));
  });

  it('wraps a TypeScript syntax error in "Could not load <file>"', async () => {
    const dir = tempDir();
    const file = join(dir, 'sluice.config.ts');
    writeFileSync(file, "import { defineConfig } from 'sluice';\nexport default defineConfig({ pipelines: [ }) as SluiceConfig;\n");
    const error = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Could not load .+/);
    expect((error as Error).message.split(':')[0]).toBe(`Could not load ${relative(process.cwd(), file)}`);
  });

  it('wraps a failed import inside the config in "Could not load <file>"', async () => {
    const dir = tempDir();
    const file = join(dir, 'sluice.config.ts');
    writeFileSync(file, "import { defineConfig } from 'sluice';\nimport { nothing } from './missing-pipelines.js';\nexport default defineConfig({ pipelines: [nothing] });\n");
    const error = await loadConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Could not load .+sluice\.config\.ts: .*missing-pipelines/);
  });

  it('says the file is not found for a missing --config path', async () => {
    const error = await loadConfig(fixture('missing.config.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`Config file not found: ${fixture('missing.config.ts')}`);
  });
});

describe('findConfig', () => {
  it('finds sluice.config.ts in a parent folder', () => {
    const root = tempDir();
    const deep = join(root, 'packages', 'app', 'src');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, 'sluice.config.ts'), 'export default {};\n');
    expect(findConfig(deep)).toBe(join(root, 'sluice.config.ts'));
    expect(findConfig(root)).toBe(join(root, 'sluice.config.ts'));
  });

  it('takes the nearest folder first, and .ts before .mts, .js and .mjs in one folder', () => {
    const root = tempDir();
    const app = join(root, 'app');
    const deep = join(app, 'lib');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, 'sluice.config.ts'), '');
    for (const name of ['sluice.config.mjs', 'sluice.config.js', 'sluice.config.mts']) writeFileSync(join(app, name), '');
    expect(findConfig(deep)).toBe(join(app, 'sluice.config.mts'));
    writeFileSync(join(app, 'sluice.config.ts'), '');
    expect(findConfig(deep)).toBe(join(app, 'sluice.config.ts'));
    rmSync(join(app, 'sluice.config.ts'));
    rmSync(join(app, 'sluice.config.mts'));
    expect(findConfig(deep)).toBe(join(app, 'sluice.config.js'));
  });

  it('resolves a relative start folder against the current one', () => {
    expect(findConfig('test/fixtures/config')).toBe(join(repoRoot, 'sluice.config.ts'));
  });

  it('finds nothing inside a tree without a config', () => {
    const root = tempDir();
    const deep = join(root, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const found = findConfig(deep);
    // Above the temp folder is the machine's, not ours: all we can say is that nothing was found in the tree.
    expect(found === undefined || !found.startsWith(root)).toBe(true);
  });
});
