import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The structured log of a runtime process: one JSON object per line on stderr (stdout stays for
 * the CLI's human lines), with `runId`, `userId` and `shard` on the lines about a shard. The level
 * comes from SLUICE_LOG_LEVEL (trace, debug, info, warn, error, silent), else `defaultLevel`.
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env, defaultLevel = 'info'): Logger {
  const level = env.SLUICE_LOG_LEVEL || defaultLevel;
  if (!LEVELS.includes(level)) throw new Error(`SLUICE_LOG_LEVEL "${level}" is not a level: use one of ${LEVELS.join(', ')}`);
  // Synchronous writes: a line logged just before the process exits is not lost.
  return pino({ name: 'sluice', level, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, pino.destination({ fd: 2, sync: true }));
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
