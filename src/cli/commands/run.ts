import type { Command } from 'commander';
import { followRuns } from '../follow.js';
import { jsonObject, openSluice, type CommonOptions } from '../options.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a run of a pipeline for a user (returns the running one if there is one)')
    .argument('<pipeline>', 'pipeline id')
    .requiredOption('--user <id>', 'user the run is for')
    .option('--input <json>', 'run input for the sources, e.g. {"repos":["octo/hello"]}', jsonObject)
    .option('--follow', 'show live progress and exit non-zero if the run fails')
    .action(async (pipelineId: string, options: CommonOptions & { user: string; input?: Record<string, unknown>; follow?: boolean }) => {
      const sluice = await openSluice(options);
      try {
        const run = await sluice.startRun(pipelineId, { userId: options.user, input: options.input });
        console.log(`${run.created ? 'started' : 'already running'}: run ${run.runId} of ${pipelineId} for ${options.user}`);
        if (!options.follow) return;
        const [final] = await followRuns(sluice, [options.user], [run.runId]);
        if (final?.status === 'failed') process.exitCode = 1;
      } finally {
        await sluice.close();
      }
    });
}
