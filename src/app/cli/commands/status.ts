/** `rewind status [app]`: the runs in progress, from Temporal visibility and each run's status query. */
import type { Command } from 'commander';
import { own } from '../../../lib/config/own-keys.js';
import { didYouMean } from '../../../lib/did-you-mean.js';
import { shown } from '../../../lib/input-limits.js';
import { RefusedError } from '../../../lib/refused.js';
import { withRewind, type CommandEnv } from '../action.js';
import { EXIT } from '../io.js';
import { runListLines } from '../render.js';

export function addStatus(program: Command, env: CommandEnv): void {
  program
    .command('status')
    .description('list the runs in progress, of one app or of all')
    .argument('[app]', 'app name from rewind.yaml')
    .option('--json', 'print the runs as a JSON array of run statuses')
    .action(async (app: string | undefined, o: { json?: boolean }) => {
      const { openRuns } = await import('../../../lib/runs.js');
      return withRewind(
        env,
        async ({ rw }) => {
          const runs = await openRuns(rw, app);
          if (o.json) env.io.out(JSON.stringify(runs));
          else runListLines(runs, app).forEach(env.io.out);
          return EXIT.ok;
        },
        (cfg) => {
          if (app !== undefined && !own(cfg.apps, app))
            throw new RefusedError(
              `unknown app ${shown(app, 40)}${didYouMean(app, Object.keys(cfg.apps))}. ` +
                `Known apps: ${Object.keys(cfg.apps).join(', ')}`,
              'unknown-target',
            );
        },
      );
    });
}
