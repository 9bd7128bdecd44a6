import { InvalidArgumentError, type Command } from 'commander';
import type { LatencySetting } from '../../mock-llm/types.js';
import { positiveInt } from '../options.js';

interface MockLlmCliOptions {
  port: number;
  host: string;
  rpm?: number;
  tpm?: number;
  latency?: LatencySetting;
  faithful: boolean;
  enforcedShare?: number;
  failRate?: number;
  models?: string[];
  apiKey?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got "${value}"`);
  return n;
}

/** "50" (fixed) or "20-80" (spread over the range). */
function latency(value: string): LatencySetting {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`--latency must be milliseconds like 50 or a range like 20-80, got "${value}"`);
  const min = Number(match[1]);
  if (match[2] === undefined) return min;
  const max = Number(match[2]);
  if (max < min) throw new InvalidArgumentError(`--latency range must go from low to high, got "${value}"`);
  return { min, max };
}

function failRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`--fail-rate must be a number from 0 to 1, got "${value}"`);
  return n;
}

function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError(`--enforced-share must be a number above 0, at most 1, got "${value}"`);
  return n;
}

function modelList(value: string): string[] {
  const models = value.split(',').map((model) => model.trim());
  if (models.some((model) => model === '')) throw new InvalidArgumentError(`--models must be model ids separated by commas, got "${value}"`);
  return models;
}

export function registerMockLlm(program: Command): void {
  program
    .command('mock-llm')
    .description('run a local OpenAI-compatible server (chat, embeddings) with real rate limits, until SIGTERM/SIGINT')
    .option('--port <port>', 'port to listen on (0: a free one)', port, 8788)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--rpm <n>', 'requests per minute, per model (default: unlimited)', positiveInt('--rpm'))
    .option('--tpm <n>', 'tokens per minute, per model (default: unlimited)', positiveInt('--tpm'))
    .option('--latency <ms>', 'added to every answer: 50, or a range like 0-200 (100 ± 100 ms)', latency)
    .option('--no-faithful', 'let a whole minute of budget go at once (default: one second\'s share per bucket, as OpenAI)')
    .option('--enforced-share <x>', 'enforce only this share of rpm/tpm while headers claim all of it (a shared key)', share)
    .option('--fail-rate <x>', 'share of requests (0..1) answered 500, spread evenly', failRate)
    .option('--models <a,b>', 'accepted model ids (default: any)', modelList)
    .option('--api-key <key>', 'require this bearer key (401 otherwise)')
    .showHelpAfterError()
    .action(async (options: MockLlmCliOptions) => {
      const { startMockLlm } = await import('../../mock-llm/server.js');
      const mock = await startMockLlm({
        port: options.port,
        host: options.host,
        rpm: options.rpm,
        tpm: options.tpm,
        latencyMs: options.latency,
        faithful: options.faithful,
        enforcedShare: options.enforcedShare,
        failRate: options.failRate,
        models: options.models,
        requireApiKey: options.apiKey,
      });
      // Handlers first, then the readiness line: a signal sent on seeing it must find them installed.
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      console.log(`mock LLM listening on ${mock.url}`);
      const signal = await stopped;
      await mock.close();
      const { requests, ok, rateLimited } = mock.stats();
      console.log(`mock LLM stopped (${signal}): ${requests} requests, ${ok} ok, ${rateLimited} rate-limited`);
    });
}
