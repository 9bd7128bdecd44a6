import type { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';

/** GET /: a page with a progress widget per ?user=&token= pair, to try the server from a browser. */
export function demoPageRoute(app: Hono<ServerEnv>, _context: ServerContext): void {
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
