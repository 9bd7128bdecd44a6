import { applyProgress, initialProgressState, type ProgressInput, type ProgressState } from '../client/state.js';
import { subscribeProgress } from '../client/subscribe.js';
import type { RunSnapshot } from '../progress/events.js';
import type { Sluice } from '../runtime/sluice.js';
import { ProgressBoard } from './progress-bars.js';

/**
 * Users' runs as the browser widget sees them (the shared `applyProgress` reducer, one state per
 * user), and which runs we wait for: the given ids, or those running in each user's first snapshot.
 */
class RunWatch {
  private readonly states = new Map<string, ProgressState>();
  private readonly wanted: Set<string>;

  constructor(
    private readonly board: ProgressBoard,
    private readonly runIds?: readonly string[],
  ) {
    this.wanted = new Set(runIds);
  }

  apply(userId: string, input: ProgressInput): void {
    const first = !this.states.has(userId);
    const state = applyProgress(this.states.get(userId) ?? initialProgressState(), input);
    this.states.set(userId, state);
    const snapshot = 'runs' in input;
    if (snapshot && first && !this.runIds) for (const run of input.runs) if (run.status === 'running') this.wanted.add(run.runId);
    for (const runId of snapshot ? input.runs.map((r) => r.runId) : [input.runId]) {
      const run = state.runs[runId];
      if (run && this.wanted.has(runId)) this.board.update(run);
    }
  }

  /** Every wanted run has been seen and is over. */
  get finished(): boolean {
    return [...this.wanted].every((id) => {
      const run = this.find(id);
      return run !== undefined && run.status !== 'running';
    });
  }

  /** The wanted runs as last seen, in the order asked for. */
  get runs(): RunSnapshot[] {
    return [...this.wanted].flatMap((id) => this.find(id) ?? []);
  }

  private find(runId: string): RunSnapshot | undefined {
    for (const state of this.states.values()) if (state.runs[runId]) return state.runs[runId];
    return undefined;
  }
}

/**
 * Shows live progress of users' runs from Redis until every run in `runIds` (or, without ids, every
 * run that is running when we start) is over. Starts from the snapshot, then follows the stream.
 */
export async function followRuns(sluice: Sluice, userIds: readonly string[], runIds?: readonly string[]): Promise<RunSnapshot[]> {
  const watch = new RunWatch(new ProgressBoard(), runIds);
  const after = new Map<string, string>();
  // Redis losing its state while we follow ends the wait with one clear line, instead of a silent board.
  let lost: string | undefined;
  const stopWatching = sluice.onStateLost((loss) => (lost = loss.message));
  for (const userId of userIds) {
    // Take the stream position first, then the snapshot: nothing between the two is lost.
    after.set(userId, (await sluice.progressPosition(userId)) ?? '0-0');
    const runs = await sluice.status(userId);
    watch.apply(userId, { userId, lastEventId: after.get(userId)!, runs: runs.map((run) => ({ ...run, failures: [] })) });
  }
  try {
    await followStreams(sluice, userIds, watch, after, () => lost);
  } finally {
    stopWatching();
  }
  return watch.runs;
}

async function followStreams(sluice: Sluice, userIds: readonly string[], watch: RunWatch, after: Map<string, string>, lost: () => string | undefined): Promise<void> {
  while (!watch.finished) {
    const loss = lost();
    if (loss) throw new Error(loss);
    for (const userId of userIds) {
      const page = await sluice.readProgress(userId, { after: after.get(userId), blockMs: userIds.length > 1 ? 200 : 1000 });
      for (const event of page.entries) watch.apply(userId, event);
      // The page's last id, not its last event's: an entry that could not be read is passed, not read again.
      if (page.lastId) after.set(userId, page.lastId);
    }
  }
}

export interface RemoteTarget {
  /** Progress server base URL (`sluice serve`). */
  url: string;
  token: string;
}

/** `--url` and `--token` (or SLUICE_TOKEN) of a command, checked together; undefined means "use Redis". */
export function remoteTarget(options: { url?: string; token?: string }): RemoteTarget | undefined {
  const token = options.token ?? process.env.SLUICE_TOKEN;
  if (!options.url) {
    if (options.token) throw new Error('--token is for a progress server: pass --url too');
    return undefined;
  }
  if (!token) throw new Error('--url needs a progress token: --token <token> or SLUICE_TOKEN (`sluice token --user <id>` prints one)');
  return { url: options.url, token };
}

/**
 * The same as followRuns, through a progress server: the SSE client the browser widget uses, so it
 * reconnects and resumes the same way. Rejects on a refused token (401/403).
 */
export async function followRemote(target: RemoteTarget, userId: string, runIds?: readonly string[]): Promise<RunSnapshot[]> {
  const watch = new RunWatch(new ProgressBoard(), runIds);
  return new Promise((resolve, reject) => {
    let down = false;
    const subscription = subscribeProgress({
      url: target.url,
      userId,
      token: target.token,
      onSnapshot: (snapshot) => step(snapshot),
      onEvent: (event) => step(event),
      onError: (error) => reject(new Error(`progress server ${target.url}: ${error.message} (${error.code})`)),
      onStatus: (status, reason) => {
        if (reason?.code === 'state_lost') {
          subscription.close();
          reject(new Error(`progress server ${target.url}: ${reason.message}`));
          return;
        }
        // One line per outage, on stderr, so a silent board is never a mystery.
        if (status === 'reconnecting' && !down) process.stderr.write(`sluice: lost ${target.url} (${reason?.message ?? 'disconnected'}), reconnecting\n`);
        if (status === 'live' && down) process.stderr.write(`sluice: reconnected to ${target.url}\n`);
        down = status === 'reconnecting';
      },
    });
    const step = (input: ProgressInput) => {
      watch.apply(userId, input);
      if (!watch.finished) return;
      subscription.close();
      resolve(watch.runs);
    };
  });
}
