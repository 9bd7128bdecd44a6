import { afterEach, describe, expect, it, vi } from 'vitest';
import { definePipeline } from '../src/index.js';
import { createSluice } from '../src/runtime/index.js';
import { createProgressServer, type ProgressBody } from '../src/server/index.js';
import { bundledWidgetScript } from '../src/server/widget.js';
import { runAt, SECRET, startTestServer, type TestServer } from './support/progress-server.js';
import { uniquePrefix, withStore } from './support/redis.js';
import { synthetic } from './support/synthetic.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('progress server routes', () => {
  it('GET /healthz is 200 { ok: true } while Redis answers', async () => {
    t = await startTestServer('health');
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('GET /healthz is 503 when Redis is unreachable', async () => {
    // Port 1 refuses connections: the server starts, Redis never becomes ready.
    const pipeline = definePipeline({ id: 'notes', source: synthetic.records({ count: 1, pageSize: 1 }) });
    const sluice = createSluice({ prefix: uniquePrefix('server-down'), redis: 'redis://127.0.0.1:1', pipelines: [pipeline] });
    // ioredis reports each refused connect on console.error; expected here.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const listening = await createProgressServer({ sluice, secret: SECRET }).listen(0);
    try {
      const response = await fetch(`${listening.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: { code: 'redis_unavailable', message: 'Redis did not answer PING' } });
    } finally {
      await listening.close();
      await sluice.close();
      quiet.mockRestore();
    }
  });

  it('GET progress: every run with failures and ETA, and the newest stream id', async () => {
    t = await startTestServer('body');
    const [, second] = await t.publish('pia', 2);
    await withStore(t.sluice.config.prefix!, ({ redis, keys }) =>
      redis.lpush(keys.run('notes', 'pia', 'run-pia').failures, JSON.stringify({ id: 'rec-1', reason: 'map: broken' })),
    );
    const response = await fetch(`${t.url}/v1/users/pia/progress`, { headers: { authorization: `Bearer ${t.token('pia')}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as ProgressBody;
    expect(body).toEqual({
      userId: 'pia',
      lastEventId: second,
      runs: [{ ...runAt('pia', 2), etaSeconds: expect.any(Number), failures: [{ id: 'rec-1', reason: 'map: broken' }] }],
    });
  });

  it('GET progress of a user with no runs: lastEventId null, no runs', async () => {
    t = await startTestServer('none');
    const response = await fetch(`${t.url}/v1/users/quinn/progress?token=${t.token('quinn')}`);
    expect(await response.json()).toEqual({ userId: 'quinn', lastEventId: null, runs: [] });
  });

  it('an unknown route is a JSON 404', async () => {
    t = await startTestServer('404');
    const response = await fetch(`${t.url}/v2/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /v2/nothing' } });
  });

  it('GET /widget/sluice-progress.js is 404 without a widget script and serves it as JavaScript with one', async () => {
    t = await startTestServer('no-widget');
    expect((await fetch(`${t.url}/widget/sluice-progress.js`)).status).toBe(404);
    await t.stop();
    t = await startTestServer('widget', { widgetScript: async () => 'customElements.define("sluice-progress", class extends HTMLElement {});' });
    const response = await fetch(`${t.url}/widget/sluice-progress.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toContain('customElements.define("sluice-progress"');
  });

  it('the bundled widget loader answers 404 while the bundle is absent', async () => {
    t = await startTestServer('widget-missing', { widgetScript: bundledWidgetScript('../widget/not-built-yet.js') });
    const response = await fetch(`${t.url}/widget/sluice-progress.js`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/no widget bundle at .*not-built-yet\.js/);
  });

  it('the bundled widget loader serves src/widget/bundle.js (what `sluice serve` uses)', async () => {
    t = await startTestServer('widget-bundle', { widgetScript: bundledWidgetScript() });
    const response = await fetch(`${t.url}/widget/sluice-progress.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('sluice-progress');
  });

  it('GET / is a demo page with <sluice-progress> for ?user=&token=, attributes escaped', async () => {
    t = await startTestServer('page');
    const token = t.token('rae');
    const response = await fetch(`${t.url}/?user=rae&token=${token}"><script>`);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/widget/sluice-progress.js"></script>');
    expect(html).toContain(`<sluice-progress base-url="${t.url}" user-id="rae" token="${token}&#34;&#62;&#60;script&#62;" heading="rae"></sluice-progress>`);
    expect(await (await fetch(`${t.url}/`)).text()).toContain('sluice token --user');
    // One widget per user=&token= pair: the demo shows several users on one page.
    const two = await (await fetch(`${t.url}/?user=rae&token=${token}&user=sam&token=${t.token('sam')}`)).text();
    expect(two.match(/<sluice-progress /g)).toHaveLength(2);
    expect(two).toContain('user-id="sam"');
  });

  it('CORS: configured origins get the allow headers (Authorization, Last-Event-ID); others get none', async () => {
    t = await startTestServer('cors', { cors: { origins: ['https://app.example.com'] } });
    const preflight = await fetch(`${t.url}/v1/users/sam/progress/stream`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(['authorization', 'last-event-id', 'content-type']);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const allowed = await fetch(`${t.url}/v1/users/sam/progress?token=${t.token('sam')}`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-expose-headers')).toBeNull();
    const other = await fetch(`${t.url}/v1/users/sam/progress?token=${t.token('sam')}`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('without cors options no CORS headers are sent', async () => {
    t = await startTestServer('no-cors');
    const response = await fetch(`${t.url}/healthz`, { headers: { origin: 'https://app.example.com' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
