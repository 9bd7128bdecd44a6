import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { ServerEnv } from './auth.js';
import { HttpError } from './http-error.js';
import type { ResolvedServerOptions } from './options.js';
import { SluiceError } from '../errors/index.js';

/** The widget bundle is not part of this build: GET /widget/sluice-progress.js answers 404. */
export class WidgetMissingError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'widget_missing';
}

/** Next to this folder in both the sources (src/widget) and the build (dist/src/widget). */
const BUNDLE = '../widget/bundle.js';

/**
 * A `widgetScript` for the server that imports the widget bundle on first request. The bundle
 * exports its script source as `widgetScript` (or default): a string, or a function returning one.
 * A build without the bundle still serves everything else.
 */
export function bundledWidgetScript(specifier = BUNDLE, base = import.meta.url): () => Promise<string> {
  let loaded: Promise<string> | undefined;
  return () => (loaded ??= load(specifier, base).catch((error: unknown) => {
    loaded = undefined; // try again next request: the bundle may be built meanwhile
    throw error;
  }));
}

async function load(specifier: string, base: string): Promise<string> {
  const url = new URL(specifier, base).href;
  let module: { widgetScript?: unknown; default?: unknown };
  try {
    module = (await import(url)) as typeof module;
  } catch (error) {
    if (isMissing(error, url)) throw new WidgetMissingError(`no widget bundle at ${fileURLToPath(url)}`);
    throw error;
  }
  const source = module.widgetScript ?? module.default;
  const script = typeof source === 'function' ? await (source as () => unknown)() : source;
  if (typeof script !== 'string') throw new TypeError(`${fileURLToPath(url)} must export widgetScript: a string or () => Promise<string>`);
  return script;
}

/** Only the bundle itself being absent counts; a bundle whose own import fails is a real error. */
function isMissing(error: unknown, url: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_LOAD_URL') return false;
  const path = fileURLToPath(url);
  return !message || message.includes(path) || message.includes(path.replace(/\.js$/, ''));
}

/**
 * GET /widget/sluice-progress.js: the `<sluice-progress>` element, when a script source is
 * configured; GET /: a page of those elements to try the server from a browser.
 */
export function widgetRoutes(app: Hono<ServerEnv>, options: ResolvedServerOptions): void {
  demoPageRoute(app);
  app.get('/widget/sluice-progress.js', async (c) => {
    const load = options.widgetScript;
    if (!load) throw new HttpError(404, 'not_found', 'this server has no widget script');
    let script: string;
    try {
      script = await load();
    } catch (error) {
      if (error instanceof WidgetMissingError) throw new HttpError(404, 'not_found', error.message);
      throw error;
    }
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body(script);
  });
}

/** GET /: a page with a progress widget per ?user=&token= pair, to try the server from a browser. */
function demoPageRoute(app: Hono<ServerEnv>): void {
  app.get('/', (c) => {
    const users = c.req.queries('user') ?? [];
    const tokens = c.req.queries('token') ?? [];
    const baseUrl = new URL(c.req.url).origin;
    const pairs = users.flatMap((user, i) => (user && tokens[i] ? [{ user, token: tokens[i]! }] : []));
    const user = pairs.length === 1 ? pairs[0]!.user : '';
    const body =
      pairs.length > 0
        ? pairs
            .map((p) => `<sluice-progress base-url="${escape(baseUrl)}" user-id="${escape(p.user)}" token="${escape(p.token)}" heading="${escape(p.user)}"></sluice-progress>`)
            .join('\n')
        : `<p>Open <code>/?user=&lt;id&gt;&amp;token=&lt;token&gt;</code>; <code>sluice token --user &lt;id&gt;</code> prints a token.</p>`;
    c.header('cache-control', 'no-store');
    // The token is in the URL: keep it out of Referer headers.
    c.header('referrer-policy', 'no-referrer');
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice progress</title>
<script type="module" src="/widget/sluice-progress.js"></script>
</head>
<body>
<h1>Sluice progress${user ? ` for ${escape(user)}` : ''}</h1>
${body}
</body>
</html>
`);
  });
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
