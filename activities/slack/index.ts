/** Slack Web API calls made on behalf of runs: one message per run, posted then updated in place. */
import type { WebClient } from '@slack/web-api';
import { runMessage } from '../../src/lib/slack-messages/run-message.js';
import { scorecardMessage } from '../../src/lib/slack-messages/scorecard-message.js';
import type { Scorecard } from '../../workflows/drills/types.js';
import type { RunStatus, TargetSnapshot } from '../../workflows/types.js';

export interface SlackDeps {
  client?: WebClient;
}

export function createSlackActivities(deps: SlackDeps) {
  return {
    /** Returns null when this worker has no Slack token: runs then report through the CLI and the timeline only. */
    async publishRunMessage({
      channel,
      status,
      target,
    }: {
      channel: string;
      status: RunStatus;
      target: TargetSnapshot;
    }): Promise<{ channel: string; ts: string; permalink?: string } | null> {
      if (!deps.client) return null;
      const { text, blocks } = runMessage(status, target);
      if (status.slackMessage) {
        await deps.client.chat.update({
          channel: status.slackMessage.channel,
          ts: status.slackMessage.ts,
          text,
          blocks,
        });
        return status.slackMessage;
      }
      const posted = await deps.client.chat.postMessage({ channel, text, blocks });
      const ts = posted.ts!,
        ch = posted.channel ?? channel;
      const link = await deps.client.chat.getPermalink({ channel: ch, message_ts: ts }).catch(() => undefined);
      return { channel: ch, ts, permalink: link?.permalink };
    },

    /**
     * A reminder in the run message's thread (or the app channel), for a pause that still needs a
     * person. Takes the thread, not the run status (runs started before the slim input still send `status`).
     */
    async postReminder({
      target,
      text,
      ...rest
    }: {
      target: TargetSnapshot;
      text: string;
      slackMessage?: RunStatus['slackMessage'];
      status?: RunStatus;
    }): Promise<{ ts: string } | null> {
      if (!deps.client || !target.channel) return null;
      const thread = rest.slackMessage ?? rest.status?.slackMessage;
      const channel = thread?.channel ?? target.channel;
      const posted = thread
        ? await deps.client.chat.postMessage({ channel, text, thread_ts: thread.ts, reply_broadcast: true })
        : await deps.client.chat.postMessage({ channel, text });
      return { ts: posted.ts! };
    },

    async publishScorecard({ card, channel }: { card: Scorecard; channel?: string }): Promise<{ ts: string } | null> {
      if (!deps.client || !channel) return null;
      const { text, blocks } = scorecardMessage(card);
      const posted = await deps.client.chat.postMessage({ channel, text, blocks });
      return { ts: posted.ts! };
    },
  };
}
