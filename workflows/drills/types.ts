/** Game-day drills: inputs and the scorecard every drill run returns. Pure types (bundled into workflows). */
import type { RunbookSnapshot, TargetSnapshot } from '../types.js';

export type DrillKind = 'rollback' | 'drift' | 'rebuild' | 'emergency' | 'access-audit';

export interface DrillSpec {
  name: string;
  kind: DrillKind;
  targets: { timeToDetectMs: number; timeToRestoreMs: number };
  badTag?: string;
  channel?: string;
}

/** Snapshotted when the schedule is applied (or the drill is run by hand), like runbooks for runs. */
export interface DrillInput {
  drill: DrillSpec;
  target?: TargetSnapshot;
  audit?: { cluster: string; identities: string[]; namespaces: string[] };
  runbooks: { rollback: RunbookSnapshot; emergency: RunbookSnapshot };
  trigger: 'schedule' | 'manual';
  requestedBy?: string;
}

export interface DrillCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export type DrillOutcome = 'passed' | 'failed' | 'skipped' | 'aborted';

export interface Scorecard {
  schema: 'rewind.scorecard/v1';
  drill: string;
  kind: DrillKind;
  app?: string;
  env?: string;
  workflowId: string;
  trigger: DrillInput['trigger'];
  startedAt: string;
  endedAt?: string;
  /** Where the run is: an abort only has an effect while it is `running` (cleanup always completes). */
  stage?: 'running' | 'cleaning-up' | 'done';
  outcome?: DrillOutcome;
  /** Why a drill did not run (e.g. an incident holds the app) or stopped. */
  reason?: string;
  checks: DrillCheck[];
  timeToDetectMs?: number;
  timeToRestoreMs?: number;
  targets: DrillSpec['targets'];
  cleanup: { done: boolean; verified: boolean; detail: string };
  /** Child runbook runs (rollback, emergency) this drill started. */
  runs: string[];
}

/** What the target looked like before the drill; cleanup must bring it back to exactly this. */
export interface PreDrillState {
  headSha: string;
  pathTree: string;
  autoSync: string;
  health: string;
}
