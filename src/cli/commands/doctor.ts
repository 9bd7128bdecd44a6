import type { Command } from 'commander';
import type { CommonOptions } from '../options.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check a deployment (Redis settings, persistence, cluster, clock, credentials, secret) and print what to fix')
    .option('--secret <secret>', 'token secret to check (default: SLUICE_SECRET)')
    .action(async (options: CommonOptions & { secret?: string }) => {
      // Loaded here, not on import: `sluice --help` needs neither ioredis nor BullMQ.
      const [{ runDoctor }, { formatResult }] = await Promise.all([import('../doctor/run-doctor.js'), import('../doctor/checks.js')]);
      const results = await runDoctor(options);
      for (const result of results) console.log(formatResult(result));
      const count = (status: string) => results.filter((r) => r.status === status).length;
      console.log(`sluice doctor: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`);
      if (count('fail') > 0) process.exitCode = 1;
    });
}
