/** What steps share while a run proceeds: its input, its state, and what earlier steps found. */
import type { RunState } from './run-state.js';
import type { EngineState, Evidence, PromotionDescription, RunInput, RunPhase, RunbookStep } from './types.js';

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
}

export interface StepResult {
  summary: string;
  evidence?: Evidence;
  /** Ends the run after this step with the given phase (e.g. rejected, not-restored). */
  stop?: { phase: RunPhase; result: string };
  skipped?: boolean;
}

export type StepRunner = (step: RunbookStep, ctx: StepContext) => Promise<StepResult>;
