/**
 * What the promotion watch does about a failed verification: start the rollback itself where
 * the environment's autoRollback policy says so (under the same app/env lock as every run:
 * another run or a drill holding it refuses, and the post says who holds it), and post the
 * verdict with a Roll back button to the app's channel.
 */
import type { WebClient } from '@slack/web-api';
import { activityInfo, getClient } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { loadRunbook } from '../../src/lib/runbooks/load.js';
import { promotionVerdictMessage } from '../../src/lib/slack-messages/promotion-message.js';
import { RewindApp, RewindEnv, RewindRunbook } from '../../src/lib/temporal/search-attributes.js';
import { statusQuery } from '../../workflows/messages.js';
import { runWorkflowId, type RunRequest, type TargetSnapshot } from '../../workflows/types.js';
import { AUTO_ROLLBACK_PERSON, type PromotionTrigger } from '../../workflows/verification/types.js';
import type { PromotionVerification } from '../../workflows/watch/promotion-types.js';

export interface PromotionDeps {
  client?: WebClient;
}

/** Who holds the app/env lock right now, in words; undefined when nobody does. */
export async function describeTargetHolder(client: Client, target: TargetSnapshot): Promise<string | undefined> {
  const id = runWorkflowId(target.app, target.env);
  const handle = client.workflow.getHandle(id);
  const info = await handle.describe().catch(() => undefined);
  if (info?.status.name !== 'RUNNING') return undefined;
  if (info.type !== 'runbookWorkflow') return `${target.app}/${target.env} is held by a game-day drill (${id}).`;
  const s = await handle.query(statusQuery).catch(() => undefined);
  return (
    `${target.app}/${target.env} is held ` +
    `by ${s ? `${s.runbook} requested by ${s.requester} (${s.phase}): ${s.reason}` : `another run (${id})`}.`
  );
}

export function createPromotionActivities(deps: PromotionDeps) {
  return {
    /**
     * Starts the rollback of `trigger.promotion` as the autoRollback policy's run: requester
     * "rewind (autoRollback policy of app/env)", source `auto`, the promotion as `--to`. The
     * workflow itself checks the policy against its target snapshot. Refused, not failed, when the
     * app/env lock is held (another run, a drill): `why` says by whom.
     */
    async startAutoRollback({
      target,
      trigger,
    }: {
      target: TargetSnapshot;
      trigger: PromotionTrigger;
    }): Promise<{ started: true; workflowId: string; runId: string } | { started: false; why: string }> {
      const client = getClient();
      const runbook = await loadRunbook('rollback');
      const workflowId = runWorkflowId(target.app, target.env);
      const fired = trigger.failed.filter((f) => trigger.policy?.fired.includes(f.name));
      const request: RunRequest = {
        requester: AUTO_ROLLBACK_PERSON(target.app, target.env),
        source: 'auto',
        commit: trigger.promotion,
        trigger,
        reason: (
          `autoRollback: ${fired.map((f) => f.message).join('; ')}` +
          ` after promotion ${trigger.promotion.slice(0, 7)}`
        ).slice(0, 480),
      };
      try {
        const handle = await client.workflow.start('runbookWorkflow', {
          taskQueue: activityInfo().taskQueue,
          workflowId,
          args: [{ runbook, target, request }],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          typedSearchAttributes: [
            { key: RewindApp, value: target.app },
            { key: RewindEnv, value: target.env },
            { key: RewindRunbook, value: runbook.name },
          ],
          memo: { requester: request.requester.handle, reason: request.reason },
        });
        return { started: true, workflowId, runId: handle.firstExecutionRunId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        return {
          started: false,
          why: (await describeTargetHolder(client, target)) ?? `${workflowId} is held by another run.`,
        };
      }
    },

    /** Posts the failed verification to the app's channel (null without Slack or a channel). */
    async postPromotionVerdict({
      target,
      verification,
    }: {
      target: TargetSnapshot;
      verification: PromotionVerification;
    }): Promise<{ channel: string; ts: string } | null> {
      if (!deps.client || !target.channel) return null;
      const holder =
        verification.action?.kind === 'auto-rollback'
          ? undefined
          : await describeTargetHolder(getClient(), target).catch(() => undefined);
      const { text, blocks } = promotionVerdictMessage(verification, target, holder);
      const posted = await deps.client.chat.postMessage({ channel: target.channel, text, blocks });
      return { channel: posted.channel ?? target.channel, ts: posted.ts! };
    },
  };
}
