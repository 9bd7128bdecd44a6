import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const probe = fileURLToPath(new URL('./support/import-probe.mjs', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What a Next.js route or an edge bundle that defines pipelines must not pay for. */
const HEAVY = ['bullmq', 'ioredis', 'openai', 'hono', '@hono/node-server', 'jiti', 'gpt-tokenizer', 'prom-client', 'pino', '@opentelemetry/api'];

interface Probe {
  heapDelta: number;
  packages: Set<string>;
  files: string[];
}

/** Imports `entry` in a fresh Node process; see test/support/import-probe.mjs. */
async function probeImport(entry: string, name: string): Promise<Probe> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', tsx, probe, entry, name], { cwd: ROOT, maxBuffer: 1 << 26 });
  const { heapDelta, modules } = JSON.parse(stdout) as { heapDelta: number; modules: string[] };
  const packages = new Set(modules.map((url) => [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1)?.[1]).filter((p) => p !== undefined));
  return { heapDelta, packages, files: modules.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)) };
}

describe("the root entry ('sluice')", () => {
  it('defines pipelines without loading BullMQ, Redis, an LLM SDK, the tokenizer, the HTTP server, jiti, or the metrics, log and tracing packages', async () => {
    const { heapDelta, packages, files } = await probeImport('./src/index.ts', 'definePipeline');
    expect(files).toContain(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
    expect(heapDelta).toBeLessThan(5 * 1024 * 1024);
  });

  it('is measured by a probe that does see heavy modules load (sluice/runtime)', async () => {
    const { packages } = await probeImport('./src/runtime/index.ts', 'createSluice');
    expect(packages).toContain('bullmq');
    expect(packages).toContain('ioredis');
    expect(packages).toContain('prom-client');
    expect(packages).toContain('pino');
  });
});
