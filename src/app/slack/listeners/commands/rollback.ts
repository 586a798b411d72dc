/**
 * `/rollback`: ack → parse → identify → call src/lib/runs.ts → answer ephemerally. The plan itself
 * is posted to the app's channel by the workflow (publishRunMessage), not from here, so a run
 * started from the CLI looks the same in Slack.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { openRuns, startRun, targetSnapshot, RefusedError } from '../../../../lib/runs.js';
import { envNamesOf } from '../../command-text.js';
import { parseRollback, ROLLBACK_USAGE, type RollbackCommand } from '../../parse-rollback.js';
import { runLink } from '../../../../lib/slack-messages/run-message.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';
import { formatRunList } from './run-list.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

export function rollbackCommand(deps: ListenerDeps) {
  const { cfg } = deps.rewind;
  const { envsOf, anyEnv } = envNamesOf(cfg);

  return async function rollback({ ack, command, respond }: Args): Promise<void> {
    const parsed = parseRollback(command.text ?? '', envsOf, anyEnv);
    if (!parsed.ok) {
      await ack(ephemeral(`:no_entry: ${parsed.error}`));
      return;
    }
    const req = parsed.value;
    if (req.kind === 'help') {
      await ack(ephemeral(ROLLBACK_USAGE));
      return;
    }
    if (req.kind === 'status') {
      await ack();
      try {
        const runs = await openRuns(deps.rewind, req.app);
        await safeRespond(deps, respond, ephemeral(formatRunList(runs, req.app)));
      } catch (err) {
        await replyWithError(deps, respond, err, 'looking up runs');
      }
      return;
    }

    const who = slackIdentity(cfg, command.user_id);
    if (!who.ok) {
      await ack(ephemeral(`:no_entry: ${who.error}`));
      return;
    }
    // Resolving the target is local and instant, so an unknown app or environment is answered in the ack itself.
    let target;
    try {
      target = targetSnapshot(cfg, req.app, req.env);
    } catch (err) {
      await ack(
        ephemeral(
          `:no_entry: ${err instanceof RefusedError ? err.message : 'that app or environment cannot be resolved'}`,
        ),
      );
      return;
    }
    await ack(
      ephemeral(
        `:hourglass_flowing_sand: Starting rollback of *${target.app}/${target.env}* for ${who.person.handle}…`,
      ),
    );

    let workflowId: string | undefined;
    try {
      const started = await startRun(deps.rewind, {
        runbook: 'rollback',
        app: req.app,
        ...(req.env ? { env: req.env } : {}),
        requester: who.person,
        via: 'slack',
        reason: req.reason,
        source: 'slack',
        ...(req.commit ? { commit: req.commit } : {}),
        ...(req.incidentId ? { incidentId: req.incidentId } : {}),
      });
      workflowId = started.workflowId;
      await safeRespond(deps, respond, ephemeral(startedText(req, started.workflowId, started.target)));
    } catch (err) {
      await replyWithError(deps, respond, err, 'starting the rollback', workflowId);
    }
  };
}

function startedText(
  req: Extract<RollbackCommand, { kind: 'start' }>,
  workflowId: string,
  target: ReturnType<typeof targetSnapshot>,
): string {
  const where = target.channel ? `<#${target.channel}>` : 'no Slack channel (none configured for this app)';
  const approval = target.approval.required
    ? ` It needs approval from ${target.approval.minApprovers > 1 ? `${target.approval.minApprovers} of ` : ''}` +
      `${target.approvers.map((p) => p.handle).join(', ') || '(no approvers configured)'}` +
      ` before anything changes.`
    : ' No approval is required in this environment.';
  const link = runLink(target, workflowId);
  return (
    `:rewind: Started run \`${workflowId}\` to roll ` +
    `back ${req.commit ? `commit \`${req.commit}\` of ` : 'the last promotion of '}` +
    `*${target.app}/${target.env}*.${approval}\n` +
    `The plan will appear in ${where}; follow it there, with \`rewind ` +
    `status ${target.app}\`${link ? `, or <${link}|in Temporal>` : ''}.`
  );
}
