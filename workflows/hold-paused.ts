/**
 * Invariant 1 of the emergency path: a run that cannot finish after pausing auto-sync never ends
 * silently. It keeps auto-sync paused, renews its lease and reminds the channel on a durable
 * timer until a person resolves it (the fix is in Git: verified, resumed, Synced and Healthy) or
 * abandons it (resume; Git wins). Errors while resolving are reported and the hold goes on.
 */
import { condition } from '@temporalio/workflow';
import { gitActs, notifyActs, readActs, waitActs } from './activities.js';
import { notifyProgress } from './notify.js';
import type { StepContext } from './step-context.js';
import type { PersonRef } from './types.js';
import { failureMessage as reason } from './failure-message.js';

export interface HoldRequests { resolve?: PersonRef; abandon?: PersonRef }

async function resumeAndVerify(ctx: StepContext, revision: string): Promise<string> {
  const { target } = ctx.input;
  if (ctx.pause?.policy) await gitActs.resumeAutoSync({ target, policy: ctx.pause.policy });
  ctx.pause = undefined;
  ctx.state.status.pause = undefined;
  await readActs.requestRefresh({ target, token: `${ctx.runKey}/resolve`, revision });
  const synced = await waitActs.waitForSynced({ target, revision, timeoutMs: target.health.timeoutMs });
  const health = await waitActs.verifyHealth({ target, windowMs: target.health.windowMs, timeoutMs: target.health.timeoutMs });
  return `${synced.synced ? `Synced at ${revision.slice(0, 7)}` : `not yet Synced (${synced.state.syncStatus})`}; ${health.restored ? 'Healthy' : `NOT healthy: ${health.message}`}`;
}

export async function holdPaused(ctx: StepContext, why: string, requests: HoldRequests, remindEveryMs: number): Promise<{ phase: 'resolved' | 'abandoned'; result: string }> {
  const { target } = ctx.input;
  const state = ctx.state;
  const cause = why.replace(/[.\s]+$/, '');
  state.phase('held-paused');
  state.status.result = `Auto-sync of ${target.app}/${target.env} stays PAUSED: ${cause}. The live change is not in Git yet. Resolve (once Git holds it) or abandon (resume and let Git win).`;
  state.record('note', 'rewind', state.status.result);
  await notifyProgress(ctx);
  for (let reminder = 1; ; reminder++) {
    const asked = await condition(() => requests.resolve !== undefined || requests.abandon !== undefined, remindEveryMs);
    if (!asked) {
      const since = state.status.pause?.since ?? state.status.startedAt;
      state.record('note', 'rewind', `reminder ${reminder}: auto-sync of ${target.app}/${target.env} paused since ${since}`);
      // The run still holds the pause: keep its lease current so `rewind pauses` does not call it expired.
      const lease = ctx.pause?.lease;
      if (lease) {
        const renewed = { ...lease, expiresAt: new Date(Date.now() + Math.max(remindEveryMs * 2, Date.parse(lease.expiresAt) - Date.parse(lease.pausedAt))).toISOString() };
        await gitActs.renewPauseLease({ target, lease: renewed }).then(() => { ctx.pause!.lease = renewed; if (state.status.pause) state.status.pause.lease = renewed; }, () => undefined);
      }
      if (target.channel) {
        await notifyActs.postReminder({ target, status: state.status, text: `:rotating_light: Reminder ${reminder}: auto-sync of *${target.app}/${target.env}* is still paused by rewind since ${since} (${cause}). Resolve with \`rewind resolve ${target.app} --env ${target.env}\` once Git holds the change, or \`rewind abandon ${target.app} --env ${target.env} --confirm\` to let Git win.` }).catch(() => undefined);
      }
      continue;
    }
    try {
      if (requests.abandon) {
        const by = requests.abandon;
        // Resume first: that is what abandon promises even if the changed object is gone by now.
        if (ctx.pause?.policy) await gitActs.resumeAutoSync({ target, policy: ctx.pause.policy });
        const after = await readActs.gitMatchesLive({ target, changes: ctx.input.request.changes ?? [] })
          .then((head) => resumeAndVerify(ctx, head.revision), (err: unknown) => `not verified: ${reason(err)}`);
        ctx.pause = undefined;
        ctx.state.status.pause = undefined;
        return { phase: 'abandoned', result: `Abandoned by ${by.handle}: auto-sync resumed to its recorded policy and Git wins (${after}); the live change is undone.` };
      }
      const by = requests.resolve!;
      requests.resolve = undefined;
      const gate = await readActs.gitMatchesLive({ target, changes: ctx.input.request.changes ?? [] });
      if (!gate.matches) {
        state.record('note', by.handle, `resolve refused: Git still differs from live at ${gate.remaining.map((r) => `${r.object}${r.path}`).join(', ')}`);
        await notifyProgress(ctx);
        continue;
      }
      const after = await resumeAndVerify(ctx, gate.revision);
      return { phase: 'resolved', result: `Resolved by ${by.handle}: Git at ${gate.revision.slice(0, 7)} holds the live change; auto-sync restored; ${after}.` };
    } catch (err) {
      // Never end with the pause behind us: report, and keep holding until someone tries again.
      requests.resolve = undefined;
      requests.abandon = undefined;
      state.phase('held-paused');
      state.record('failure', 'rewind', `could not settle the held pause: ${reason(err)}; still holding`);
      await notifyProgress(ctx);
    }
  }
}
