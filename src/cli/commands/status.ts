import type { Command } from 'commander';
import { fetchProgress } from '../../client/http.js';
import type { RunSnapshot } from '../../progress/events.js';
import { followRemote, followRuns, remoteTarget } from '../follow.js';
import { openSluice, type CommonOptions } from '../options.js';
import { renderRunLine } from '../progress-bars.js';

interface StatusOptions extends CommonOptions {
  user: string;
  json?: boolean;
  follow?: boolean;
  url?: string;
  token?: string;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("show a user's runs: state, counts, errors")
    .requiredOption('--user <id>', 'user to show')
    .option('--json', 'print the snapshot as JSON')
    .option('--follow', 'keep showing progress until the running runs finish')
    .option('--url <server>', 'read from a progress server (sluice serve) instead of Redis')
    .option('--token <token>', 'progress token for --url (default: SLUICE_TOKEN)')
    .action(async (options: StatusOptions) => {
      const remote = remoteTarget(options);
      if (remote) {
        if (options.follow) await followRemote(remote, options.user);
        else print(options, (await fetchProgress({ ...remote, userId: options.user })).runs);
        return;
      }
      const sluice = await openSluice(options);
      try {
        if (options.follow) await followRuns(sluice, [options.user]);
        else {
          const runs = await sluice.status(options.user);
          print(options, runs);
          // No runs at all may mean Redis lost everything: the state marker tells.
          if (runs.length === 0 && !options.json && (await sluice.stateMarker()) === null) {
            console.log('this Redis holds no Sluice state: nothing ran against it yet, or it lost its data (restarted empty, flushed)');
          }
        }
      } finally {
        await sluice.close();
      }
    });
}

function print(options: StatusOptions, runs: RunSnapshot[]): void {
  if (options.json) console.log(JSON.stringify({ userId: options.user, runs }, null, 2));
  else if (runs.length === 0) console.log(`no runs for ${options.user}`);
  else for (const run of runs) console.log(`${renderRunLine(run)}  (${run.runId})`);
}
