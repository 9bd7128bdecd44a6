import { formatCount, formatDeleted, formatEta, formatSyncTimes, formatWaiting } from '../client/format.js';
import { runProgress } from '../client/selectors.js';
import type { ItemFailure, RunView } from '../client/types.js';
import { h, setAttribute, setText } from './dom.js';

let rows = 0;
const BY_ID = new Intl.Collator('en', { numeric: true });

/**
 * One run: name, progress bar, counts, ETA, and a details toggle revealing the breakdown and the
 * failed items. Updated in place, so focus and the open/closed state survive every event.
 */
export class RunRow {
  readonly element: HTMLLIElement;
  private readonly name = h('span', { class: 'name' });
  private readonly percent = h('span', { class: 'percent' });
  private readonly fill = h('div', { class: 'fill', part: 'fill' });
  private readonly bar = h('div', { class: 'bar', part: 'bar', role: 'progressbar', 'aria-valuemin': 0 }, this.fill);
  private readonly summary = h('div', { class: 'summary' });
  private readonly toggle: HTMLButtonElement;
  private readonly details: HTMLDivElement;
  private readonly figures = { processed: h('dd'), skipped: h('dd'), failed: h('dd'), written: h('dd') };
  private readonly error = h('p', { class: 'reason', hidden: true });
  private readonly failuresHeading = h('h3', { hidden: true }, 'Failed items');
  private readonly failureList = h('ul', { class: 'failures', hidden: true });
  private readonly failureRows = new Map<string, HTMLLIElement>();

  constructor() {
    const detailsId = `sluice-details-${++rows}`;
    this.toggle = h('button', { type: 'button', class: 'toggle', part: 'toggle', 'aria-expanded': 'false', 'aria-controls': detailsId }, 'Show details');
    const { processed, skipped, failed, written } = this.figures;
    this.details = h(
      'div',
      { class: 'details', id: detailsId, hidden: true },
      h('dl', {}, h('dt', {}, 'Processed'), processed, h('dt', {}, 'Unchanged'), skipped, h('dt', {}, 'Failed'), failed, h('dt', {}, 'Saved'), written),
      this.error,
      this.failuresHeading,
      this.failureList,
    );
    this.toggle.addEventListener('click', () => this.setOpen(this.toggle.getAttribute('aria-expanded') !== 'true'));
    this.element = h('li', { class: 'run', part: 'run' }, h('div', { class: 'run-head' }, this.name, this.percent), this.bar, this.summary, this.toggle, this.details);
  }

  update(run: RunView, failures: readonly ItemFailure[]): void {
    const { done, total, ratio } = runProgress(run);
    setAttribute(this.element, 'data-run-id', run.runId);
    setAttribute(this.element, 'data-status', run.status);
    setText(this.name, run.pipeline);
    setText(this.percent, ratio === undefined ? '' : `${Math.floor(ratio * 100)}%`);

    setAttribute(this.bar, 'aria-label', `${run.pipeline} progress`);
    setAttribute(this.bar, 'aria-valuemax', total);
    setAttribute(this.bar, 'aria-valuenow', total === undefined ? undefined : Math.min(done, total));
    const counted = total === undefined ? `${formatCount(done)} items so far` : `${formatCount(done)} of ${formatCount(total)} items`;
    setAttribute(this.bar, 'aria-valuetext', counted);
    this.fill.style.width = ratio === undefined ? '' : `${(ratio * 100).toFixed(1)}%`;

    const parts = [counted];
    if (run.counts.failed > 0) parts.push(`${formatCount(run.counts.failed)} failed`);
    const deleted = formatDeleted(run.counts.deleted);
    if (deleted) parts.push(deleted);
    if (run.status === 'completed') parts.push('done');
    else if (run.status === 'failed') parts.push('stopped');
    else if (run.status === 'cancelled') parts.push('cancelled');
    else if (run.waiting) parts.push(formatWaiting(run.waiting));
    else parts.push(formatEta(run.etaSeconds) ?? 'estimating time left…');
    if (run.status !== 'running' && run.schedule) {
      const { nextRunAt, status, reason } = run.schedule;
      const times = {
        ...(nextRunAt ? { nextRunAt } : {}),
        ...(run.status === 'completed' && run.finishedAt ? { lastSyncedAt: run.finishedAt } : {}),
        ...(status === 'paused' ? { paused: reason ?? '' } : {}),
      };
      const text = formatSyncTimes(times, Date.now());
      if (text) parts.push(text);
    }
    setText(this.summary, parts.join(' · '));

    setText(this.figures.processed, formatCount(run.counts.processed));
    setText(this.figures.skipped, formatCount(run.counts.skipped));
    setText(this.figures.failed, formatCount(run.counts.failed));
    setText(this.figures.written, formatCount(run.counts.written));
    setText(this.error, run.error ?? '');
    this.error.hidden = !run.error;
    this.updateFailures(failures);
  }

  private updateFailures(failures: readonly ItemFailure[]): void {
    // Keyed by item id: a failure delivered twice (reconnect, reload, retried job) is one row.
    // Sorted by id, so the list reads the same before and after a reload (a snapshot has its own order).
    const sorted = [...failures].sort((a, b) => BY_ID.compare(a.id, b.id));
    for (const [index, failure] of sorted.entries()) {
      let row = this.failureRows.get(failure.id);
      if (!row) {
        row = h('li', { 'data-item-id': failure.id }, h('span', { class: 'item-id' }, failure.id), ': ', h('span', { class: 'reason' }, failure.reason));
        this.failureRows.set(failure.id, row);
      }
      if (this.failureList.children[index] !== row) this.failureList.insertBefore(row, this.failureList.children[index] ?? null);
    }
    const current = new Set(failures.map((f) => f.id));
    for (const [id, row] of this.failureRows) {
      if (current.has(id)) continue;
      row.remove();
      this.failureRows.delete(id);
    }
    this.failuresHeading.hidden = this.failureList.hidden = failures.length === 0;
  }

  private setOpen(open: boolean): void {
    setAttribute(this.toggle, 'aria-expanded', String(open));
    setText(this.toggle, open ? 'Hide details' : 'Show details');
    this.details.hidden = !open;
  }
}
