/**
 * Invariant 1 of the emergency path: a run that cannot finish after pausing auto-sync never ends
 * silently. It keeps auto-sync paused, renews its lease and reminds the channel on a durable
 * timer until a person resolves it (the fix is in Git: verified, resumed, Synced and Healthy) or
 * abandons it (resume; Git wins). Errors while resolving are reported and the hold goes on.
 *
 * A hold can last weeks: when Temporal suggests it (or after MAX_REMINDERS_PER_RUN reminders) the
 * run continues as new, carrying the hold's state, so it never reaches the history limits that
 * would terminate it with auto-sync still paused.
 */
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { gitActs, notifyActs, readActs, waitActs } from './activities.js';
import { PauseGuard } from './pause-guard.js';
import { resumableContext, type StepContext } from './step-context.js';
import type { PersonRef, RunInput, RunStatus } from './types.js';
import { failureMessage as reason } from './failure-message.js';

export interface HoldRequests {
  resolve?: PersonRef;
  abandon?: PersonRef;
}

/** A bound on one run's history in a hold, whatever the server suggests: 500 reminders ≈ 5 days at 15 min. */
export const MAX_REMINDERS_PER_RUN = 500;

async function resumeAndVerify(ctx: StepContext, revision: string, resolving: boolean): Promise<string> {
  const { target } = ctx.input;
  // Resolving keeps the live change: the engine must know the commit that holds it before it may act.
  if (resolving)
    await waitActs.awaitEngineRevision({ target, revision, token: `${ctx.runKey}/resolve-fetch`, timeoutMs: 600_000 });
  if (ctx.pause?.policy) await gitActs.resumeAutoSync({ target, policy: ctx.pause.policy });
  ctx.pause = undefined;
  ctx.state.status.pause = undefined;
  await readActs.requestRefresh({ target, token: `${ctx.runKey}/resolve`, revision });
  const synced = await waitActs.waitForSynced({ target, revision, timeoutMs: target.health.timeoutMs });
  const health = await waitActs.verifyHealth({
    target,
    windowMs: target.health.windowMs,
    timeoutMs: target.health.timeoutMs,
    since: synced.at ?? new Date().toISOString(),
  });
  return (
    `${synced.synced ? `Synced at ${revision.slice(0, 7)}` : `not yet Synced (${synced.state.syncStatus})`}` +
    `; ${health.restored ? 'Healthy' : `NOT healthy: ${health.message}`}`
  );
}

/** Continues the hold in a new run of the chain: the run's state and what its steps found, nothing else. */
async function continueHold(ctx: StepContext, why: string, reminders: number): Promise<never> {
  await condition(allHandlersFinished);
  const next: RunInput = {
    runbook: ctx.input.runbook,
    target: ctx.input.target,
    request: ctx.input.request,
    resume: {
      runKey: ctx.runKey,
      why,
      reminders,
      status: ctx.state.status,
      timeline: ctx.state.timeline,
      context: resumableContext(ctx),
    },
  };
  return continueAsNew<(input: RunInput) => Promise<RunStatus>>(next);
}

/**
 * @param broken set when the hold starts because the pause itself was broken (the guard saw auto-sync
 *   come back on, or a patched field change): the run says so instead of claiming auto-sync is paused.
 */
export async function holdPaused(
  ctx: StepContext,
  why: string,
  requests: HoldRequests,
  remindEveryMs: number,
  remindedBefore: number,
  broken?: string,
): Promise<{ phase: 'resolved' | 'abandoned'; result: string }> {
  const { target } = ctx.input;
  const state = ctx.state;
  const cause = why.replace(/[.\s]+$/, '');
  const git = ctx.commitSha
    ? `The live change is in Git at ${ctx.commitSha.slice(0, 7)}; resolve resumes once Git renders it`
    : 'The live change is not in Git yet; resolve once Git holds it';
  const brokenText = (how: string) =>
    `The pause of ${target.app}/${target.env} was broken${how}. Check ` +
    `the live change. ${git}, or abandon (resume and let Git win).`;
  // The pause stands watch while held too: someone turning auto-sync back on is said at once.
  const guard = new PauseGuard();
  const watch = () =>
    guard.start(ctx, (violation) => {
      state.status.result = brokenText(` while rewind held it: ${violation}`);
      ctx.notifier.poke();
    });
  if (ctx.pause && !broken) watch();
  if (remindedBefore === 0) {
    state.phase('held-paused');
    state.status.result = broken
      ? brokenText(` ${cause.replace(/^The pause was broken /, '')}`)
      : `Auto-sync of ${target.app}/${target.env} stays PAUSED: ${cause}. ${git}, or abandon (resume and let Git win).`;
    state.record('note', 'rewind', state.status.result);
    ctx.notifier.poke();
  }
  for (let reminder = remindedBefore + 1; ; reminder++) {
    const asked = await condition(
      () => requests.resolve !== undefined || requests.abandon !== undefined,
      remindEveryMs,
    );
    if (!asked) {
      const since = state.status.pause?.since ?? state.status.startedAt;
      state.recordReminder(
        reminder,
        `reminded the channel ${reminder} time(s), every ` +
          `${
            remindEveryMs >= 60_000
              ? `${Math.round(remindEveryMs / 60_000)} min`
              : `${Math.round(remindEveryMs / 1000)} s`
          }` +
          `: auto-sync of ${target.app}/${target.env} paused since ${since}`,
      );
      // The run still holds the pause: keep its lease current so `rewind pauses` does not call it expired.
      const lease = ctx.pause?.lease;
      if (lease) {
        const renewed = {
          ...lease,
          expiresAt: new Date(
            Date.now() + Math.max(remindEveryMs * 2, Date.parse(lease.expiresAt) - Date.parse(lease.pausedAt)),
          ).toISOString(),
        };
        await gitActs.renewPauseLease({ target, lease: renewed }).then(
          () => {
            ctx.pause!.lease = renewed;
            if (state.status.pause) state.status.pause.lease = renewed;
          },
          () => undefined,
        );
      }
      if (target.channel) {
        // A slim input: the thread to post in and the text, not the whole run status on every reminder.
        await notifyActs
          .postReminder({
            target,
            slackMessage: state.status.slackMessage,
            text:
              `:rotating_light: Reminder ${reminder}: auto-sync of *${target.app}/${target.env}* ` +
              `is still paused by rewind since ${since} (${cause}). Resolve with \`rewind ` +
              `resolve ${target.app} --env ${target.env}\` once Git holds the change, or ` +
              `\`rewind abandon ${target.app} --env ${target.env} --confirm\` to let Git win.`,
          })
          .catch(() => undefined);
      }
      if (workflowInfo().continueAsNewSuggested || reminder - remindedBefore >= MAX_REMINDERS_PER_RUN) {
        guard.stop();
        await continueHold(ctx, why, reminder);
      }
      continue;
    }
    // rewind resumes auto-sync itself from here: the guard's watch ends (and restarts if this fails).
    guard.stop();
    try {
      if (requests.abandon) {
        const by = requests.abandon;
        // Resume first: that is what abandon promises even if the changed object is gone by now.
        if (ctx.pause?.policy) await gitActs.resumeAutoSync({ target, policy: ctx.pause.policy });
        // Runs recorded before this change resumed a second time in resumeAndVerify (harmless: the
        // second resume found nothing to do); they replay that way.
        if (patched('abandon-resumes-once')) {
          ctx.pause = undefined;
          ctx.state.status.pause = undefined;
        }
        const after = await readActs.gitMatchesLive({ target, changes: ctx.input.request.changes ?? [] }).then(
          (head) => resumeAndVerify(ctx, head.revision, false),
          (err: unknown) => `not verified: ${reason(err)}`,
        );
        ctx.pause = undefined;
        ctx.state.status.pause = undefined;
        return {
          phase: 'abandoned',
          result:
            `Abandoned by ${by.handle}: auto-sync resumed to its recorded ` +
            `policy and Git wins (${after}); the live change is undone.`,
        };
      }
      const by = requests.resolve!;
      requests.resolve = undefined;
      const gate = await readActs.gitMatchesLive({ target, changes: ctx.input.request.changes ?? [] });
      if (!gate.matches) {
        const remaining = gate.remaining.map((r) => `${r.object}${r.path}`).join(', ');
        state.record('note', by.handle, `resolve refused: Git still differs from live at ${remaining}`, {
          refused: 'resolve',
          remaining,
        });
        ctx.notifier.poke();
        if (ctx.pause) watch();
        continue;
      }
      const after = await resumeAndVerify(ctx, gate.revision, true);
      return {
        phase: 'resolved',
        result:
          `Resolved by ${by.handle}: Git at ${gate.revision.slice(0, 7)} holds ` +
          `the live change; auto-sync restored; ${after}.`,
      };
    } catch (err) {
      // Never end with the pause behind us: report, and keep holding until someone tries again.
      requests.resolve = undefined;
      requests.abandon = undefined;
      state.phase('held-paused');
      state.record('failure', 'rewind', `could not settle the held pause: ${reason(err)}; still holding`);
      ctx.notifier.poke();
      if (ctx.pause) watch();
    }
  }
}
