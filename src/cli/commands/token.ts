import type { Command } from 'commander';
import { resolveSecret } from '../../auth/resolve-secret.js';
import { positiveInt } from '../options.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description("print a progress token that lets a browser read one user's progress (needs the server's secret)")
    .requiredOption('--user <id>', 'user the token is for')
    .option('--ttl <seconds>', 'lifetime of the token', positiveInt('--ttl'), 3600)
    .option('--secret <secret>', 'signing secret (default: SLUICE_SECRET, which keeps it out of the process list)')
    .action(async (options: { user: string; ttl: number; secret?: string }) => {
      const secret = resolveSecret(options.secret);
      const { createProgressToken } = await import('../../auth/token.js');
      console.log(createProgressToken({ userId: options.user, secret, ttlSeconds: options.ttl }));
    });
}
