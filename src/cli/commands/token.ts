import type { Command } from 'commander';
import { resolveSecret } from '../../auth/resolve-secret.js';
import { positiveInt } from '../options.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description("print a progress token that lets a browser read one user's progress (needs the server's secret)")
    .option('--user <id>', 'user the token is for')
    .option('--admin', 'an operator token for `sluice serve --admin` instead (signed with the admin secret)')
    .option('--admin-secret <secret>', 'admin signing secret (default: SLUICE_ADMIN_SECRET)')
    .option('--ttl <seconds>', 'lifetime of the token', positiveInt('--ttl'), 3600)
    .option('--secret <secret>', 'signing secret (default: SLUICE_SECRET, which keeps it out of the process list)')
    .action(async (options: { user?: string; ttl: number; secret?: string; admin?: boolean; adminSecret?: string }) => {
      if (options.admin) {
        if (options.user !== undefined) throw new Error('--admin tokens are for operators, not a user: drop --user');
        const { createAdminToken, resolveAdminSecret } = await import('../../auth/admin-token.js');
        console.log(createAdminToken({ secret: resolveAdminSecret(options.adminSecret), ttlSeconds: options.ttl }));
        return;
      }
      if (options.user === undefined) throw new Error("required option '--user <id>' not specified (or --admin for an operator token)");
      const secret = resolveSecret(options.secret);
      const { createProgressToken } = await import('../../auth/token.js');
      console.log(createProgressToken({ userId: options.user, secret, ttlSeconds: options.ttl }));
    });
}
