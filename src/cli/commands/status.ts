import type { Command } from 'commander';
import { followRuns } from '../follow.js';
import { openSluice, type CommonOptions } from '../options.js';
import { renderRunLine } from '../progress-bars.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show a user's runs: state, counts, errors")
    .requiredOption('--user <id>', 'user to show')
    .option('--json', 'print the snapshot as JSON')
    .option('--follow', 'keep showing progress until the running runs finish')
    .action(async (options: CommonOptions & { user: string; json?: boolean; follow?: boolean }) => {
      const sluice = await openSluice(options);
      try {
        if (options.follow) {
          await followRuns(sluice, [options.user]);
          return;
        }
        const runs = await sluice.status(options.user);
        if (options.json) console.log(JSON.stringify({ userId: options.user, runs }, null, 2));
        else if (runs.length === 0) console.log(`no runs for ${options.user}`);
        else for (const run of runs) console.log(`${renderRunLine(run)}  (${run.runId})`);
      } finally {
        await sluice.close();
      }
    });
}
