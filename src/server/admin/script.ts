/**
 * The admin page's script, served as /admin/admin.js. Plain browser JavaScript (no framework, no
 * bundling): it reads the JSON API with the admin token and rebuilds the tables every few seconds.
 * Every value from the API is put into the page as text (createElement, append of strings), never
 * as markup: run ids, user ids, error messages and failure reasons come from Redis and are hostile.
 */
export const ADMIN_SCRIPT = String.raw`'use strict';
(() => {
  const TOKEN_KEY = 'sluice-admin-token';
  const REFRESH_MS = Number(document.body.dataset.refreshMs) || 2000;
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  // A token in the fragment (#token=...) never reaches the server or a Referer header; it is moved to
  // sessionStorage and removed from the address bar.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    token = fragment.get('token');
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  let cursor = null;
  let nextCursor = null;
  let timer = null;

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'onclick') node.addEventListener('click', value);
      else if (name === 'class') node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, method) {
    const response = await fetch(path, { method: method || 'GET', headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = (body && body.error) || {};
      throw new ApiError(response.status, String(error.code || 'http_' + response.status), String(error.message || response.statusText));
    }
    return body;
  }

  const duration = (seconds) => {
    const s = Math.max(0, Math.round(Number(seconds) || 0));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  };
  const time = (iso) => {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString();
  };
  const progress = (run) => {
    const c = run.counts || {};
    const done = (Number(c.processed) || 0) + (Number(c.skipped) || 0) + (Number(c.failed) || 0);
    return c.total !== undefined ? done + ' / ' + c.total : done + ' (of ' + (Number(c.discovered) || 0) + ' listed)';
  };
  const retryable = (run) => run.status === 'failed' || run.status === 'cancelled' || (run.status === 'completed' && Number(run.counts && run.counts.failed) > 0);

  function runRow(run) {
    const actions = el('td', { class: 'actions' });
    if (run.status === 'running') actions.append(el('button', { type: 'button', 'data-action': 'cancel', onclick: () => act('cancel', run) }, 'Cancel'));
    if (retryable(run)) actions.append(el('button', { type: 'button', 'data-action': 'retry', onclick: () => act('retry', run) }, 'Retry'));
    const waiting = run.waiting ? 'waiting on ' + run.waiting.on + ' (' + run.waiting.reason + ') until ' + time(run.waiting.until) : '';
    return el(
      'tr',
      { 'data-run-id': run.runId, 'data-user-id': run.userId, 'data-status': run.status },
      el('td', {}, run.userId),
      el('td', {}, run.pipeline),
      el('td', { class: 'mono' }, run.runId),
      el('td', { class: 'status status-' + String(run.status).replace(/[^a-z]/g, '') }, run.status),
      el('td', {}, progress(run)),
      el('td', {}, String((run.counts && run.counts.failed) || 0)),
      el('td', { title: 'started ' + run.startedAt }, duration(run.ageSeconds)),
      el('td', { class: 'detail' }, run.error ? 'error: ' + run.error : waiting),
      actions,
    );
  }

  function renderRuns(page) {
    nextCursor = page.cursor;
    $('runs-body').replaceChildren(...(page.runs.length ? page.runs.map(runRow) : [el('tr', {}, el('td', { colspan: 9, class: 'empty' }, 'No runs on this page.'))]));
    $('runs-summary').textContent = page.runs.length + ' runs of ' + page.users + ' users' + (page.unreadable ? ', ' + page.unreadable + ' unreadable entries skipped' : '') + (cursor ? ' (a later page)' : '');
    $('next-page').disabled = !nextCursor;
    $('first-page').disabled = !cursor;
    const failing = page.runs.filter((run) => run.recentFailures && run.recentFailures.length);
    $('failures').replaceChildren(
      ...(failing.length
        ? failing.map((run) =>
            el('li', { 'data-run-id': run.runId },
              el('strong', {}, run.userId + ' · ' + run.pipeline + ' · ' + run.runId + ' (' + run.counts.failed + ' failed)'),
              el('ul', {}, run.recentFailures.map((f) => el('li', { 'data-item-id': f.id }, el('span', { class: 'mono' }, f.id), ': ', f.reason))),
            ),
          )
        : [el('li', { class: 'empty' }, 'No failed items on this page.')]),
    );
  }

  function renderWaits(page) {
    $('waits').replaceChildren(
      ...(page.runs.length
        ? page.runs.map((run) => el('li', { 'data-run-id': run.runId }, run.userId + ' · ' + run.pipeline + ' · ' + run.runId + ': waiting on ' + run.waiting.on + ' (' + run.waiting.reason + ') until ' + time(run.waiting.until)))
        : [el('li', { class: 'empty' }, 'No run is waiting.')]),
    );
  }

  function renderQueues(body) {
    $('queues-body').replaceChildren(
      ...body.queues.map((q) =>
        el('tr', { 'data-queue': q.name }, el('td', { class: 'mono' }, q.name), el('td', {}, q.pipelines.join(', ')),
          ...['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'].map((k) => el('td', { class: 'num' }, String(q.counts[k])))),
      ),
    );
  }

  function renderLimiters(body) {
    const pair = (o) => [o && o.rpm !== undefined ? o.rpm + ' rpm' : '', o && o.tpm !== undefined ? o.tpm + ' tpm' : ''].filter(Boolean).join(', ') || '—';
    const budget = (b) => [b.requests !== undefined ? b.requests + ' req' : '', b.tokens !== undefined ? b.tokens + ' tok' : ''].filter(Boolean).join(', ') || '—';
    const state = (l) => [l.pausedUntil ? 'paused until ' + time(l.pausedUntil) : '', l.circuitOpenUntil ? 'circuit open until ' + time(l.circuitOpenUntil) : '', l.consecutiveFailures ? l.consecutiveFailures + ' failures' : ''].filter(Boolean).join('; ') || 'ok';
    $('limiters-body').replaceChildren(
      ...(body.limiters.length
        ? body.limiters.map((l) =>
            el('tr', { 'data-limiter': l.key }, el('td', { class: 'mono' }, l.key), el('td', {}, pair(l.configured)), el('td', {}, pair(l.advertised)), el('td', {}, pair(l.learned)),
              el('td', {}, budget(l.budget)), el('td', {}, state(l)), el('td', { class: 'num' }, String(l.waiters))),
          )
        : [el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No limiter keys.'))]),
    );
    $('limiters-more').hidden = !body.truncated;
  }

  function notice(text, kind) {
    const box = $('notice');
    box.textContent = text;
    box.dataset.kind = kind || 'info';
  }

  function showLogin(message) {
    $('login').hidden = false;
    $('main').hidden = true;
    $('login-message').textContent = message || '';
  }

  async function act(action, run) {
    try {
      const body = await api('/admin/api/users/' + encodeURIComponent(run.userId) + '/runs/' + encodeURIComponent(run.runId) + '/' + action, 'POST');
      notice(action === 'cancel' ? 'Cancelled run ' + run.runId + ' of ' + run.userId + '.' : 'Retrying run ' + run.runId + ' of ' + run.userId + ' as run ' + body.runId + '.', 'ok');
    } catch (error) {
      notice('Could not ' + action + ' run ' + run.runId + ': ' + error.message, 'error');
    }
    await refresh();
  }

  async function refresh() {
    clearTimeout(timer);
    if (!token) return showLogin('');
    try {
      const page = cursor ? '&cursor=' + encodeURIComponent(cursor) : '';
      const [runs, waits, queues, limiters] = await Promise.all([
        api('/admin/api/runs?users=50' + page),
        api('/admin/api/runs?waiting=true&users=200'),
        api('/admin/api/queues'),
        api('/admin/api/limiters'),
      ]);
      renderRuns(runs);
      renderWaits(waits);
      renderQueues(queues);
      renderLimiters(limiters);
      $('login').hidden = true;
      $('main').hidden = false;
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      document.body.dataset.state = 'live';
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        token = '';
        sessionStorage.removeItem(TOKEN_KEY);
        document.body.dataset.state = 'refused';
        return showLogin('Token refused: ' + error.message);
      }
      document.body.dataset.state = 'error';
      $('updated').textContent = 'Refresh failed: ' + error.message;
    }
    // A hidden tab stops polling (each refresh SCANs Redis); it refreshes again once shown.
    if (!document.hidden) timer = setTimeout(refresh, REFRESH_MS);
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && token) refresh();
  });

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token-input').value.trim();
    $('token-input').value = '';
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    refresh();
  });
  $('logout').addEventListener('click', () => {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(timer);
    showLogin('Signed out.');
  });
  $('next-page').addEventListener('click', () => {
    if (!nextCursor) return;
    cursor = nextCursor;
    refresh();
  });
  $('first-page').addEventListener('click', () => {
    cursor = null;
    refresh();
  });
  refresh();
})();
`;
