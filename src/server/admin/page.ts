import type { Hono } from 'hono';
import { ADMIN_SCRIPT } from './script.js';

/**
 * The page holds no data: it is the same for everyone, and its script fetches everything with the
 * admin token. The CSP allows only this origin's script and styles, so even a value that slipped
 * through as markup could not run code.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sluice admin</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/admin.css">
<script src="/admin/admin.js" defer></script>
</head>
<body data-state="loading">
<header><h1>Sluice admin</h1><span id="updated"></span></header>
<section id="login" hidden>
  <form id="login-form">
    <label for="token-input">Admin token</label>
    <input id="token-input" type="password" autocomplete="off" placeholder="sluice token --admin">
    <button type="submit">Open</button>
  </form>
  <p id="login-message" role="alert"></p>
</section>
<main id="main" hidden>
  <p id="notice" role="status"></p>
  <section>
    <h2>Runs</h2>
    <p><span id="runs-summary"></span> <button type="button" id="first-page">First page</button> <button type="button" id="next-page">Next page</button> <button type="button" id="logout">Sign out</button></p>
    <table>
      <thead><tr><th>User</th><th>Pipeline</th><th>Run</th><th>Status</th><th>Done</th><th>Failed</th><th>Age</th><th>Waiting / error</th><th></th></tr></thead>
      <tbody id="runs-body"></tbody>
    </table>
  </section>
  <section><h2>Waits</h2><ul id="waits"></ul></section>
  <section><h2>Failed items</h2><ul id="failures"></ul></section>
  <section>
    <h2>Queues</h2>
    <table>
      <thead><tr><th>Queue</th><th>Pipelines</th><th>Waiting</th><th>Prioritized</th><th>Active</th><th>Delayed</th><th>Failed</th><th>Completed</th></tr></thead>
      <tbody id="queues-body"></tbody>
    </table>
  </section>
  <section>
    <h2>Limiters</h2>
    <table>
      <thead><tr><th>Key</th><th>Configured</th><th>Advertised</th><th>Learned</th><th>Budget now</th><th>State</th><th>Waiters</th></tr></thead>
      <tbody id="limiters-body"></tbody>
    </table>
    <p id="limiters-more" hidden>The listing stopped before it covered every key: more limiter keys may exist.</p>
  </section>
</main>
</body>
</html>
`;

const STYLES = `body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #1b1f24; }
header { display: flex; align-items: baseline; gap: 1rem; }
#updated { color: #57606a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
td.num { text-align: right; }
.mono { font-family: ui-monospace, monospace; font-size: 12px; }
.detail { max-width: 32rem; overflow-wrap: anywhere; white-space: pre-wrap; }
.status-running { color: #0969da; } .status-completed { color: #1a7f37; } .status-failed { color: #cf222e; } .status-cancelled { color: #6e7781; }
#notice[data-kind=error], #login-message { color: #cf222e; }
#notice[data-kind=ok] { color: #1a7f37; }
.empty { color: #57606a; }
li { overflow-wrap: anywhere; }
`;

/** GET /admin, /admin/admin.js and /admin/admin.css: open to anyone, they carry no data. */
export function adminPageRoutes(app: Hono<any>): void {
  app.get('/admin', (c) => {
    c.header('content-security-policy', CSP);
    c.header('referrer-policy', 'no-referrer');
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', 'no-cache');
    return c.html(PAGE);
  });
  app.get('/admin/admin.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', 'no-cache');
    return c.body(ADMIN_SCRIPT);
  });
  app.get('/admin/admin.css', (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', 'no-cache');
    return c.body(STYLES);
  });
}
