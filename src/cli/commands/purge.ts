import type { Command } from 'commander';
import { openSluice, type CommonOptions } from '../options.js';

/** `sluice purge --user U`: forget a user, and say what went. */
export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description("remove everything of a user: schedules, runs, progress, documents, caches, queued jobs")
    .requiredOption('--user <id>', 'user to forget')
    .option('--json', 'print the report as JSON')
    .action(async (options: CommonOptions & { user: string; json?: boolean }) => {
      const sluice = await openSluice(options);
      try {
        const report = await sluice.purgeUser(options.user);
        if (options.json) return console.log(JSON.stringify(report));
        console.log(
          `purged ${report.userId}: ${report.schedules} schedules, ${report.runs} runs, ${report.documents} documents, ` +
            `${report.progressEvents} progress events, ${report.jobs} queued jobs, ${report.keys} keys` +
            (report.jobsInFlight ? ` (${report.jobsInFlight} jobs in flight end on their own)` : ''),
        );
      } finally {
        await sluice.close();
      }
    });
}
