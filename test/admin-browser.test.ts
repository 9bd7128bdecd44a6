import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_REASON, startAdminFixture, type AdminFixture } from './support/admin-server.js';
import { withStore } from './support/redis.js';
import { waitForRun } from './support/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let f: AdminFixture;
let browser: Browser;
beforeAll(async () => {
  f = await startAdminFixture('browser');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await f?.stop();
});

/** A page that records script errors and console errors (a CSP violation is one). */
async function openPage(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  const response = await page.goto(`${f.url}${path}`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  return { page, problems };
}

const rowSelector = (runId: string, status?: string) => `tr[data-run-id="${runId}"]${status ? `[data-status="${status}"]` : ''}`;

describe('the admin page in Chromium', () => {
  it('shows runs of two users, failed items as text, and cancels a run', async () => {
    const alice = await f.sluice.startRun('notes', { userId: 'alice' });
    expect((await waitForRun(f.sluice, 'alice', alice.runId)).counts.failed).toBe(3);
    const bob = await f.sluice.startRun('held', { userId: 'bob' });
    // A snapshot as hostile as Redis can hold: markup in the run id, the pipeline and the error.
    const evil = { runId: '<b>evil</b>', pipeline: '<i>p</i>', userId: 'mallory', status: 'failed', seq: 1, startedAt: new Date().toISOString(), error: HOSTILE_REASON, counts: { discovered: 0, processed: 0, skipped: 0, failed: 0, written: 0 } };
    await withStore(f.prefix, ({ redis, keys }) => redis.hset(keys.progress('mallory').snapshot, evil.runId, JSON.stringify(evil)));

    const { page, problems } = await openPage(`/admin#token=${f.adminToken}`);
    try {
      await page.waitForSelector(rowSelector(alice.runId, 'completed'), { timeout: 30_000 });
      await page.waitForSelector(rowSelector(bob.runId, 'running'), { timeout: 30_000 });
      // The token left the address bar for sessionStorage.
      expect(new URL(page.url()).hash).toBe('');
      await page.waitForSelector(rowSelector(evil.runId, 'failed'), { timeout: 30_000 });
      const rows = await page.$$eval('#runs-body tr[data-run-id]', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.userId, tr.querySelector('td:nth-child(2)')!.textContent]));
      expect(rows.map((r) => r.join('/')).sort()).toEqual(['alice/notes', 'bob/held', 'mallory/<i>p</i>']);
      const evilRow = await page.$$eval(`${rowSelector(evil.runId)} td`, (tds) => tds.map((td) => td.textContent));
      expect(evilRow.slice(0, 4)).toEqual(['mallory', '<i>p</i>', '<b>evil</b>', 'failed']);
      expect(evilRow[7]).toBe(`error: ${HOSTILE_REASON}`);
      expect(await page.$$('#runs-body b, #runs-body i')).toHaveLength(0);

      // The hostile failure reason is shown as text: no <img> was made, its onerror never ran.
      const failure = await page.textContent('#failures li[data-item-id="rec-000001"]');
      expect(failure).toBe(`rec-000001: ${HOSTILE_REASON}`);
      expect(await page.$$('#failures img, #runs-body img')).toHaveLength(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      // Alice's run completed with failed items: it offers retry, not cancel; bob's offers cancel.
      expect(await page.$$eval(`${rowSelector(alice.runId)} button`, (bs) => bs.map((b) => (b as HTMLElement).dataset.action))).toEqual(['retry']);

      await page.click(`${rowSelector(bob.runId)} button[data-action="cancel"]`);
      await page.waitForSelector(rowSelector(bob.runId, 'cancelled'), { timeout: 30_000 });
      expect(await page.textContent('#notice')).toBe(`Cancelled run ${bob.runId} of bob.`);
      expect((await f.sluice.findRun('bob', bob.runId))?.status).toBe('cancelled');
      expect(await page.$$(`${rowSelector(bob.runId)} button[data-action="cancel"]`)).toHaveLength(0);
      // The queue table lists the config's queues.
      expect(await page.$$eval('#queues-body tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.queue).sort())).toEqual(['default', 'idle-q']);
      // The page refreshes by itself: a run started elsewhere shows up without a click.
      const carol = await f.sluice.startRun('notes', { userId: 'carol' });
      await waitForRun(f.sluice, 'carol', carol.runId);
      await page.waitForSelector(rowSelector(carol.runId, 'completed'), { timeout: 30_000 });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('asks for a token, and says why a user token is refused', async () => {
    const { page } = await openPage('/admin');
    try {
      await page.waitForSelector('#login:not([hidden])');
      await page.fill('#token-input', f.userToken('alice'));
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('body[data-state="refused"]');
      expect(await page.textContent('#login-message')).toBe("Token refused: this is a user's progress token; admin routes need an admin token (sluice token --admin)");
      expect(await page.isHidden('#main')).toBe(true);

      await page.fill('#token-input', f.adminToken);
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('body[data-state="live"]');
      expect(await page.isVisible('#main')).toBe(true);
    } finally {
      await page.close();
    }
  });
});
