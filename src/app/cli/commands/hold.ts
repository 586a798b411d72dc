/**
 * Shared body of `rewind resolve` and `rewind abandon`, for an emergency run that holds
 * auto-sync paused. The run does the work (resolve: check that Git renders the live change,
 * then resume; abandon: resume and let Git win); this waits for its outcome and says it.
 */
import type { Command } from 'commander';
import { escaped } from '../../../lib/input-limits.js';
import type { HoldOutcome } from '../../../lib/runs.js';
import { runWorkflowId } from '../../../../workflows/types.js';
import { withRewind, type CommandEnv } from '../action.js';
import type { CliIdentity } from '../identity.js';
import { identityOptions } from '../identity-options.js';
import { EXIT } from '../io.js';
import { heldLines } from '../render.js';

interface HoldOptions {
  env: string;
  as?: string;
  kubeContext?: string;
  comment?: string;
  confirm?: boolean;
  json?: boolean;
}

/** What abandon does, said before it is done and whenever --confirm is missing. */
export const abandonWarning = (typedApp: string, typedEnv: string, app = escaped(typedApp), env = escaped(typedEnv)) =>
  `abandon resumes auto-sync of ${app}/${env} now and lets Git win: the engine undoes the ` +
  `live change. If that is what you want, run: rewind abandon ${app} --env ${env} --confirm\n` +
  `If the fix is in Git, run instead: rewind resolve ${app} --env ${env}`;

export function addHold(program: Command, env: CommandEnv, kind: 'resolve' | 'abandon', description: string): void {
  const cmd = identityOptions(
    program
      .command(kind)
      .description(description)
      .argument('<app>', 'app name from rewind.yaml')
      .requiredOption('--env <env>', 'environment of the held run, e.g. prod'),
  )
    .option('--comment <text>', 'recorded on the timeline')
    .option('--json', 'print the outcome and the run status as JSON on stdout');
  if (kind === 'abandon') cmd.option('--confirm', 'required: you accept that Git undoes the live change');
  cmd.action(async (app: string, o: HoldOptions) => {
    if (kind === 'abandon' && !o.confirm) {
      env.io.err(`rewind: refused: ${abandonWarning(app, o.env)}`);
      env.exit(EXIT.failed);
      return;
    }
    const [{ checkText, settleHold, targetSnapshot }, { cliIdentity }] = await Promise.all([
      import('../../../lib/runs.js'),
      import('../identity.js'),
    ]);
    let who: CliIdentity, target: ReturnType<typeof targetSnapshot>;
    return withRewind(
      env,
      async ({ rw }) => {
        const workflowId = runWorkflowId(target.app, target.env);
        const say = o.json ? env.io.err : env.io.out;
        say(
          kind === 'resolve'
            ? `Asking ${workflowId} to check that Git holds the live change, then resume auto-sync…`
            : `Abandoning the live change of ${target.app}/${target.env}: resuming auto-sync, Git wins…`,
        );
        const outcome = await settleHold(
          rw,
          workflowId,
          who.person,
          kind === 'resolve' ? { action: 'resolve', via: who.via } : { action: 'abandon', confirm: true, via: who.via },
          o.comment,
        );
        if (o.json) env.io.out(JSON.stringify(outcome));
        else outcomeText(outcome).forEach(env.io.out);
        return outcome.outcome === 'resolved' || outcome.outcome === 'abandoned' ? EXIT.ok : EXIT.notRestored;
      },
      async (cfg) => {
        target = targetSnapshot(cfg, app, o.env);
        checkText('comment', o.comment, '--comment');
        who = await cliIdentity(cfg, { as: o.as, kubeContext: o.kubeContext, cluster: target.cluster });
      },
    );
  });
}

function outcomeText(o: HoldOutcome): string[] {
  switch (o.outcome) {
    case 'resolved':
    case 'abandoned':
      return [`${o.status.workflowId}: ${o.status.phase}`, ...(o.status.result ? [o.status.result] : [])];
    case 'still-held':
      return [
        `Not resolved: Git does not hold the live change yet (${o.why}). Auto-sync stays paused.`,
        ...heldLines(o.status).slice(1),
      ];
    case 'pending':
      return [
        `${o.status.workflowId} took the request but has not finished it yet ` +
          `(${o.status.phase}). Follow it with: rewind status ${o.status.app}`,
      ];
  }
}
