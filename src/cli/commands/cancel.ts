import type { Command } from 'commander';
import { openSluice, type CommonOptions } from '../options.js';
import { renderRunLine } from '../progress-bars.js';

interface CancelOptions extends CommonOptions {
  user: string;
  run?: string;
}

/** `sluice cancel <pipeline> --user U [--run R]`: without --run, the user's run of that pipeline going now. */
export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description("cancel a user's run: it stops with the counts it has; in-flight reads and LLM calls are aborted")
    .argument('<pipeline>', 'pipeline id')
    .requiredOption('--user <id>', 'user whose run to cancel')
    .option('--run <id>', 'run id (default: the run of this pipeline going now)')
    .action(async (pipeline: string, options: CancelOptions) => {
      const sluice = await openSluice(options);
      try {
        const result = await sluice.cancelRun(pipeline, options.user, options.run);
        if (result.outcome === 'cancelled') {
          console.log(`cancelled ${result.run.runId}`);
          console.log(renderRunLine(result.run));
        } else if (result.outcome === 'finished') {
          // Nothing to do is not an error, but a script should see that nothing changed.
          console.log(`run ${result.run.runId} already ended ${result.run.status}: nothing to cancel`);
          process.exitCode = 2;
        } else {
          const what = options.run ? `no run ${options.run}` : 'no run going';
          console.log(`${what} of ${pipeline} for ${options.user}: nothing to cancel`);
          process.exitCode = 2;
        }
      } finally {
        await sluice.close();
      }
    });
}
