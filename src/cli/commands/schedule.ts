import { InvalidArgumentError, type Command } from 'commander';
import { formatSpan } from '../../client/format.js';
import type { ScheduleInfo } from '../../runtime/schedules.js';
import { jsonObject, openSluice, type CommonOptions } from '../options.js';

interface TargetOptions extends CommonOptions {
  user: string;
}

interface AddOptions extends TargetOptions {
  every?: string;
  cron?: string;
  tz?: string;
  input?: Record<string, unknown>;
}

/** `sluice schedule add|list|remove|pause|resume`: re-sync schedules per user and pipeline. */
export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('re-sync schedules per user and pipeline');
  schedule
    .command('add')
    .description('create or replace a schedule: --every 6h, or --cron "0 */6 * * *" [--tz Europe/Paris]')
    .argument('<pipeline>', 'pipeline id')
    .requiredOption('--user <id>', 'user to re-sync')
    .option('--every <interval>', 'interval: 30m, 6h, 1d (each user fires at their own slot in it)')
    .option('--cron <pattern>', 'cron pattern, 5 or 6 fields')
    .option('--tz <zone>', 'time zone of the cron pattern, e.g. Europe/Paris')
    .option('--input <json>', 'run input for the sources, e.g. {"repos":["octo/hello"]}', jsonObject)
    .action((pipelineId: string, options: AddOptions) =>
      withSluice(options, async (sluice) => {
        if (Boolean(options.every) === Boolean(options.cron)) throw new InvalidArgumentError('give exactly one of --every or --cron');
        const info = await sluice.schedules.upsert({
          pipelineId,
          userId: options.user,
          ...(options.every ? { every: options.every } : { cron: options.cron!, ...(options.tz ? { tz: options.tz } : {}) }),
          ...(options.input ? { input: options.input } : {}),
        });
        console.log(describe(info, Date.now()));
      }),
    );
  schedule
    .command('list')
    .description("list schedules: one user's, or everyone's")
    .option('--user <id>', 'only this user')
    .option('--json', 'print them as JSON')
    .action((options: CommonOptions & { user?: string; json?: boolean }) =>
      withSluice(options, async (sluice) => {
        const all = await sluice.schedules.list(options.user);
        if (options.json) return console.log(JSON.stringify(all, null, 2));
        if (all.length === 0) return console.log('no schedules');
        const now = Date.now();
        for (const info of all) console.log(describe(info, now));
      }),
    );
  for (const [name, description] of [
    ['remove', 'remove a schedule (its scheduler and its next job)'],
    ['pause', 'pause a schedule; resume installs it again'],
    ['resume', 'resume a paused schedule'],
  ] as const) {
    const command = schedule
      .command(name)
      .description(description)
      .argument('<pipeline>', 'pipeline id')
      .requiredOption('--user <id>', 'user of the schedule');
    if (name === 'pause') command.option('--reason <text>', 'why, shown with the schedule');
    command.action((pipelineId: string, options: TargetOptions & { reason?: string }) =>
      withSluice(options, async (sluice) => {
        const target = { pipelineId, userId: options.user };
        if (name === 'remove') {
          const removed = await sluice.schedules.remove(target);
          console.log(removed ? `removed: ${pipelineId} for ${options.user}` : `no schedule of ${pipelineId} for ${options.user}`);
          return;
        }
        const info = name === 'pause' ? await sluice.schedules.pause({ ...target, ...(options.reason ? { reason: options.reason } : {}) }) : await sluice.schedules.resume(target);
        if (!info) {
          console.error(`no schedule of ${pipelineId} for ${options.user}`);
          process.exitCode = 1;
          return;
        }
        console.log(describe(info, Date.now()));
      }),
    );
  }
}

type OpenSluice = Awaited<ReturnType<typeof openSluice>>;

async function withSluice(options: CommonOptions, use: (sluice: OpenSluice) => Promise<void>): Promise<void> {
  const sluice = await openSluice(options);
  try {
    await use(sluice);
  } finally {
    await sluice.close();
  }
}

/** "demo-files  u1  every 6 h  active  next in 2 h" */
function describe(info: ScheduleInfo, now: number): string {
  const when = info.every ? `every ${formatSpan(info.every)}` : `cron "${info.cron}"${info.tz ? ` ${info.tz}` : ''}`;
  const state = info.status === 'paused' ? `paused${info.reason ? `: ${info.reason}` : ''}` : `active${info.nextRunAt ? `, next in ${formatSpan(Date.parse(info.nextRunAt) - now)} (${info.nextRunAt})` : ''}`;
  return `${info.pipelineId}  ${info.userId}  ${when}  ${state}${info.origin === 'default' ? '  (pipeline default)' : ''}`;
}
