/** Keeps the run's Slack message in step with its status: posted once, then updated in place. */
import { notifyActs } from './activities.js';
import type { StepContext } from './step-context.js';

export async function notifyProgress(ctx: StepContext): Promise<void> {
  const channel = ctx.input.target.channel;
  if (!channel) return;
  try {
    const msg = await notifyActs.publishRunMessage({ channel, status: ctx.state.status, target: ctx.input.target });
    if (msg && !ctx.state.status.slackMessage) {
      ctx.state.status.slackMessage = msg;
      ctx.state.record('evidence', 'rewind', 'posted the plan to Slack', { channel: msg.channel, ts: msg.ts, permalink: msg.permalink });
    }
  } catch (err) {
    // Best effort: a Slack outage is recorded, never allowed to stop a rollback.
    ctx.state.record('failure', 'rewind', `Slack update failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
