/**
 * Invariant 9: from the pause to the resume the run stands watch. A guard activity runs beside the
 * steps (activities/gitops/pause-watch.ts guardPause) and returns only when the pause is broken:
 * auto-sync turned back on, the lease taken, a patched field changed. The run then stops the step
 * in progress and holds, saying why. The guard is restarted with the patched fields once the patch
 * landed, and stopped right before rewind resumes auto-sync itself.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { guardActs } from './activities.js';
import { heldFields, type StepContext } from './step-context.js';

/** How long one guard activity watches before it is re-armed. */
const GUARD_PERIOD_MS = 6 * 3_600_000;

export class PauseGuard {
  private scope?: CancellationScope;
  /** What broke the pause, once the guard saw it. */
  violation?: string;

  /** (Re)starts the guard; `onViolation` runs once when it fires. Created in the run's root scope, not a step's. */
  start(ctx: StepContext, onViolation: (why: string) => void): void {
    this.stop();
    const hold = heldFields(ctx);
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(async () => {
        // One watch per period, re-armed: a hold of weeks costs a few activities a day in history.
        for (;;) {
          const armedAt = Date.now();
          const r = await guardActs.guardPause({
            target: ctx.input.target,
            runKey: ctx.runKey,
            hold,
            forMs: GUARD_PERIOD_MS,
          });
          if (r.violation) return r.violation;
          // A watch that ended early (a test double, a restarted worker) is re-armed no sooner than its period.
          const left = GUARD_PERIOD_MS - (Date.now() - armedAt);
          if (left > 0) await sleep(left);
        }
      })
      .then(
        (violation) => {
          if (this.scope !== scope || this.violation) return;
          this.violation = violation;
          ctx.state.record('failure', 'rewind', `the pause was broken: ${violation}`);
          onViolation(violation);
        },
        (err: unknown) => {
          if (!isCancellation(err)) ctx.state.record('failure', 'rewind', `the pause guard stopped: ${String(err)}`);
        },
      );
  }

  stop(): void {
    this.scope?.cancel();
    this.scope = undefined;
  }
}
