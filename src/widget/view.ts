import type { ProgressError } from '../client/errors.js';
import type { OverallState } from '../client/selectors.js';
import type { ConnectionStatus, ItemFailure, RunView } from '../client/types.js';
import { h, setAttribute, setText } from './dom.js';
import { RunRow } from './run-row.js';
import { STYLES } from './styles.js';

export type WidgetState = 'connecting' | OverallState | 'error';

export interface WidgetModel {
  heading: string;
  state: WidgetState;
  status: ConnectionStatus;
  /** The server lost its progress state; the widget starts over from a fresh snapshot. */
  interrupted?: boolean;
  error: ProgressError | null;
  runs: readonly RunView[];
  failures: Readonly<Record<string, readonly ItemFailure[]>>;
}

const CONNECTION: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  error: 'Not connected',
};

const INTERRUPTED = 'Sync interrupted, restarting…';

/** The shadow DOM of `<sluice-progress>`: a header, one row per run, a footer, and a polite live region. */
export class WidgetView {
  private readonly heading = h('h2', { part: 'heading' });
  private readonly connection = h('span', { class: 'connection', part: 'connection' });
  private readonly list = h('ol', { class: 'runs', part: 'runs' });
  private readonly footer = h('p', { class: 'footer', part: 'footer' });
  // Announces changes worth interrupting for (connection lost, a run finished), never each tick.
  private readonly live = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  private readonly rows = new Map<string, RunRow>();
  private previous: WidgetModel | undefined;

  constructor(root: ShadowRoot) {
    const style = h('style');
    style.textContent = STYLES;
    root.append(style, h('section', { part: 'panel', 'aria-label': 'Import progress' }, h('header', {}, this.heading, this.connection), this.list, this.footer, this.live));
  }

  render(model: WidgetModel): void {
    setText(this.heading, model.heading);
    setText(this.connection, model.interrupted ? INTERRUPTED : CONNECTION[model.status]);
    setAttribute(this.connection, 'data-status', model.interrupted ? 'interrupted' : model.status);
    const seen = new Set<string>();
    for (const [index, run] of model.runs.entries()) {
      seen.add(run.runId);
      let row = this.rows.get(run.runId);
      if (!row) this.rows.set(run.runId, (row = new RunRow()));
      row.update(run, model.failures[run.runId] ?? []);
      if (this.list.children[index] !== row.element) this.list.insertBefore(row.element, this.list.children[index] ?? null);
    }
    for (const [runId, row] of this.rows) {
      if (seen.has(runId)) continue;
      row.element.remove();
      this.rows.delete(runId);
    }
    setText(this.footer, footerText(model));
    const news = announcements(this.previous, model);
    if (news.length > 0) setText(this.live, news.join(' '));
    this.previous = model;
  }
}

function footerText(model: WidgetModel): string {
  switch (model.state) {
    case 'completed':
      return 'All done';
    case 'failed':
      return 'Finished, with problems: see the details above.';
    case 'idle':
      return 'Nothing to import yet.';
    case 'error':
      return errorText(model.error);
    default:
      return '';
  }
}

export function errorText(error: ProgressError | null): string {
  if (error?.code === 'token_expired') return 'Your session has expired. Reload the page to see your progress.';
  if (error?.status === 401) return 'You are not signed in, so progress cannot be shown.';
  if (error?.status === 403) return 'You do not have access to this progress.';
  return `Progress cannot be shown: ${error?.message ?? 'unknown error'}.`;
}

function announcements(before: WidgetModel | undefined, now: WidgetModel): string[] {
  const news: string[] = [];
  if (now.interrupted && !before?.interrupted) news.push('Sync interrupted, restarting.');
  else if (before?.status === 'live' && now.status === 'reconnecting') news.push('Connection lost. Reconnecting.');
  if (before?.status === 'reconnecting' && now.status === 'live') news.push('Reconnected.');
  if (now.state === 'error' && before?.state !== 'error') news.push(errorText(now.error));
  const was = new Map(before?.runs.map((r) => [r.runId, r.status]));
  for (const run of now.runs) {
    if (was.get(run.runId) !== 'running' || run.status === 'running') continue;
    news.push(run.status === 'completed' ? `${run.pipeline} finished.` : run.status === 'cancelled' ? `${run.pipeline} cancelled.` : `${run.pipeline} stopped: ${run.error ?? 'failed'}.`);
  }
  if (now.state === 'completed' && before?.state === 'running') news.push('All done.');
  return news;
}
