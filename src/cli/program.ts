import { Command } from 'commander';
import { registerCancel } from './commands/cancel.js';
import { registerDoctor } from './commands/doctor.js';
import { registerMockLlm } from './commands/mock-llm.js';
import { registerPurge } from './commands/purge.js';
import { registerRun } from './commands/run.js';
import { registerSchedule } from './commands/schedule.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { registerWorker } from './commands/worker.js';

export function createProgram(): Command {
  const program = new Command('sluice')
    .description('Declarative, resumable data ingestion for AI apps')
    .option('-c, --config <file>', 'config file (default: sluice.config.ts found from the current folder up)')
    .option('--redis <url>', 'Redis URL (default: REDIS_URL, the config, then redis://127.0.0.1:6379)')
    .showHelpAfterError()
    .enablePositionalOptions(false);
  for (const register of [registerWorker, registerRun, registerStatus, registerCancel, registerServe, registerSchedule, registerPurge, registerDoctor]) register(program);
  // Global options are accepted before or after the command name.
  for (const command of program.commands) {
    command.option('-c, --config <file>', 'config file').option('--redis <url>', 'Redis URL').showHelpAfterError();
  }
  // Registered after the loop: the mock needs no config or Redis, so it takes neither option.
  registerMockLlm(program);
  registerToken(program);
  program.hook('preAction', (_, action) => {
    const global = program.opts<{ config?: string; redis?: string }>();
    for (const name of ['config', 'redis'] as const) {
      if (global[name] !== undefined && action.getOptionValue(name) === undefined) action.setOptionValue(name, global[name]);
    }
  });
  return program;
}
