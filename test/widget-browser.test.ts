import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { widgetScript } from '../src/widget/bundle.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { createFakeProgressServer, redisProgress } from './support/sse-server.js';
import { synthetic } from './support/synthetic.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const USER = 'widget-user';
const RECORDS = 40;
const HOSTILE = '<img src=x onerror="window.__pwned = true">';
// The real server when it is in this checkout (it is the contract's owner); the fake one as well, so both stay honest.
const SERVERS = existsSync(new URL('../src/server/index.ts', import.meta.url)) ? (['real', 'fake'] as const) : (['fake'] as const);

/**
 * Holds every record until the test releases it: the run advances exactly as far as the test says,
 * so "reload mid-run" and "restart mid-run" happen mid-run by construction, not by timing.
 */
function createGate() {
  let released = 0;
  const waiting: { n: number; go: () => void }[] = [];
  return {
    wait: (n: number) => (n < released ? undefined : new Promise<void>((go) => waiting.push({ n, go }))),
    release(upTo: number) {
      released = upTo;
      const still = waiting.splice(0).filter((w) => w.n >= upTo || (w.go(), false));
      waiting.push(...still);
    },
  };
}

interface Harness {
  url: string;
  token: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function serve(kind: 'real' | 'fake', sluice: Sluice): Promise<Harness> {
  let port = 0;
  if (kind === 'fake') {
    const fake = await createFakeProgressServer({ source: redisProgress(sluice), token: 'secret', widgetScript });
    return { url: fake.url, token: 'secret', stop: () => fake.close(), start: () => fake.listen() };
  }
  const { createProgressServer } = await import('../src/server/index.js');
  const { createProgressToken } = await import('../src/auth/index.js');
  const secret = 'widget-test-secret-of-at-least-32-bytes';
  let stop: () => Promise<void> = async () => undefined;
  let url = '';
  // A restart is a new instance on the same port, as after a deploy.
  const start = async () => {
    const listening = await createProgressServer({ sluice, secret, widgetScript }).listen(port);
    url = listening.url;
    port = Number(new URL(url).port);
    stop = () => listening.close();
  };
  await start();
  return { url, token: createProgressToken({ userId: USER, secret }), stop: () => stop(), start };
}

/** What the widget shows, read in the page (through its shadow root, as a user would see it). */
interface Shown {
  state: string | undefined;
  valueNow: string | null;
  valueMax: string | null;
  label: string | null;
  summary: string;
  connection: string;
  footer: string;
  announced: string;
  failureIds: string[];
}

const READ = `(() => {
  const host = document.querySelector('sluice-progress');
  const root = host && host.shadowRoot;
  if (!root) return null;
  const bar = root.querySelector('[role=progressbar]');
  const text = (selector) => (root.querySelector(selector)?.textContent ?? '').trim();
  return {
    state: host.dataset.state,
    valueNow: bar && bar.getAttribute('aria-valuenow'),
    valueMax: bar && bar.getAttribute('aria-valuemax'),
    label: bar && bar.getAttribute('aria-label'),
    summary: text('.summary'),
    connection: text('.connection'),
    footer: text('.footer'),
    announced: text('[role=status]'),
    failureIds: [...root.querySelectorAll('li[data-item-id]')].map((li) => li.dataset.itemId).sort(),
  };
})()`;

const read = (page: Page) => page.evaluate(READ) as Promise<Shown>;

/** Waits (polling in the page) until the widget shows every expected field; says what it showed otherwise. */
async function waitForWidget(page: Page, expected: Partial<Shown>): Promise<Shown> {
  const matches = `((shown, expected) => shown !== null && Object.entries(expected).every(([k, v]) => JSON.stringify(shown[k]) === JSON.stringify(v)))`;
  try {
    await page.waitForFunction(`${matches}(${READ}, ${JSON.stringify(expected)})`, undefined, { timeout: 30_000 });
  } catch (error) {
    throw new Error(`the widget never showed ${JSON.stringify(expected)}; it shows ${JSON.stringify(await read(page).catch(() => null))}`, { cause: error });
  }
  return read(page);
}

const failureIds = (upTo: number) =>
  Array.from({ length: RECORDS }, (_, n) => n)
    .filter((n) => n < upTo && n % 10 === 3)
    .map((n) => `rec-${String(n).padStart(6, '0')}`);

/** Follows the user's progress stream in Redis until the run has done `count` records (no polling sleeps). */
async function recordsDone(sluice: Sluice, count: number): Promise<void> {
  let after: string | undefined;
  for (;;) {
    for (const event of await sluice.events(USER, { after, blockMs: 1000 })) {
      after = event.id;
      if ('run' in event && event.run.counts.processed + event.run.counts.failed >= count) return;
    }
  }
}

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe.each(SERVERS)('<sluice-progress> in Chromium, against the %s server', (kind) => {
  const gate = createGate();
  const prefix = uniquePrefix(`widget-${kind}`);
  const pageErrors: string[] = [];
  let sluice: Sluice;
  let server: Harness;
  let page: Page;

  beforeAll(async () => {
    const pipeline = definePipeline({
      id: 'onboarding',
      source: synthetic.records({ count: RECORDS, pageSize: 10 }),
      sharding: { batchSize: 5 },
      steps: (records) =>
        records.map(async (record) => {
          await gate.wait(record.n);
          if (record.n % 10 === 3) throw new Error(`${HOSTILE} in record ${record.n}`);
          return record;
        }),
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 50 } }));
    sluice.startWorker({ concurrency: 4 });
    server = await serve(kind, sluice);
    await sluice.startRun('onboarding', { userId: USER });

    page = await browser.newPage({ viewport: { width: 640, height: 640 }, reducedMotion: 'reduce' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The page comes from the server's origin (as the server's own pages would), so no CORS is involved.
    await page.route(`${server.url}/test-page`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title>
<script type="module" src="/widget/sluice-progress.js"></script>
<style>body { margin: 24px; font-family: sans-serif; } sluice-progress { --sluice-accent: #6d28d9; max-width: 520px; }</style>
</head><body><sluice-progress user-id="${USER}" token="${server.token}"></sluice-progress></body></html>`,
      }),
    );
    await page.goto(`${server.url}/test-page`);
  });

  afterAll(async () => {
    gate.release(Number.POSITIVE_INFINITY);
    await page?.close();
    await server?.stop();
    await sluice?.close();
    await deletePrefix(prefix);
  });

  it('shows the run live: bar, counts, ETA and failures follow the records processed, in the page theme', async () => {
    await waitForWidget(page, { state: 'running', valueNow: '0', valueMax: '40', label: 'onboarding progress' });
    gate.release(10);
    const shown = await waitForWidget(page, { valueNow: '10', failureIds: failureIds(10), connection: 'Live' });
    expect(shown.summary).toMatch(/^10 of 40 items · 1 failed · (less than a minute|about \d+ min) left$/);
    gate.release(20);
    await waitForWidget(page, { valueNow: '20', failureIds: failureIds(20) });
    const fill = await page.evaluate(() => getComputedStyle(document.querySelector('sluice-progress')!.shadowRoot!.querySelector('.fill')!).backgroundColor);
    expect(fill).toBe('rgb(109, 40, 217)'); // --sluice-accent from the page
  });

  it('lists failure reasons as text behind a keyboard-operable details toggle', async () => {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.querySelector('sluice-progress')!.shadowRoot!.activeElement?.className);
    expect(focused).toBe('toggle');
    await page.keyboard.press('Enter');
    const details = await page.evaluate(() => {
      const root = document.querySelector('sluice-progress')!.shadowRoot!;
      const toggle = root.querySelector('button.toggle')!;
      return {
        expanded: toggle.getAttribute('aria-expanded'),
        panelHidden: root.getElementById(toggle.getAttribute('aria-controls')!)!.hidden,
        reasons: [...root.querySelectorAll('li[data-item-id] .reason')].map((r) => r.textContent),
        images: root.querySelectorAll('img').length,
        pwned: (window as unknown as { __pwned?: boolean }).__pwned ?? false,
      };
    });
    expect(details).toMatchObject({ expanded: 'true', panelHidden: false, images: 0, pwned: false });
    expect(details.reasons).toContain(`map: ${HOSTILE} in record 3`);
  });

  it('resumes after a page reload mid-run with the right counts and no duplicated failure rows', async () => {
    await page.reload();
    await waitForWidget(page, { state: 'running', valueNow: '20', failureIds: failureIds(20) });
    gate.release(30);
    await waitForWidget(page, { valueNow: '30', failureIds: failureIds(30) });
  });

  it('recovers when the server restarts mid-run, picking up what happened while it was down', async () => {
    await server.stop();
    await waitForWidget(page, { connection: 'Reconnecting…', announced: 'Connection lost. Reconnecting.' });
    gate.release(35);
    await recordsDone(sluice, 35); // the work happens while no server is up: the widget must catch up from its last event id
    await server.start();
    await waitForWidget(page, { connection: 'Live', valueNow: '35', failureIds: failureIds(35) });
    expect((await read(page)).announced).toContain('Reconnected.');
  });

  it('shows the finished state when the run completes', async () => {
    gate.release(RECORDS);
    const shown = await waitForWidget(page, { state: 'completed', footer: 'All done', valueNow: '40', failureIds: failureIds(40) });
    expect(shown.summary).toBe('40 of 40 items · 4 failed · done');
    await page.locator('sluice-progress button.toggle').click(); // the screenshot shows the failed items too
    await mkdir('test-output', { recursive: true });
    await page.locator('sluice-progress').screenshot({ path: `test-output/widget${kind === 'real' ? '' : '-fake'}.png` });
    expect(pageErrors).toEqual([]);
  });

  it('says so, and stops, when its token is refused', async () => {
    await page.evaluate(() => ((document.querySelector('sluice-progress') as HTMLElement & { token: string }).token = 'v1.not.valid'));
    const shown = await waitForWidget(page, { state: 'error', connection: 'Not connected' });
    expect(shown.footer).toBe('You are not signed in, so progress cannot be shown.');
    expect(shown.announced).toBe(shown.footer);
  });
});
