import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from './support/redis.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const prefix = uniquePrefix('pack');
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await deletePrefix(prefix);
});

describe('the npm package', () => {
  it('packs, installs in a fresh folder, and runs a TypeScript config with the built bin', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 10e6 });
    const tarball = join(dir, stdout.trim().split('\n').at(-1)!);
    const app = join(dir, 'app');
    await mkdir(join(app, 'docs'), { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
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
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 10e6 });
    const bin = join(app, 'node_modules', '.bin', 'sluice');

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
});
