/** What steps share while a run proceeds: its input, its state, and what earlier steps found. */
import type { RunNotifier } from './notify.js';
import type { RunState } from './run-state.js';
import type {
  EngineState,
  Evidence,
  LiveChange,
  PromotionDescription,
  ResumableContext,
  RunInput,
  RunPhase,
  RunbookStep,
} from './types.js';

export interface StepContext extends ResumableContext {
  input: RunInput;
  state: RunState;
  /** Keeps the run's Slack message current, beside the run (never waited on between steps). */
  notifier: RunNotifier;
  /** Unique per run (workflow id + run id): the value of the `Rewind-Run` trailer and refresh tokens. */
  runKey: string;
  isCancelled: () => boolean;
  promotion?: PromotionDescription;
  /** The run's own branch its commit went to, for a pull request (repos.<name>.pullRequests). */
  runBranch?: string;
  engineBefore?: EngineState;
  // From ResumableContext (what a held pause carries across continue-as-new):
  //   pause        set from the pause until the resume: while set, a failure holds the pause instead of ending the run
  //   planned      emergency path: resourceVersions the plan read, per change (patches are conditional on them)
  //   restarts     workloads to restart after the patch (they read a changed ConfigMap/Secret through env)
  //   patchedAt    when the live patch landed: the health checks that follow judge only newer evidence
}

/** The part of a step context a held pause carries into the next run of its chain. */
export const resumableContext = (ctx: StepContext): ResumableContext => {
  const { pause, patched, patchedAt, restarts, planned, commitSha, revertSha, syncedAt } = ctx;
  return Object.fromEntries(
    Object.entries({ pause, patched, patchedAt, restarts, planned, commitSha, revertSha, syncedAt }).filter(
      ([, v]) => v !== undefined,
    ),
  );
};

/** The fields the live patch set, with the values they must keep (empty before the patch or for a rollback). */
export const heldFields = (
  ctx: StepContext,
): Array<{ object: LiveChange['object']; path: string; desired: unknown }> =>
  !ctx.patched
    ? []
    : (ctx.state.status.emergency?.changes ?? []).flatMap((c, i) => {
        const object = ctx.input.request.changes?.[i]?.object;
        return object ? c.fields.map((f) => ({ object, path: f.path, desired: f.desired })) : [];
      });

/** The commit the engine must reach: the revert (rollback) or the emergency commit. */
export const targetRevision = (ctx: StepContext): string | undefined => ctx.revertSha ?? ctx.commitSha;

export interface StepResult {
  summary: string;
  evidence?: Evidence;
  /** Ends the run after this step with the given phase (e.g. rejected, not-restored). */
  stop?: { phase: RunPhase; result: string };
  skipped?: boolean;
}

export type StepRunner = (step: RunbookStep, ctx: StepContext) => Promise<StepResult>;
