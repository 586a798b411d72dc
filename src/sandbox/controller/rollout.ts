/**
 * The deployment controller's status, simulated (there are no kubelets or ReplicaSets here).
 * Pure: given a Deployment, what this simulator remembers of its rollout, the matching fault
 * and the time, it returns the status the deployment controller would write.
 *
 * Model: a new pod template starts a rollout; old pods stay available while new ones start
 * (`rolloutDelayMs`); then the new ReplicaSet is available. A matching fault keeps every pod
 * unavailable (as crash-looping pods after a bad image or a bad config reload) and, after
 * `progressDeadlineSeconds`, marks Progressing False `ProgressDeadlineExceeded`. When the fault
 * stops matching, pods become available again after `rolloutDelayMs`.
 */
import { createHash } from 'node:crypto';
import type { FaultRule } from './types.js';

export interface Rollout {
  uid: string;
  generation: number;
  templateHash: string;
  /** When the current pods started (rollout start, or recovery from a fault). */
  since: number;
  /** Pods of the previous template that stay available during the rollout. */
  oldAvailable: number;
  faultSince?: number;
}

export interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastUpdateTime?: string; lastTransitionTime?: string }

export interface DeploymentObject {
  metadata: { name: string; uid?: string; generation?: number };
  spec?: { replicas?: number; paused?: boolean; progressDeadlineSeconds?: number; template?: unknown };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number; conditions?: Condition[]; [k: string]: unknown };
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** Like the pod-template-hash label: 10 characters from Kubernetes' safe alphabet. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  return Array.from(digest.subarray(0, 10), (b) => SAFE[b % SAFE.length]).join('');
}

/** Next remembered rollout for `d` at `now`. */
export function advanceRollout(d: DeploymentObject, prev: Rollout | undefined, fault: FaultRule | undefined, now: number): Rollout {
  const gen = d.metadata.generation ?? 1, n = d.spec?.replicas ?? 1, hash = templateHash(d.spec?.template);
  const st = d.status ?? {};
  let r: Rollout;
  if (!prev || prev.uid !== (d.metadata.uid ?? '')) {
    // First sight (e.g. the controller restarted): a finished rollout is adopted as finished.
    const done = st.observedGeneration === gen && (st.availableReplicas ?? 0) >= n && st.updatedReplicas === n;
    r = { uid: d.metadata.uid ?? '', generation: gen, templateHash: hash, since: done ? -Infinity : now, oldAvailable: 0 };
  } else if (prev.templateHash !== hash) {
    r = { ...prev, generation: gen, templateHash: hash, since: now, oldAvailable: Math.min(st.availableReplicas ?? 0, n), faultSince: undefined };
  } else {
    r = { ...prev, generation: gen };
  }
  if (fault) r.faultSince ??= now;
  else if (r.faultSince !== undefined) { r.faultSince = undefined; r.since = now; r.oldAvailable = 0; }
  return r;
}

/** The status the deployment controller would write; conditions without timestamps (see withTimes). */
export function rolloutStatus(d: DeploymentObject, r: Rollout, fault: FaultRule | undefined, now: number, delayMs: number): Record<string, unknown> {
  const n = d.spec?.replicas ?? 1, rs = `${d.metadata.name}-${r.templateHash}`;
  const status: Record<string, unknown> = { observedGeneration: d.metadata.generation ?? 1 };
  if (d.spec?.paused) return { ...(d.status ?? {}), ...status };
  const counts = (replicas: number, available: number, unavailable: number) => {
    for (const [k, v] of [['replicas', replicas], ['updatedReplicas', n], ['readyReplicas', available], ['availableReplicas', available], ['unavailableReplicas', unavailable]] as const) {
      if (v > 0) status[k] = v;
    }
  };
  const available: Condition = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' };
  const unavailable = (message: string): Condition => ({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message });
  const progressing: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` };
  if (fault) {
    counts(n, 0, n);
    const deadlineMs = (d.spec?.progressDeadlineSeconds ?? 600) * 1000;
    const exceeded = now - (r.faultSince ?? now) >= deadlineMs;
    status['conditions'] = [unavailable(fault.message), exceeded
      ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs}" has timed out progressing.` }
      : progressing];
  } else if (now - r.since < delayMs) {
    const old = r.oldAvailable;
    counts(n + old, old, n);
    status['conditions'] = [old > 0 || n === 0 ? available : unavailable('Deployment does not have minimum availability.'), progressing];
  } else {
    counts(n, n, 0);
    status['conditions'] = [available, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.` }];
  }
  return status;
}

/** Carries condition timestamps over from `old` when nothing about the condition changed, as the controller does. */
export function withTimes(conditions: Condition[], old: readonly Condition[] | undefined, stamp: string): Condition[] {
  return conditions.map((c) => {
    const o = old?.find((x) => x.type === c.type);
    const same = o && o.status === c.status && o.reason === c.reason && o.message === c.message;
    return {
      ...c,
      lastUpdateTime: same ? o.lastUpdateTime ?? stamp : stamp,
      lastTransitionTime: o && o.status === c.status ? o.lastTransitionTime ?? stamp : stamp,
    };
  });
}
