/**
 * What a run acts on: the app/env target copied from rewind.yaml when the run starts, its engine, repo and people.
 * Pure types and constants only: bundled into the workflow sandbox.
 */
import type { TargetVerification } from '../verification/types.js';

export interface PersonRef {
  handle: string;
  name: string;
  email: string;
  slack?: string;
}

export type EngineRef =
  | { kind: 'argocd'; name: string; namespace: string }
  | { kind: 'flux'; name: string; namespace: string; source?: string };

export interface RepoRef {
  name: string;
  url: string;
  branch: string;
  webUrl?: string;
  /** The branch only takes pull requests (rewind.yaml repos.<name>.pullRequests). */
  pullRequests?: PullRequestPolicy;
}

/** How a run's commit reaches a branch that only takes pull requests. */
export interface PullRequestPolicy {
  /** Base URL of a GitHub-compatible REST API. */
  api: string;
  /** owner/name on the forge. */
  repository: string;
  /** Worker env var holding the token (never the value). */
  tokenEnv: string;
  /** wait: a person merges; api: rewind merges at once (break-glass). */
  merge: 'wait' | 'api';
  method: 'merge' | 'squash';
  timeoutMs: number;
}

/** Everything a run needs about its target, copied from rewind.yaml when the run starts. */
export interface TargetSnapshot {
  app: string;
  env: string;
  cluster: string;
  engine: EngineRef;
  repo: RepoRef;
  path: string;
  namespace: string;
  workloads: string[];
  health: { windowMs: number; timeoutMs: number; probeUrl?: string };
  owners: PersonRef[];
  approvers: PersonRef[];
  approval: {
    required: boolean;
    minApprovers: number;
    allowSelfApproval: boolean;
    timeoutMs: number;
    allowCliYes: boolean;
    /** Decisions only from a proven identity (Slack, or the CLI identified by the cluster), never a typed name. */
    requireProvenIdentity?: boolean;
  };
  channel?: string;
  drillTarget: boolean;
  temporalUiUrl?: string;
  /**
   * Checks beyond Synced + Healthy, and the autoRollback trigger, from rewind.yaml (workflows/verification/types.ts).
   */
  verification?: TargetVerification;
  /** Registries the rollback plan asks whether an image still exists, by image host (rewind.yaml `registries:`). */
  registries?: Record<string, RegistryRef>;
  /** Where the run's timeline is committed as Markdown when it ends (rewind.yaml `postmortems:`). */
  postmortems?: { repo: RepoRef; path: string };
}

/**
 * How to reach one registry: its API base URL and the names of the worker's env vars that hold
 * credentials (never the values).
 */
export interface RegistryRef {
  url: string;
  usernameEnv?: string;
  passwordEnv?: string;
}
