import { describe, expect, it } from 'vitest';
import { renderRunLine } from '../src/cli/progress-bars.js';
import type { RunSnapshot } from '../src/progress/events.js';

const run = (counts: Partial<RunSnapshot['counts']>): RunSnapshot => ({
  runId: 'r1', pipeline: 'files', userId: 'ada', status: 'completed', startedAt: '2030-01-01T00:00:00Z', seq: 9,
  counts: { discovered: 3, processed: 1, skipped: 2, failed: 0, written: 1, ...counts },
});

describe('the CLI progress line', () => {
  it('names deleted records only when a run deleted some', () => {
    expect(renderRunLine(run({}))).toContain('processed 1 skipped 2 failed 0');
    expect(renderRunLine(run({}))).not.toContain('deleted');
    expect(renderRunLine(run({ deleted: 4 }))).toContain('processed 1 skipped 2 failed 0 deleted 4');
  });
});
