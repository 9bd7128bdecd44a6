import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from './support/redis.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const prefix = uniquePrefix('pack');
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await deletePrefix(prefix);
});

/** Each entry and names it must export; connectors are added from the connectors folder. */
const ENTRIES: Record<string, string[]> = {
  sluice: ['definePipeline', 'defineConfig', 'defineConnector', 'summarize', 'extract', 'embed', 'perItemStep', 'Chain', 'redisSink', 'jsonlSink', 'contentHash', 'ConfigError'],
  'sluice/runtime': ['createSluice', 'loadConfig', 'findConfig', 'checkRedis'],
  'sluice/server': ['createProgressServer', 'createProgressToken', 'verifyProgressToken', 'ProgressTokenError'],
  'sluice/testing': ['startMockLlm', 'synthetic'],
  'sluice/client': ['subscribeProgress', 'applyProgress', 'fetchProgress'],
  'sluice/widget': ['defineSluiceProgress', 'SluiceProgressElement'],
};
/** Internals no entry may export. */
const INTERNALS = ['createLimiter', 'readDocuments', 'countDocuments', 'RunStore'];
/** Entries that need what the app may not have (React, a browser): resolved, not imported. */
const RESOLVE_ONLY = ['sluice/react', 'sluice/widget/sluice-progress.js'];

const connectorEntries = () =>
  readdirSync(join(ROOT, 'connectors'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, 'connectors', entry.name, 'index.ts')))
    .map((entry) => entry.name);

// Run inside the app: imports each entry from the installed package and reports what is off.
const CHECK_ENTRIES = `
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const { entries, internals, resolveOnly } = JSON.parse(process.argv[2]);
const problems = [];
for (const [entry, names] of Object.entries(entries)) {
  let mod;
  try { mod = await import(entry); } catch (error) { problems.push(entry + ': ' + error.message); continue; }
  for (const name of names) if (!(name in mod)) problems.push(entry + ' does not export ' + name);
  for (const name of internals) if (name in mod) problems.push(entry + ' exports the internal ' + name);
}
for (const entry of resolveOnly) {
  const file = fileURLToPath(import.meta.resolve(entry));
  if (!existsSync(file)) problems.push(entry + ' resolves to a missing file ' + file);
}
console.log(JSON.stringify(problems));
`;

describe('the npm package', () => {
  let app = '';
  let bin = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 10e6 });
    const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
    app = join(dir, 'app');
    await mkdir(join(app, 'docs'), { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 10e6 });
    bin = join(app, 'node_modules', '.bin', 'sluice');
  }, 180_000);

  it('runs a TypeScript config with the built bin', async () => {
    await writeFile(join(app, 'docs', 'a.md'), '# A\n\nalpha');
    await writeFile(join(app, 'docs', 'b.txt'), 'beta');
    await writeFile(
      join(app, 'sluice.config.ts'),
      `import { defineConfig, definePipeline } from 'sluice';
import { files } from 'sluice/connectors/files';
export default defineConfig({
  prefix: ${JSON.stringify(prefix)},
  pipelines: [definePipeline({ id: 'docs', source: files.files({ root: './docs' }), steps: (r) => r.map((f) => ({ path: f.path, size: f.text.length })) })],
});
`,
    );

    const help = await run(bin, ['--help'], { cwd: app });
    expect(help.stdout).toContain('Usage: sluice');

    const worker = spawn(bin, ['worker'], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on('data', (chunk: Buffer) => ((output += chunk), output.includes('ready') && resolve()));
        worker.once('exit', (code) => reject(new Error(`worker exited ${code}: ${output}`)));
      });
      await run(bin, ['run', 'docs', '--user', 'p1', '--follow'], { cwd: app });
      const status = JSON.parse((await run(bin, ['status', '--user', 'p1', '--json'], { cwd: app })).stdout) as {
        runs: { status: string; counts: { processed: number } }[];
      };
      expect(status.runs[0]).toMatchObject({ status: 'completed', counts: { processed: 2 } });
    } finally {
      worker.kill('SIGTERM');
      await once(worker, 'exit');
    }
  }, 180_000);

  it('imports every entry point from the installed package', async () => {
    await writeFile(join(app, 'check-entries.mjs'), CHECK_ENTRIES);
    const entries = { ...ENTRIES, ...Object.fromEntries(connectorEntries().map((name) => [`sluice/connectors/${name}`, [name]])) };
    const { stdout } = await run(process.execPath, ['check-entries.mjs', JSON.stringify({ entries, internals: INTERNALS, resolveOnly: RESOLVE_ONLY })], { cwd: app });
    expect(JSON.parse(stdout)).toEqual([]);
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['sluice/connectors/files', 'sluice/connectors/github', 'sluice/connectors/synthetic']));
  }, 60_000);
});
