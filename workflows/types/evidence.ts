/**
 * The run's timeline: events with the evidence each carries.
 * Pure types and constants only: bundled into the workflow sandbox.
 */

export interface Evidence {
  [key: string]: string | number | boolean | undefined;
}

export interface TimelineEvent {
  at: string;
  /** `alert`: a signal from outside the run, e.g. the promotion watch's first failed verification. */
  kind: 'run' | 'step' | 'approval' | 'evidence' | 'retry' | 'failure' | 'note' | 'alert';
  step?: string;
  actor: string;
  summary: string;
  evidence?: Evidence;
}
