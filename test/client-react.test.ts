import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../src/progress/events.js';
import { createFakeProgressServer, itemFailed, memoryProgress, runEvent, type FakeProgressServer, type MemoryProgress } from './support/sse-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = fileURLToPath(new URL('../', import.meta.url));

// A React 19 app in StrictMode (effects run twice) that prints what the hook returns.
const APP = `
import { createElement as h, StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useOnboardingProgress } from './src/react/index.ts';

function App() {
  const [token, setToken] = useState(window.__token);
  window.__setToken = setToken;
  const progress = useOnboardingProgress({ url: location.origin, userId: 'ada', token });
  const shown = {
    status: progress.status,
    error: progress.error ? progress.error.code : null,
    processed: Object.fromEntries(Object.values(progress.runs).map((r) => [r.runId, r.counts.processed])),
    failures: Object.fromEntries(Object.entries(progress.failures).map(([id, list]) => [id, list.map((f) => f.id)])),
  };
  return h('pre', { id: 'out' }, JSON.stringify(shown));
}
createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
`;

interface Shown {
  status: string;
  error: string | null;
  processed: Record<string, number>;
  failures: Record<string, string[]>;
}

function run(seq: number): RunSnapshot {
  return {
    runId: 'r1', pipeline: 'github', userId: 'ada', status: 'running', startedAt: new Date().toISOString(), seq,
    counts: { discovered: 50, processed: seq, skipped: 0, failed: 0, written: seq, total: 50 },
  };
}

const read = (page: Page) => page.evaluate(() => JSON.parse(document.getElementById('out')?.textContent ?? 'null')) as Promise<Shown | null>;

async function waitForHook(page: Page, expected: Partial<Shown>): Promise<void> {
  try {
    await page.waitForFunction(
      (want) => {
        const shown = JSON.parse(document.getElementById('out')?.textContent ?? 'null') as Record<string, unknown> | null;
        return shown !== null && Object.entries(want).every(([k, v]) => JSON.stringify(shown[k]) === JSON.stringify(v));
      },
      expected,
      { timeout: 20_000 },
    );
  } catch (error) {
    throw new Error(`the hook never returned ${JSON.stringify(expected)}; it returns ${JSON.stringify(await read(page))}`, { cause: error });
  }
}

let browser: Browser;
let script = '';
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  const bundled = await build({
    stdin: { contents: APP, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  script = bundled.outputFiles[0]!.text;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe('useOnboardingProgress in a React app', () => {
  let log: MemoryProgress;
  let server: FakeProgressServer;
  let page: Page;

  async function open(token: string) {
    log = memoryProgress('ada');
    server = await createFakeProgressServer({ source: log.source, token: ['first', 'second'], expiredTokens: ['stale'], retryMs: 50 });
    page = await browser.newPage();
    await page.route(`${server.url}/app`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><div id="root"></div><script>window.__token = ${JSON.stringify(token)}</script><script type="module" src="/app.js"></script>` }),
    );
    await page.route(`${server.url}/app.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: script }));
    await page.goto(`${server.url}/app`);
  }

  afterEach(async () => {
    await page?.close();
    await server?.close();
  });

  it('follows live events, recovers from a dropped stream, and never repeats a failure', async () => {
    await open('first');
    log.append(runEvent('run.started', run(1)));
    await waitForHook(page, { status: 'live', processed: { r1: 1 } });
    log.append(itemFailed(run(1), { id: 'rec-1', reason: 'bad' }));
    log.append(runEvent('run.progress', run(5)));
    await waitForHook(page, { processed: { r1: 5 }, failures: { r1: ['rec-1'] } });

    server.replayOnResume(2); // the resumed stream repeats the failure: the hook must not
    await server.dropStreams();
    log.append(runEvent('run.progress', run(9)));
    await waitForHook(page, { status: 'live', processed: { r1: 9 }, failures: { r1: ['rec-1'] } });
    expect(server.requests.at(-1)!.lastEventId).toBeDefined();
  });

  it('resumes from the last event on a new token instead of starting over', async () => {
    await open('first');
    log.append(runEvent('run.started', run(1)));
    await waitForHook(page, { status: 'live', processed: { r1: 1 } });
    const snapshots = server.requests.filter((r) => r.lastEventId === undefined).length;

    await page.evaluate(() => (window as unknown as { __setToken(t: string): void }).__setToken('second'));
    await server.waitForRequests(server.requests.length + 1);
    log.append(runEvent('run.progress', run(2)));
    await waitForHook(page, { status: 'live', processed: { r1: 2 } });
    expect(server.requests.at(-1)).toMatchObject({ authorization: 'Bearer second', lastEventId: log.entries[0]!.id });
    expect(server.requests.filter((r) => r.lastEventId === undefined)).toHaveLength(snapshots);
  });

  it('reports a refused token as an error and stops', async () => {
    await open('stale');
    await waitForHook(page, { status: 'error', error: 'token_expired' });
    expect(server.requests.every((r) => r.authorization === 'Bearer stale')).toBe(true);
  });
});
