import { InvalidArgumentError, type Command } from 'commander';
import { resolveAdminSecret } from '../../auth/admin-token.js';
import { resolveSecret } from '../../auth/resolve-secret.js';
import { openSluice, portNumber, type CommonOptions } from '../options.js';

interface ServeOptions extends CommonOptions {
  port: number;
  host: string;
  secret?: string;
  cors?: string[] | '*';
  admin?: boolean;
  adminSecret?: string;
  metrics?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description("serve users' progress over HTTP (JSON and server-sent events) until SIGTERM/SIGINT")
    .option('--port <n>', 'port to listen on (0 picks a free one)', portNumber('--port'), 8787)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--secret <secret>', 'token secret (default: SLUICE_SECRET, which keeps it out of the process list)')
    .option('--cors <origins>', "browser origins allowed to call the API, comma-separated, or '*'", originList)
    .option('--admin', 'also serve the operator view at /admin (runs across users, queues, limiters; cancel and retry)')
    .option('--admin-secret <secret>', 'admin token secret, not the progress one (default: SLUICE_ADMIN_SECRET)')
    .option('--metrics', 'serve Prometheus metrics at GET /metrics (bearer token: SLUICE_METRICS_TOKEN, if set)')
    .action(async (options: ServeOptions) => {
      const secret = resolveSecret(options.secret);
      const metricsToken = process.env.SLUICE_METRICS_TOKEN || undefined;
      const adminSecret = options.admin ? resolveAdminSecret(options.adminSecret) : undefined;
      if (adminSecret === secret) throw new Error('the admin secret must differ from the progress token secret (SLUICE_SECRET)');
      const { bundledWidgetScript, createProgressServer } = await import('../../server/index.js');
      const { MIN_METRICS_TOKEN_BYTES } = await import('../../server/options.js');
      if (options.metrics && metricsToken !== undefined && Buffer.byteLength(metricsToken) < MIN_METRICS_TOKEN_BYTES) {
        throw new Error(`SLUICE_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_BYTES} bytes, got ${Buffer.byteLength(metricsToken)} (make one with: openssl rand -hex 16)`);
      }
      const sluice = await openSluice(options, 'info');
      const { sharedConnectorsOf } = await import('../../connector/credentials.js');
      const sharedTokens = sharedConnectorsOf(sluice.config.credentials);
      if (sharedTokens.length > 0) {
        console.warn(
          `sluice serve: warning: every user's runs read ${sharedTokens.join(', ')} with one shared token (credentials: shared(...)): ` +
            'whoever can start a run reaches what that token reaches',
        );
      }
      const server = createProgressServer({
        sluice,
        secret,
        ...(options.cors ? { cors: { origins: options.cors } } : {}),
        widgetScript: bundledWidgetScript(),
        ...(adminSecret ? { admin: { secret: adminSecret } } : {}),
        ...(options.metrics ? { metrics: metricsToken === undefined ? {} : { token: metricsToken } } : {}),
      });
      if (options.metrics && metricsToken === undefined) {
        console.warn('sluice serve: warning: GET /metrics is open to anyone who reaches this port; set SLUICE_METRICS_TOKEN to require a bearer token');
      }
      const listening = await server.listen(options.port, options.host);
      // Handlers first, then the readiness line: a signal sent on seeing it must find them installed.
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      console.log(`sluice serve listening on ${listening.url} (pid ${process.pid})`);
      if (adminSecret) console.log(`sluice serve: admin view at ${listening.url}/admin (token: sluice token --admin)`);
      const signal = await stopped;
      console.log(`sluice serve: ${signal}, ending open streams`);
      // Ending each stream (not dropping the socket) makes clients reconnect to another instance.
      await listening.close();
      await sluice.close();
      console.log('sluice serve stopped');
    });
}


function originList(value: string): string[] | '*' {
  if (value.trim() === '*') return '*';
  const origins = value.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length === 0) throw new InvalidArgumentError("expected origins like https://app.example.com, or '*'");
  return origins;
}
