/**
 * Shared body of `rewind approve` and `rewind reject`: the decision goes through the workflow's
 * update, whose validator refuses self-approval, non-approvers and runs not waiting for one.
 */
import type { Command } from 'commander';
import { decide, targetSnapshot } from '../../runs.js';
import { runWorkflowId, type Decision, type PersonRef } from '../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import { cliPerson } from '../identity.js';
import { EXIT } from '../io.js';

interface DecisionOptions { env?: string; as?: string; comment?: string }

export function addDecision(program: Command, env: CommandEnv, decision: Decision['decision'], description: string): void {
  program.command(decision)
    .description(description)
    .argument('<app>', 'app name from rewind.yaml')
    .option('--env <env>', "environment (default: the app's only or prod environment)")
    .option('--as <handle>', 'act as this person from rewind.yaml (default $REWIND_USER, then the OS user)')
    .option('--comment <text>', 'recorded on the timeline with the decision')
    .action((app: string, o: DecisionOptions) => {
      let by: PersonRef;
      return withRewind(env, async ({ rw, cfg }) => {
        const target = targetSnapshot(cfg, app, o.env);
        const workflowId = runWorkflowId(target.app, target.env);
        const status = await decide(rw, workflowId, { decision, by, ...(o.comment ? { comment: o.comment } : {}) });
        env.io.out(`${by.handle} ${decision === 'approve' ? 'approved' : 'rejected'} ${workflowId} (${status.runbook} requested by ${status.requester}); it is now ${status.phase}.`);
        return EXIT.ok;
      }, (cfg) => { by = cliPerson(cfg, o.as); });
    });
}
