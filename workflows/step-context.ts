/** What steps share while a run proceeds: its input, its state, and what earlier steps found. */
import type { RunState } from './run-state.js';
import type { AutoSyncPolicy, EngineState, Evidence, PauseLease, PromotionDescription, RunInput, RunPhase, RunbookStep } from './types.js';

export interface StepContext {
  input: RunInput;
  state: RunState;
  /** Unique per run (workflow id + run id): the value of the `Rewind-Run` trailer and refresh tokens. */
  runKey: string;
  isCancelled: () => boolean;
  promotion?: PromotionDescription;
  engineBefore?: EngineState;
  revertSha?: string;
  syncedAt?: string;
  /** Emergency path: resourceVersions the plan read, per change (patches are conditional on them). */
  planned?: Array<{ object: string; resourceVersion: string }>;
  /** Set from the pause until the resume: while set, a failure holds the pause instead of ending the run. */
  pause?: { policy: AutoSyncPolicy | null; lease: PauseLease };
  patched?: boolean;
  commitSha?: string;
}

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
