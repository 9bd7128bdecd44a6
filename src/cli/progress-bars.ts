import { formatWaiting } from '../client/format.js';
import type { RunSnapshot } from '../progress/events.js';

const WIDTH = 28;

/** One line per run: a bar when the total is known, counts always. */
export function renderRunLine(run: RunSnapshot): string {
  const { counts } = run;
  const done = counts.processed + counts.skipped + counts.failed;
  const total = counts.total ?? (run.status === 'running' ? undefined : done);
  const ratio = total ? Math.min(1, done / total) : 0;
  const bar = total === undefined ? '·'.repeat(WIDTH) : '█'.repeat(Math.round(ratio * WIDTH)).padEnd(WIDTH, '░');
  const pct = total === undefined ? '  ?%' : `${Math.floor(ratio * 100)}%`.padStart(4);
  const state = run.status === 'running' ? 'running' : run.status === 'completed' ? 'done' : run.status === 'cancelled' ? 'cancelled' : 'FAILED';
  const deleted = counts.deleted ? ` deleted ${counts.deleted}` : '';
  const figures = `${done}/${total ?? '?'} processed ${counts.processed} skipped ${counts.skipped} failed ${counts.failed}${deleted}`;
  const calls = run.usage?.calls === undefined ? '' : `  llm calls ${run.usage.calls} (cache hits ${run.usage.cachedCalls ?? 0})`;
  const usage = run.usage ? `${calls}  tokens ${run.usage.promptTokens}+${run.usage.completionTokens} ~$${run.usage.costUsd.toFixed(4)}` : '';
  const waiting = run.waiting ? `  ${formatWaiting(run.waiting)}` : '';
  const error = run.error ? `  ${run.error}` : '';
  return `${run.userId.padEnd(10)} ${run.pipeline.padEnd(18)} ${bar} ${pct} ${state.padEnd(9)} ${figures}${usage}${waiting}${error}`;
}

/** Redraws a block of lines in place on a terminal; prints only changed lines elsewhere (logs, CI). */
export class ProgressBoard {
  private readonly runs = new Map<string, RunSnapshot>();
  private drawn = 0;
  private readonly lastPrinted = new Map<string, string>();

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(run: RunSnapshot): void {
    const known = this.runs.get(run.runId);
    if (known && known.seq > run.seq) return;
    this.runs.set(run.runId, run);
    this.draw();
  }

  private draw(): void {
    const lines = [...this.runs.values()].map(renderRunLine);
    if (this.out.isTTY) {
      if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A`);
      for (const line of lines) this.out.write(`\x1b[2K${line}\n`);
      this.drawn = lines.length;
      return;
    }
    for (const [runId, run] of this.runs) {
      const line = renderRunLine(run);
      if (this.lastPrinted.get(runId) !== line) this.out.write(`${line}\n`);
      this.lastPrinted.set(runId, line);
    }
  }
}
