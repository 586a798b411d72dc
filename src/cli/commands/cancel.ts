/** `rewind cancel <app>`: ask the app's current run to stop; owners and approvers only. */
import type { Command } from 'commander';
import { cancelRun, targetSnapshot } from '../../runs.js';
import { runWorkflowId, type PersonRef } from '../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import { cliPerson } from '../identity.js';
import { EXIT } from '../io.js';

interface CancelOptions { env?: string; as?: string; reason?: string }

export function addCancel(program: Command, env: CommandEnv): void {
  program.command('cancel')
    .description('cancel the run in progress on an app and environment')
    .argument('<app>', 'app name from rewind.yaml')
    .option('--env <env>', "environment (default: the app's only or prod environment)")
    .option('--as <handle>', 'act as this person from rewind.yaml (default $REWIND_USER, then the OS user)')
    .option('--reason <text>', 'recorded on the timeline')
    .action((app: string, o: CancelOptions) => {
      let by: PersonRef;
      return withRewind(env, async ({ rw, cfg }) => {
        const target = targetSnapshot(cfg, app, o.env);
        const workflowId = runWorkflowId(target.app, target.env);
        await cancelRun(rw, workflowId, by, o.reason);
        env.io.out(`Cancel requested for ${workflowId} by ${by.handle}. Follow it with: rewind status ${target.app}`);
        return EXIT.ok;
      }, (cfg) => { by = cliPerson(cfg, o.as); });
    });
}
