import { describe, expect, it } from 'vitest';
import { applyProgress, initialProgressState, latestRuns, overallState, runProgress } from '../src/client/index.js';
import { formatDeleted, formatEta } from '../src/client/format.js';
import type { ProgressEntry, RunSnapshot } from '../src/progress/events.js';
import { itemFailed, runEvent } from './support/sse-server.js';

const START = new Date('2030-01-01T00:00:00Z');

function run(seq: number, patch: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    runId: 'r1', pipeline: 'github', userId: 'ada', status: 'running', startedAt: START.toISOString(), seq,
    counts: { discovered: 100, processed: seq, skipped: 0, failed: 0, written: seq, total: 100 },
    ...patch,
  };
}

const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);
const entry = (id: string, event: ReturnType<typeof runEvent>) => ({ ...event, id }) as ProgressEntry;

describe('applyProgress', () => {
  it('keeps the newest state of a run: an older or repeated seq changes nothing', () => {
    let state = applyProgress(initialProgressState(), entry('1-0', runEvent('run.progress', run(5), at(5))));
    const same = applyProgress(state, entry('2-0', runEvent('run.progress', run(3), at(6))));
    expect(same).toBe(state);
    expect(applyProgress(state, entry('1-0', runEvent('run.progress', run(5), at(5))))).toBe(state);
    state = applyProgress(state, entry('3-0', runEvent('run.progress', run(8), at(8))));
    expect(state.runs.r1!.counts.processed).toBe(8);
  });

  it('estimates the ETA from the event time on the server clock', () => {
    // 20 of 100 done in 40 s: 80 left at 0.5 per second.
    const state = applyProgress(initialProgressState(), runEvent('run.progress', run(20), at(40)));
    expect(state.runs.r1!.etaSeconds).toBe(160);
    expect(formatEta(state.runs.r1!.etaSeconds)).toBe('about 3 min left');
    const done = applyProgress(state, runEvent('run.completed', run(100, { status: 'completed' }), at(90)));
    expect(done.runs.r1!.etaSeconds).toBeUndefined();
  });

  it('adds a failed item once per item id, whatever the number of deliveries', () => {
    let state = initialProgressState();
    for (const id of ['a', 'b', 'a', 'b', 'c']) state = applyProgress(state, itemFailed(run(1), { id, reason: `bad ${id}` }));
    expect(state.failures.r1).toEqual([
      { id: 'a', reason: 'bad a' },
      { id: 'b', reason: 'bad b' },
      { id: 'c', reason: 'bad c' },
    ]);
  });

  it('replaces everything with a snapshot, deduping its failures', () => {
    let state = applyProgress(initialProgressState(), runEvent('run.progress', run(50)));
    state = applyProgress(state, itemFailed(run(1), { id: 'x', reason: 'gone' }));
    state = applyProgress(state, {
      userId: 'ada',
      lastEventId: '9-0',
      runs: [{ ...run(7, { runId: 'r2' }), etaSeconds: 30, failures: [{ id: 'y', reason: 'r' }, { id: 'y', reason: 'r' }] }],
    });
    expect(Object.keys(state.runs)).toEqual(['r2']);
    expect(state.runs.r2!.etaSeconds).toBe(30);
    expect(state.failures).toEqual({ r2: [{ id: 'y', reason: 'r' }] });
  });

  it('ignores events of a newer format version', () => {
    const state = initialProgressState();
    const future = { ...runEvent('run.progress', run(1)), v: 2 } as unknown as ProgressEntry;
    expect(applyProgress(state, future)).toBe(state);
  });
});

describe('selectors', () => {
  it('show the newest run of each pipeline, in start order, and the overall state', () => {
    let state = initialProgressState();
    state = applyProgress(state, runEvent('run.completed', run(1, { runId: 'old', status: 'completed', startedAt: '2029-01-01T00:00:00Z' })));
    state = applyProgress(state, runEvent('run.progress', run(2, { runId: 'files', pipeline: 'files', startedAt: '2030-01-02T00:00:00Z' })));
    state = applyProgress(state, runEvent('run.completed', run(3, { status: 'completed' })));
    const runs = latestRuns(state);
    expect(runs.map((r) => r.runId)).toEqual(['r1', 'files']);
    expect(overallState(runs)).toBe('running');
    expect(overallState(runs.slice(0, 1))).toBe('completed');
    expect(overallState([])).toBe('idle');
  });

  it('count done records against the total, and a finished run without a total as complete', () => {
    expect(runProgress(run(25, { counts: { discovered: 40, processed: 20, skipped: 3, failed: 2, written: 20, total: 50 } }))).toEqual({ done: 25, total: 50, ratio: 0.5 });
    const noTotal = { discovered: 7, processed: 7, skipped: 0, failed: 0, written: 7 };
    expect(runProgress(run(1, { counts: noTotal })).total).toBeUndefined();
    expect(runProgress(run(1, { counts: noTotal, status: 'completed' }))).toEqual({ done: 7, total: 7, ratio: 1 });
  });
});

describe('formatDeleted', () => {
  it('says how many records a run deleted, only when it deleted some', () => {
    expect(formatDeleted(undefined)).toBeUndefined();
    expect(formatDeleted(0)).toBeUndefined();
    expect(formatDeleted(1234)).toBe('1,234 deleted');
    const state = applyProgress(initialProgressState(), runEvent('run.completed', run(100, { status: 'completed', counts: { ...run(100).counts, deleted: 3 } }), at(90)));
    expect(formatDeleted(state.runs.r1!.counts.deleted)).toBe('3 deleted');
  });
});

describe('formatEta', () => {
  it('reads as a rough figure', () => {
    expect(formatEta(undefined)).toBeUndefined();
    expect(formatEta(10)).toBe('less than a minute left');
    expect(formatEta(120)).toBe('about 2 min left');
    expect(formatEta(2 * 3600 + 15 * 60)).toBe('about 2 h 15 min left');
    expect(formatEta(3 * 3600)).toBe('about 3 h left');
  });
});
