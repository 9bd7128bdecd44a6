import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../src/index.js';
import { createSluice, type StateLoss } from '../src/runtime/index.js';
import { createProgressServer, createProgressToken } from '../src/server/index.js';
import { widgetScript } from '../src/widget/bundle.js';
import { uniquePrefix } from './support/redis.js';
import { startRedisServer, type RedisServerProcess } from './support/redis-server.js';
import { synthetic } from './support/synthetic.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'widget-test-secret-of-at-least-32-bytes';

let browser: Browser;
let redis: RedisServerProcess;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  redis = await startRedisServer();
});
afterAll(async () => {
  await browser?.close();
  await redis?.stop();
});

/** What the widget shows, through its shadow root. */
const READ = `(() => {
  const host = document.querySelector('sluice-progress');
  const root = host && host.shadowRoot;
  if (!root) return null;
  const text = (selector) => (root.querySelector(selector)?.textContent ?? '').trim();
  return { state: host.dataset.state, connection: text('.connection'), footer: text('.footer'), announced: text('[role=status]'), runs: root.querySelectorAll('li.run, .runs > li').length };
})()`;

describe('<sluice-progress> when the server loses its Redis state', () => {
  it('says "sync interrupted, restarting" and starts over from the fresh (empty) state', async () => {
    const sluice = createSluice({ prefix: uniquePrefix('widget-lost'), redis: redis.url, pipelines: [definePipeline({ id: 'onboarding', source: synthetic.records({ count: 5, pageSize: 5 }) })] });
    const listening = await createProgressServer({ sluice, secret: SECRET, widgetScript }).listen(0);
    const page = await browser.newPage();
    try {
      // No worker: the run stays running until Redis forgets it.
      await sluice.startRun('onboarding', { userId: 'wes' });
      await page.route(`${listening.url}/test-page`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title><script type="module" src="/widget/sluice-progress.js"></script></head>
<body><sluice-progress user-id="wes" token="${createProgressToken({ userId: 'wes', secret: SECRET })}"></sluice-progress></body></html>`,
        }),
      );
      await page.goto(`${listening.url}/test-page`);
      await page.waitForFunction(`(${READ})?.state === 'running' && (${READ})?.connection === 'Live'`, undefined, { timeout: 30_000 });

      // Every text the connection line and the live region show from now on, however briefly.
      await page.evaluate(`(() => {
        const root = document.querySelector('sluice-progress').shadowRoot;
        window.__shown = [];
        const note = () => window.__shown.push(root.querySelector('.connection').textContent, root.querySelector('[role=status]').textContent);
        new MutationObserver(note).observe(root, { subtree: true, childList: true, characterData: true });
      })()`);
      const lost = new Promise<StateLoss>((resolve) => sluice.onStateLost(resolve));
      await redis.restartEmpty();
      await lost;
      // Said on the connection line and announced, then the fresh snapshot (no runs) replaces the old state.
      await page.waitForFunction(`(${READ})?.state === 'idle' && (${READ})?.connection === 'Live'`, undefined, { timeout: 30_000 });
      const shown = (await page.evaluate('window.__shown')) as string[];
      expect(shown).toContain('Sync interrupted, restarting…');
      expect(shown).toContain('Sync interrupted, restarting.');
      expect(await page.evaluate(READ)).toMatchObject({ footer: 'Nothing to import yet.', runs: 0 });
    } finally {
      await page.close();
      await listening.close();
      await sluice.close();
    }
  });
});
