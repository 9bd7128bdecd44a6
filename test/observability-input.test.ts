import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Sluice } from '../src/runtime/index.js';
import { createLogger } from '../src/runtime/logger.js';
import { createProgressServer } from '../src/server/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sluice(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stderr });
    });
  });
}

describe('bad observability settings are refused, naming what was wrong', () => {
  it('sluice worker --metrics-port out of range', async () => {
    const result = await sluice(['worker', '--metrics-port', '70000', '--config', 'test/fixtures/config/valid.config.ts']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(`error: option '--metrics-port <n>' argument '70000' is invalid. --metrics-port must be 0-65535, got "70000"`);
  });

  it('an unknown SLUICE_LOG_LEVEL', async () => {
    const result = await sluice(['status', '--user', 'u1', '--config', 'test/fixtures/config/valid.config.ts'], { SLUICE_LOG_LEVEL: 'loud' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('sluice: SLUICE_LOG_LEVEL "loud" is not a level: use one of trace, debug, info, warn, error, fatal, silent\n');
    expect(() => createLogger({ SLUICE_LOG_LEVEL: 'verbose' })).toThrow('SLUICE_LOG_LEVEL "verbose" is not a level');
  });

  it('sluice serve --metrics with a short SLUICE_METRICS_TOKEN', async () => {
    const result = await sluice(['serve', '--metrics', '--config', 'test/fixtures/config/valid.config.ts'], { SLUICE_SECRET: 'x'.repeat(40), SLUICE_METRICS_TOKEN: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('sluice: SLUICE_METRICS_TOKEN must be at least 16 bytes, got 3 (make one with: openssl rand -hex 16)\n');
  });

  it('a metrics token too short to guard anything', () => {
    const create = (token: string) => createProgressServer({ sluice: {} as Sluice, secret: 's'.repeat(32), metrics: { token } });
    expect(() => create('short')).toThrow('metrics.token must be at least 16 bytes, got 5 (make one with: openssl rand -hex 16)');
  });
});
