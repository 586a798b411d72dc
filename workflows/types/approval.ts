/**
 * Approvals: a person's decision on a run, bound to it, with how the person was identified.
 * Pure types and constants only: bundled into the workflow sandbox.
 */
import type { PersonRef } from './target.js';

/**
 * An approval or rejection. `runId` binds it to the run the person looked at (the first run id of
 * the chain): the workflow id is shared by every run of an app/env, so a decision without it could
 * land on a later run nobody reviewed. `via` says how the person's identity was proven.
 */
export interface Decision {
  decision: 'approve' | 'reject';
  by: PersonRef;
  comment?: string;
  runId?: string;
  via?: IdentityProof;
}

/**
 * How a request's person was identified: a signed Slack user id, a cluster-verified CLI identity,
 * or a name typed (sandbox, or where rewind.yaml allows it).
 */
export type IdentityProof = 'slack' | 'kube' | 'claimed';
