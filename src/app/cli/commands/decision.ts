/**
 * Shared body of `rewind approve` and `rewind reject`. The person first sees what they decide on:
 * the run's id, who asked and why, and its plan (the promotion to revert, or the live changes).
 * At a terminal they confirm it (y/N); without one, `--run <id>` says which run they looked at.
 * The decision carries that run id and how the person was proven, and goes through the workflow's
 * update, whose validator refuses self-approval, non-approvers, another run than the one named,
 * a typed identity where the environment requires a proven one, and runs not waiting for one.
 */
import type { Command } from 'commander';
import { decisionOutcome, closedRunText } from '../../../lib/decision-outcome.js';
import { shown } from '../../../lib/input-limits.js';
import { RefusedError } from '../../../lib/refused.js';
import { runWorkflowId, type Decision, type RunStatus } from '../../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import type { CliIdentity } from '../identity.js';
import { identityOptions } from '../identity-options.js';
import { EXIT } from '../io.js';
import { decisionSummaryLines } from '../render.js';

interface DecisionOptions {
  env?: string;
  as?: string;
  kubeContext?: string;
  comment?: string;
  run?: string;
}

export function addDecision(
  program: Command,
  env: CommandEnv,
  decision: Decision['decision'],
  description: string,
): void {
  identityOptions(
    program
      .command(decision)
      .description(description)
      .argument('<app>', 'app name from rewind.yaml')
      .option('--env <env>', "environment (default: the app's only or prod environment)"),
  )
    .option(
      '--run <id>',
      `the run id you ${decision} (the plan shows it); required ` +
        `without a terminal, where rewind cannot ask you to confirm`,
    )
    .option('--comment <text>', 'recorded on the timeline with the decision')
    .action(async (app: string, o: DecisionOptions) => {
      const [{ checkText, decide, runStatus, targetSnapshot }, { cliIdentity }] = await Promise.all([
        import('../../../lib/runs.js'),
        import('../identity.js'),
      ]);
      let who: CliIdentity, target: ReturnType<typeof targetSnapshot>;
      return withRewind(
        env,
        async ({ rw }) => {
          const workflowId = runWorkflowId(target.app, target.env);
          const status = await runStatus(rw, workflowId);
          refuseUnlessWaiting(status);
          decisionSummaryLines(status).forEach(env.io.out);
          env.io.out(`You: ${who.person.handle} (${who.proof})`);
          const runId = status.runId!;
          const again = `rewind ${decision} ${target.app} --env ${target.env} --run ${runId}`;
          if (o.run !== undefined) {
            if (o.run !== runId)
              throw new RefusedError(
                `--run ${shown(o.run, 60)} is not the run waiting on ${target.app}/${target.env}: ` +
                  `that is run ${runId} (shown above, requested by ${status.requester}). ` +
                  `If you mean it, check its plan above and run: ${again}`,
                'bad-input',
              );
          } else if (env.io.ask) {
            const answer = await env.io.ask(
              `${decision === 'approve' ? 'Approve' : 'Reject'} run ${runId}` +
                ` of ${target.app}/${target.env} as ${who.person.handle}? [y/N] `,
            );
            if (!/^\s*y(es)?\s*$/i.test(answer)) {
              env.io.err(`Not ${decision === 'approve' ? 'approved' : 'rejected'}: nothing was sent.`);
              return EXIT.failed;
            }
          } else {
            throw new RefusedError(
              `rewind ${decision} cannot ask you to confirm here (no ` +
                `terminal). Check the plan above, then name the run: ${again}`,
              'bad-input',
            );
          }
          const result = await decide(rw, workflowId, {
            decision,
            by: who.person,
            runId,
            via: who.via,
            ...(o.comment ? { comment: o.comment } : {}),
          });
          env.io.out(decisionOutcome(result, decision, who.person.handle));
          return EXIT.ok;
        },
        async (cfg) => {
          target = targetSnapshot(cfg, app, o.env);
          checkText('comment', o.comment, '--comment');
          who = await cliIdentity(cfg, { as: o.as, kubeContext: o.kubeContext, cluster: target.cluster });
        },
      );
    });
}

/** A run that is not waiting for a decision is refused before anything is shown or asked. */
function refuseUnlessWaiting(status: RunStatus): void {
  if (status.phase === 'planning')
    throw new RefusedError(
      `run ${status.workflowId} is still planning: decide once it shows its plan (rewind status ${status.app})`,
      'busy',
    );
  if (status.phase !== 'awaiting-approval') throw new RefusedError(closedRunText(status), 'not-found');
  // Every run started by this rewind reports it (workflows/run-state.ts); without it the decision
  // could not be bound to the run.
  if (!status.runId)
    throw new RefusedError(
      `run ${status.workflowId} does not report its run id (it was started by an ` +
        `older rewind), so a decision cannot be bound to it here; use its Slack message`,
      'bad-input',
    );
}
