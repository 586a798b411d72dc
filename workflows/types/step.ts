/**
 * Runbook steps: the step library, a runbook as a run sees it, and each step's state.
 * Pure types and constants only: bundled into the workflow sandbox.
 */

/** The step library. Adding a kind here forces a runner for it in workflows/runbook.ts (compile-time check). */
export const STEP_KINDS = [
  'planRollback',
  'approve',
  'revertPromotion',
  'landPullRequest',
  'refresh',
  'waitForSynced',
  'verifyHealth',
  'notify',
  'planEmergency',
  'pauseAutoSync',
  'patchLive',
  'commitToGit',
  'waitForGitToMatchLive',
  'awaitEngineRevision',
  'resumeAutoSync',
  'verifyMetric',
  'verifyProbe',
  'verifyAnalysis',
] as const;

export type StepKind = (typeof STEP_KINDS)[number];

export interface RunbookStep {
  kind: StepKind;
  name: string;
  with: Record<string, string | number | boolean>;
}

export interface RunbookSnapshot {
  name: string;
  description: string;
  version: number;
  steps: RunbookStep[];
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepStatus {
  name: string;
  kind: StepKind;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  summary?: string;
  error?: string;
}
