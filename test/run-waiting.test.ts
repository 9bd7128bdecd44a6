import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { renderRunLine } from '../src/cli/progress-bars.js';
import { formatWaiting } from '../src/client/format.js';
import { widgetScript } from '../src/widget/bundle.js';
import { defineConfig, definePipeline, SourceRateLimitError, type RunSnapshot } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import type { ProgressBody } from '../src/server/index.js';
import { runAt, startTestServer, type TestServer } from './support/progress-server.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let server: TestServer | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  await server?.stop();
  server = undefined;
  if (prefix) await deletePrefix(prefix);
  prefix = '';
});

/** The first run event of `runId` after `after` that `match` accepts, following the stream (no sleeps). */
async function nextRun(s: Sluice, userId: string, runId: string, match: (run: RunSnapshot) => boolean, after?: string): Promise<{ run: RunSnapshot; id: string }> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const event of await s.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if ('run' in event && event.runId === runId && match(event.run)) return { run: event.run, id: event.id };
    }
  }
  throw new Error(`no matching event for run ${runId}`);
}

describe('progress says what a run waits on', () => {
  it('a source rate limit shows `waiting` with its reset time, and clears once work moves on after it', async () => {
    prefix = uniquePrefix('waiting');
    const base = synthetic.records({ count: 20, pageSize: 10 });
    let limited = false;
    let release!: () => void;
    const secondPage = new Promise<void>((resolve) => (release = resolve));
    const source: typeof base = {
      ...base,
      async read(context, cursor) {
        if (cursor === undefined && !limited) {
          limited = true;
          throw new SourceRateLimitError('synthetic: rate limit exceeded', 'synthetic', 1000);
        }
        // Held until the test has seen the wait cleared, so the run is still running when it looks.
        if (cursor !== undefined) await secondPage;
        return base.read(context, cursor);
      },
    };
    const pipeline = definePipeline({ id: 'limited', source, sharding: { batchSize: 10 } });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    sluice.startWorker({ concurrency: 2 });
    const before = Date.now();
    const { runId } = await sluice.startRun('limited', { userId: 'w1' });

    const waiting = await nextRun(sluice, 'w1', runId, (run) => run.waiting !== undefined);
    expect(waiting.run.waiting).toMatchObject({ on: 'synthetic', reason: 'rate limit' });
    const until = Date.parse(waiting.run.waiting!.until);
    expect(until).toBeGreaterThanOrEqual(before + 1000);
    expect(until).toBeLessThan(Date.now() + 1500);
    expect(renderRunLine(waiting.run)).toContain('waiting: synthetic rate limit until ');

    const cleared = await nextRun(sluice, 'w1', runId, (run) => run.waiting === undefined, waiting.id);
    expect(cleared.run.status).toBe('running');
    expect(cleared.run.counts.discovered).toBe(10);
    release();
    expect((await waitForRun(sluice, 'w1', runId)).status).toBe('completed');
  });

  it('formats the wait with its end in local time, and without it once past or unknown', () => {
    const until = '2026-01-05T14:05:00.000Z';
    expect(formatWaiting({ on: 'github', reason: 'rate limit', until }, Date.parse('2026-01-05T13:00:00Z'), 'UTC')).toBe('waiting: github rate limit until 14:05');
    expect(formatWaiting({ on: 'openai:gpt-4o-mini', reason: 'budget', until }, Date.parse('2026-01-05T14:04:00Z'), 'UTC')).toBe(
      'waiting: openai:gpt-4o-mini budget until 14:05',
    );
    expect(formatWaiting({ on: 'openai:gpt-4o-mini', reason: 'provider unavailable', until }, Date.parse('2026-01-05T15:00:00Z'))).toBe(
      'waiting: openai:gpt-4o-mini provider unavailable',
    );
  });

  it('the snapshot and the SSE stream carry the wait, and the widget shows it', async () => {
    const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}`);
    server = await startTestServer('waiting', { widgetScript });
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const run: RunSnapshot = { ...runAt('ada', 2), waiting: { on: 'github', reason: 'rate limit', until } };
    await server.publisher.publishRun('run.progress', run);
    const headers = { authorization: `Bearer ${server.token('ada')}` };

    const body = (await (await fetch(`${server.url}/v1/users/ada/progress`, { headers })).json()) as ProgressBody;
    expect(body.runs[0]?.waiting).toEqual(run.waiting);
    const stream = await fetch(`${server.url}/v1/users/ada/progress/stream`, { headers });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('"waiting"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain(`"waiting":{"on":"github","reason":"rate limit","until":"${until}"}`);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.route(`${server.url}/test-page`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title>
<script type="module" src="/widget/sluice-progress.js"></script></head>
<body><sluice-progress user-id="ada" token="${server!.token('ada')}"></sluice-progress></body></html>`,
        }),
      );
      await page.goto(`${server.url}/test-page`);
      const expected = formatWaiting(run.waiting!, Date.now(), await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone));
      const shown = `(() => document.querySelector('sluice-progress')?.shadowRoot?.querySelector('.summary')?.textContent ?? '')()`;
      try {
        await page.waitForFunction(`${shown}.includes(${JSON.stringify(expected)})`, undefined, { timeout: 30_000 });
      } catch (error) {
        throw new Error(`the widget shows ${JSON.stringify(await page.evaluate(shown))}, not ${expected}`, { cause: error });
      }
      expect(expected).toMatch(/^waiting: github rate limit until \d\d:\d\d$/);
    } finally {
      await browser.close();
    }
  });
});
