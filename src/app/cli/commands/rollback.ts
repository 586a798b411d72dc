/** `rewind rollback`: start the rollback runbook, print the plan and each step, exit with the outcome. */
import type { Command } from 'commander';
import type { StartRequest } from '../../../lib/runs.js';
import { withRewind, type CommandEnv } from '../action.js';
import { identityOptions } from '../identity-options.js';
import { outcomeLines } from '../render.js';

interface RollbackOptions {
  env: string;
  to?: string;
  incident?: string;
  reason: string;
  yes?: boolean;
  as?: string;
  kubeContext?: string;
  json?: boolean;
  wait: boolean;
}

export function addRollback(program: Command, env: CommandEnv): void {
  identityOptions(
    program
      .command('rollback')
      .description('revert the last promotion (or --to <sha>) of an app in one environment, through Git')
      .argument('<app>', 'app name from rewind.yaml')
      .requiredOption('--env <env>', 'environment, e.g. staging or prod')
      .option('--to <sha>', 'revert this commit instead of the newest promotion')
      .option('--incident <id>', 'incident id for the commit trailer and the timeline')
      .requiredOption('--reason <text>', 'why: goes into the revert commit and the timeline')
      .option('--yes', 'approve in advance, where the approval policy allows it (allowCliYes)'),
  )
    .option('--json', 'print only the final run status as JSON on stdout')
    .option('--no-wait', 'print the run id and return once the run has started')
    .action((app: string, o: RollbackOptions) => rollback(env, app, o));
}

async function rollback(env: CommandEnv, app: string, o: RollbackOptions): Promise<void> {
  const { io } = env;
  const [{ checkStart, startRun, targetSnapshot }, { cliIdentity }, { followRun }] = await Promise.all([
    import('../../../lib/runs.js'),
    import('../identity.js'),
    import('../follow-run.js'),
  ]);
  let req: StartRequest;
  await withRewind(
    env,
    async ({ rw }) => {
      const started = await startRun(rw, req);
      return followRun(io, rw, {
        started,
        what: 'rollback',
        requester: req.requester.handle,
        ...(o.json ? { json: true } : {}),
        wait: o.wait,
        outcome: outcomeLines,
      });
    },
    async (cfg) => {
      // Before connecting to Temporal: the target, who asks (the target's cluster says so) and the texts.
      const who = await cliIdentity(cfg, {
        as: o.as,
        kubeContext: o.kubeContext,
        cluster: targetSnapshot(cfg, app, o.env).cluster,
      });
      req = {
        runbook: 'rollback',
        app,
        env: o.env,
        requester: who.person,
        via: who.via,
        reason: o.reason,
        source: 'cli',
        ...(o.to !== undefined ? { commit: o.to } : {}),
        ...(o.incident !== undefined ? { incidentId: o.incident } : {}),
        ...(o.yes ? { preApproved: true } : {}),
      };
      checkStart(cfg, req);
    },
  );
}
