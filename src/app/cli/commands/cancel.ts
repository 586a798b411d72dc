/** `rewind cancel <app>`: ask the app's current run to stop; owners and approvers only. */
import type { Command } from 'commander';
import { runWorkflowId } from '../../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import type { CliIdentity } from '../identity.js';
import { identityOptions } from '../identity-options.js';
import { EXIT } from '../io.js';

interface CancelOptions {
  env?: string;
  as?: string;
  kubeContext?: string;
  reason?: string;
}

export function addCancel(program: Command, env: CommandEnv): void {
  identityOptions(
    program
      .command('cancel')
      .description('cancel the run in progress on an app and environment')
      .argument('<app>', 'app name from rewind.yaml')
      .option('--env <env>', "environment (default: the app's only or prod environment)"),
  )
    .option('--reason <text>', 'recorded on the timeline')
    .action(async (app: string, o: CancelOptions) => {
      const [{ cancelRun, checkText, targetSnapshot }, { cliIdentity }] = await Promise.all([
        import('../../../lib/runs.js'),
        import('../identity.js'),
      ]);
      let who: CliIdentity, target: ReturnType<typeof targetSnapshot>;
      return withRewind(
        env,
        async ({ rw }) => {
          const workflowId = runWorkflowId(target.app, target.env);
          await cancelRun(rw, workflowId, who.person, o.reason, who.via);
          env.io.out(
            `Cancel requested for ${workflowId} by ${who.person.handle}. Follow it with: rewind status ${target.app}`,
          );
          return EXIT.ok;
        },
        async (cfg) => {
          target = targetSnapshot(cfg, app, o.env);
          checkText('reason', o.reason, '--reason');
          who = await cliIdentity(cfg, { as: o.as, kubeContext: o.kubeContext, cluster: target.cluster });
        },
      );
    });
}
