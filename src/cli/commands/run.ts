import type { Command } from 'commander';
import { startRemoteRun } from '../../client/http.js';
import { followRemote, followRuns, remoteTarget, type RemoteTarget } from '../follow.js';
import { jsonObject, openSluice, type CommonOptions } from '../options.js';

interface RunOptions extends CommonOptions {
  user: string;
  input?: Record<string, unknown>;
  follow?: boolean;
  url?: string;
  token?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a run of a pipeline for a user (returns the running one if there is one)')
    .argument('<pipeline>', 'pipeline id')
    .requiredOption('--user <id>', 'user the run is for')
    .option('--input <json>', 'run input for the sources, e.g. {"repos":["octo/hello"]}', jsonObject)
    .option('--follow', 'show live progress; exit 1 unless the run completes (failed or cancelled)')
    .option('--url <server>', 'go through a progress server (sluice serve) instead of Redis: start over HTTP, follow over SSE')
    .option('--token <token>', 'progress token for --url (default: SLUICE_TOKEN)')
    .action(async (pipelineId: string, options: RunOptions) => {
      const remote = remoteTarget(options);
      if (remote) return runRemote(remote, pipelineId, options);
      const sluice = await openSluice(options);
      try {
        const run = await sluice.startRun(pipelineId, { userId: options.user, input: options.input });
        console.log(`${run.created ? 'started' : 'already running'}: run ${run.runId} of ${pipelineId} for ${options.user}`);
        if (!options.follow) return;
        const [final] = await followRuns(sluice, [options.user], [run.runId]);
        if (final && final.status !== 'completed') process.exitCode = 1;
      } finally {
        await sluice.close();
      }
    });
}

/** No config and no Redis needed here: the server has both. */
async function runRemote(remote: RemoteTarget, pipelineId: string, options: RunOptions): Promise<void> {
  const run = await startRemoteRun({ ...remote, userId: options.user, pipeline: pipelineId, ...(options.input ? { input: options.input } : {}) });
  console.log(`${run.created ? 'started' : 'already running'}: run ${run.runId} of ${pipelineId} for ${options.user}`);
  if (!options.follow) return;
  const [final] = await followRemote(remote, options.user, [run.runId]);
  if (final && final.status !== 'completed') process.exitCode = 1;
}
