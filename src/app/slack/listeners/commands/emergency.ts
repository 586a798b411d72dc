/**
 * `/emergency`: ack → parse → identify → call src/lib/runs.ts → answer ephemerally, as `/rollback`.
 * The plan (each field before → after, the Git files) is posted to the app's channel by the
 * workflow, not from here. Held runs are resolved or abandoned through ./emergency-hold.ts.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { ChangeSyntaxError, parseChange, withGitOptions } from '../../../../lib/emergency/parse-change.js';
import { clustersFromConfig, type Clusters } from '../../../../lib/kube/clusters.js';
import { listPauses } from '../../../../lib/pauses.js';
import { openRuns, RefusedError, startRun, targetSnapshot } from '../../../../lib/runs.js';
import type { LiveChange, TargetSnapshot } from '../../../../../workflows/types.js';
import { envNamesOf } from '../../command-text.js';
import { EMERGENCY_USAGE, parseEmergency, type EmergencyCommand } from '../../parse-emergency.js';
import { runLink } from '../../../../lib/slack-messages/run-message.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';
import { holdCommand } from './emergency-hold.js';
import { formatPauseList } from './pause-list.js';
import { formatRunList } from './run-list.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;
type Start = Extract<EmergencyCommand, { kind: 'start' }>;

export function emergencyCommand(deps: ListenerDeps) {
  const { cfg } = deps.rewind;
  const names = envNamesOf(cfg);
  let clusters: Clusters | undefined = deps.clusters;

  return async function emergency(args: Args): Promise<void> {
    const { ack, command, respond } = args;
    const parsed = parseEmergency(command.text ?? '', names);
    if (!parsed.ok) {
      await ack(ephemeral(`:no_entry: ${parsed.error}`));
      return;
    }
    const req = parsed.value;
    switch (req.kind) {
      case 'help':
        await ack(ephemeral(EMERGENCY_USAGE));
        return;
      case 'status':
        await ack();
        try {
          const runs = await openRuns(deps.rewind, req.app);
          await safeRespond(deps, respond, ephemeral(formatRunList(runs, req.app)));
        } catch (err) {
          await replyWithError(deps, respond, err, 'looking up runs');
        }
        return;
      case 'pauses':
        await ack();
        try {
          clusters ??= clustersFromConfig(cfg);
          await safeRespond(deps, respond, ephemeral(formatPauseList(await listPauses(cfg, clusters))));
        } catch (err) {
          await replyWithError(deps, respond, err, 'listing paused apps');
        }
        return;
      case 'resolve':
      case 'abandon':
        await holdCommand(deps, req, args);
        return;
      case 'start':
        await startEmergency(deps, req, args);
    }
  };
}

async function startEmergency(deps: ListenerDeps, req: Start, { ack, command, respond }: Args): Promise<void> {
  const { cfg } = deps.rewind;
  const who = slackIdentity(cfg, command.user_id);
  if (!who.ok) {
    await ack(ephemeral(`:no_entry: ${who.error}`));
    return;
  }
  // Resolving the target and reading the changes are local and instant: mistakes are answered in the ack itself.
  let target: TargetSnapshot;
  let changes: LiveChange[];
  try {
    target = targetSnapshot(cfg, req.app, req.env);
    changes = withGitOptions(
      req.changes.map((c) => parseChange(c, target.namespace)),
      { gitBase: req.gitBase ?? false },
    );
  } catch (err) {
    if (err instanceof ChangeSyntaxError || err instanceof RefusedError) {
      await ack(ephemeral(`:no_entry: ${err.message}`));
      return;
    }
    await ack();
    await replyWithError(deps, respond, err, 'reading the emergency change');
    return;
  }
  await ack(
    ephemeral(
      `:hourglass_flowing_sand: Starting an emergency change of ` +
        `*${target.app}/${target.env}* for ${who.person.handle}…`,
    ),
  );

  let workflowId: string | undefined;
  try {
    const started = await startRun(deps.rewind, {
      runbook: 'emergency-change',
      app: req.app,
      ...(req.env ? { env: req.env } : {}),
      requester: who.person,
      via: 'slack',
      reason: req.reason,
      source: 'slack',
      changes,
      ...(req.incidentId ? { incidentId: req.incidentId } : {}),
    });
    workflowId = started.workflowId;
    await safeRespond(deps, respond, ephemeral(startedText(started.workflowId, started.target)));
  } catch (err) {
    await replyWithError(deps, respond, err, 'starting the emergency change', workflowId);
  }
}

function startedText(workflowId: string, target: TargetSnapshot): string {
  const where = target.channel ? `<#${target.channel}>` : 'no Slack channel (none configured for this app)';
  const approval = target.approval.required
    ? ` Nothing is paused or changed ` +
      `until ${target.approval.minApprovers > 1 ? `${target.approval.minApprovers} of ` : ''}` +
      `${target.approvers.map((p) => p.handle).join(', ') || '(no approvers configured)'}` +
      ` approve${target.approval.minApprovers > 1 ? '' : 's'}.`
    : ' No approval is required in this environment.';
  const link = runLink(target, workflowId);
  return (
    `:rotating_light: Started run \`${workflowId}\`: pause auto-sync of ` +
    `*${target.app}/${target.env}*, change it live, commit the same change to Git, resume.${approval}\n` +
    `The plan (each field before → after, and the Git files) will appear in ${where}; follow ` +
    `it there, with \`rewind status ${target.app}\`${link ? `, or <${link}|in Temporal>` : ''}.`
  );
}
