/**
 * Invariant 1 of the emergency path: a run that cannot finish after pausing auto-sync never ends
 * silently. It keeps auto-sync paused and reminds the channel on a durable timer until a person
 * resolves it (the fix is in Git: verified, then resumed) or abandons it (resume; Git wins).
 */
import { condition } from '@temporalio/workflow';
import { notifyActs, readActs } from './activities.js';
import { notifyProgress } from './notify.js';
import type { StepContext } from './step-context.js';
import type { PersonRef } from './types.js';

export interface HoldRequests { resolve?: PersonRef; abandon?: PersonRef }

export async function holdPaused(ctx: StepContext, why: string, requests: HoldRequests, remindEveryMs: number): Promise<{ phase: 'resolved' | 'abandoned'; result: string }> {
  const { target } = ctx.input;
  const state = ctx.state;
  state.phase('held-paused');
  state.status.result = `Auto-sync of ${target.app}/${target.env} stays PAUSED: ${why}. The live change is not in Git yet. Resolve (once Git holds it) or abandon (resume and let Git win).`;
  state.record('note', 'rewind', state.status.result);
  await notifyProgress(ctx);
  for (let reminder = 1; ; reminder++) {
    const asked = await condition(() => requests.resolve !== undefined || requests.abandon !== undefined, remindEveryMs);
    if (!asked) {
      const since = state.status.pause?.since ?? state.status.startedAt;
      state.record('note', 'rewind', `reminder ${reminder}: auto-sync of ${target.app}/${target.env} paused since ${since}`);
      if (target.channel) {
        await notifyActs.postReminder({ target, status: state.status, text: `:rotating_light: Reminder ${reminder}: auto-sync of *${target.app}/${target.env}* is still paused by rewind since ${since} (${why}). Resolve with \`rewind resolve ${target.app} --env ${target.env}\` once Git holds the change, or \`rewind abandon ${target.app} --env ${target.env} --confirm\` to let Git win.` }).catch(() => undefined);
      }
      continue;
    }
    if (requests.abandon) {
      const by = requests.abandon;
      if (ctx.pause?.policy) await readActs.resumeAutoSync({ target, policy: ctx.pause.policy });
      ctx.pause = undefined;
      state.status.pause = undefined;
      return { phase: 'abandoned', result: `Abandoned by ${by.handle}: auto-sync resumed and Git wins; the live change will be undone by the engine.` };
    }
    const by = requests.resolve!;
    requests.resolve = undefined;
    const gate = await readActs.gitMatchesLive({ target, changes: ctx.input.request.changes ?? [] });
    if (!gate.matches) {
      state.record('note', by.handle, `resolve refused: Git still differs from live at ${gate.remaining.map((r) => `${r.object}${r.path}`).join(', ')}`);
      await notifyProgress(ctx);
      continue;
    }
    if (ctx.pause?.policy) await readActs.resumeAutoSync({ target, policy: ctx.pause.policy });
    ctx.pause = undefined;
    state.status.pause = undefined;
    return { phase: 'resolved', result: `Resolved by ${by.handle}: Git at ${gate.revision.slice(0, 7)} holds the live change; auto-sync restored.` };
  }
}
