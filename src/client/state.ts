import { estimateSecondsLeft } from '../progress/eta.js';
import { PROGRESS_EVENT_VERSION, type ProgressEntry, type RunEvent, type RunSnapshot } from '../progress/events.js';
import type { ItemFailure, ProgressSnapshotBody, RunView } from './types.js';

/** What a client knows about a user's runs. Treat as immutable: every change returns a new object. */
export interface ProgressState {
  runs: Readonly<Record<string, RunView>>;
  /** Failed items per run id, in arrival order, one row per item id. */
  failures: Readonly<Record<string, readonly ItemFailure[]>>;
}

export type ProgressInput = ProgressEntry | RunEvent | ProgressSnapshotBody;

export function initialProgressState(): ProgressState {
  return { runs: {}, failures: {} };
}

/**
 * The one reducer behind the widget, the React hook and the CLI. A snapshot replaces everything
 * (it is the truth after a refresh or a trimmed stream); a run event wins only if its `seq` is newer,
 * so replays and out-of-order events never move counts backwards; a failed item is added once.
 * Returns the same object when nothing changed.
 */
export function applyProgress(state: ProgressState, input: ProgressInput): ProgressState {
  if ('runs' in input) return fromSnapshot(input);
  if (input.v !== PROGRESS_EVENT_VERSION) return state; // a newer format we cannot read
  if (input.type === 'item.failed') {
    const known = state.failures[input.runId] ?? [];
    if (known.some((f) => f.id === input.item.id)) return state;
    const item = { id: input.item.id, reason: input.item.reason };
    return { ...state, failures: { ...state.failures, [input.runId]: [...known, item] } };
  }
  const known = state.runs[input.runId];
  if (known && known.seq >= input.run.seq) return state;
  const view = toView(input.run, Date.parse(input.at));
  // Events carry no schedule: keep the one the last snapshot gave.
  return { ...state, runs: { ...state.runs, [input.runId]: known?.schedule ? { ...view, schedule: known.schedule } : view } };
}

function fromSnapshot(body: ProgressSnapshotBody): ProgressState {
  const runs: Record<string, RunView> = {};
  const failures: Record<string, ItemFailure[]> = {};
  for (const { failures: items, ...run } of body.runs) {
    runs[run.runId] = run;
    const unique = new Map((items ?? []).map((f) => [f.id, { id: f.id, reason: f.reason }] as const));
    if (unique.size > 0) failures[run.runId] = [...unique.values()];
  }
  return { runs, failures };
}

// The ETA uses the server's clock on both ends (event time and run start), so client clock skew does not matter.
function toView(run: RunSnapshot, at: number): RunView {
  const etaSeconds = Number.isFinite(at) ? estimateSecondsLeft(run, at) : undefined;
  return etaSeconds === undefined ? run : { ...run, etaSeconds };
}
