/**
 * The status the deployment controller writes (`pkg/controller/deployment`: calculateStatus,
 * syncRolloutStatus, checkPausedConditions and the util predicates DeploymentComplete,
 * DeploymentProgressing, DeploymentTimedOut), computed from the ReplicaSets' own statuses.
 * Pure. Condition bookkeeping follows SetDeploymentCondition: a condition whose status and
 * reason are unchanged is left exactly as it was (message and times included); a changed one
 * moves to the end of the list, keeping lastTransitionTime when only the reason changed.
 */
import { metaTime } from './names.js';
import type { DeploymentCondition, DeploymentObject, DeploymentStatus, IntOrPercent } from './types.js';

export const Reason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** What the deployment controller reads of a ReplicaSet: its spec size and its status. */
export interface ReplicaSetView {
  name: string;
  replicas: number;
  status: { replicas: number; ready: number; available: number };
}

/** `intstr.GetScaledValueFromIntOrPercent`: percentages of `total`, rounded up or down. */
export function scaled(v: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) return Number.parseInt(v, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export const isRollingUpdate = (d: DeploymentObject): boolean =>
  (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
export const replicasOf = (d: DeploymentObject): number => d.spec?.replicas ?? 1;

/**
 * `ResolveFenceposts` with the apiserver's 25%/25% defaults: surge rounds up, unavailable down;
 * both 0 makes unavailable 1.
 */
export function fenceposts(d: DeploymentObject): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate,
    n = replicasOf(d);
  const surge = scaled(ru?.maxSurge ?? '25%', n, true);
  let unavailable = scaled(ru?.maxUnavailable ?? '25%', n, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const maxSurge = (d: DeploymentObject): number => (isRollingUpdate(d) ? fenceposts(d).surge : 0);

export function maxUnavailable(d: DeploymentObject): number {
  const n = replicasOf(d);
  if (!isRollingUpdate(d) || n === 0) return 0;
  return Math.min(fenceposts(d).unavailable, n);
}

const MAX_INT32 = 2147483647;
export const progressDeadlineSeconds = (d: DeploymentObject): number => d.spec?.progressDeadlineSeconds ?? 600;
export const hasProgressDeadline = (d: DeploymentObject): boolean => progressDeadlineSeconds(d) !== MAX_INT32;

export const getCondition = (st: DeploymentStatus, type: string): DeploymentCondition | undefined =>
  st.conditions?.find((c) => c.type === type);

export function newCondition(
  type: string,
  status: DeploymentCondition['status'],
  reason: string,
  message: string,
  now: number,
): DeploymentCondition {
  const t = metaTime(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function removeCondition(st: DeploymentStatus, type: string): void {
  st.conditions = (st.conditions ?? []).filter((c) => c.type !== type);
}

/** `SetDeploymentCondition`. */
export function setCondition(st: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(st, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = { ...cond };
  if (cur && cur.status === cond.status) next.lastTransitionTime = cur.lastTransitionTime;
  removeCondition(st, cond.type);
  st.conditions!.push(next);
}

const sum = (rss: readonly ReplicaSetView[], f: (rs: ReplicaSetView) => number) => rss.reduce((n, rs) => n + f(rs), 0);

/** `calculateStatus`: counters from the ReplicaSets, conditions carried over, Available recomputed. */
export function calculateStatus(
  d: DeploymentObject,
  all: readonly ReplicaSetView[],
  newRs: ReplicaSetView | undefined,
  now: number,
): DeploymentStatus {
  const available = sum(all, (rs) => rs.status.available);
  const st: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sum(all, (rs) => rs.status.replicas),
    updatedReplicas: newRs?.status.replicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.status.ready),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum(all, (rs) => rs.replicas) - available),
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(
      st,
      newCondition('Available', 'True', Reason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now),
    );
  } else {
    setCondition(
      st,
      newCondition(
        'Available',
        'False',
        Reason.MinimumReplicasUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return st;
}

export function deploymentComplete(d: DeploymentObject, st: DeploymentStatus): boolean {
  const n = replicasOf(d);
  return (
    (st.updatedReplicas ?? 0) === n &&
    (st.replicas ?? 0) === n &&
    (st.availableReplicas ?? 0) === n &&
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** Progress since the status `d` holds: more updated, fewer old, more ready or more available replicas. */
export function deploymentProgressing(d: DeploymentObject, st: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0),
    newOld = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  return (
    (st.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (st.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (st.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** No progress for progressDeadlineSeconds since Progressing's lastUpdateTime (strictly after, as time.Before). */
export function deploymentTimedOut(d: DeploymentObject, st: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(st, 'Progressing');
  if (!cond) return false;
  if (cond.reason === Reason.NewReplicaSetAvailable) return false;
  if (cond.reason === Reason.ProgressDeadlineExceeded) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  return Number.isFinite(from) && from + progressDeadlineSeconds(d) * 1000 < now;
}

/** `syncRolloutStatus`: calculateStatus plus the Progressing condition of a rollout. */
export function rolloutStatus(
  d: DeploymentObject,
  all: readonly ReplicaSetView[],
  newRs: ReplicaSetView | undefined,
  now: number,
): DeploymentStatus {
  const st = calculateStatus(d, all, newRs, now);
  if (!hasProgressDeadline(d)) removeCondition(st, 'Progressing');
  const current = getCondition(d.status ?? {}, 'Progressing');
  const complete = st.replicas === st.updatedReplicas && current?.reason === Reason.NewReplicaSetAvailable;
  if (!hasProgressDeadline(d) || complete) return st;
  const subject = newRs ? `ReplicaSet "${newRs.name}"` : `Deployment "${d.metadata.name}"`;
  if (deploymentComplete(d, st)) {
    setCondition(
      st,
      newCondition(
        'Progressing',
        'True',
        Reason.NewReplicaSetAvailable,
        `${subject} has successfully progressed.`,
        now,
      ),
    );
  } else if (deploymentProgressing(d, st)) {
    // Progress moves lastUpdateTime even when the reason stays: handled here, not by setCondition.
    const cond = newCondition('Progressing', 'True', Reason.ReplicaSetUpdated, `${subject} is progressing.`, now);
    if (current) {
      if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(st, 'Progressing');
    }
    setCondition(st, cond);
  } else if (deploymentTimedOut(d, st, now)) {
    setCondition(
      st,
      newCondition(
        'Progressing',
        'False',
        Reason.ProgressDeadlineExceeded,
        `${subject} has timed out progressing.`,
        now,
      ),
    );
  }
  return st;
}

/**
 * `checkPausedConditions`: Progressing Unknown DeploymentPaused while paused, DeploymentResumed
 * once resumed (so the deadline counts from the resume); a timed-out rollout keeps its verdict.
 * Returns the status with the condition applied, or undefined when nothing changes.
 */
export function pausedConditions(d: DeploymentObject, now: number): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const st: DeploymentStatus = { ...(d.status ?? {}), conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })) };
  const cond = getCondition(st, 'Progressing');
  if (cond?.reason === Reason.ProgressDeadlineExceeded) return undefined;
  const pausedCond = cond?.reason === Reason.DeploymentPaused;
  if (d.spec?.paused && !pausedCond)
    setCondition(st, newCondition('Progressing', 'Unknown', Reason.DeploymentPaused, 'Deployment is paused', now));
  else if (!d.spec?.paused && pausedCond)
    setCondition(st, newCondition('Progressing', 'Unknown', Reason.DeploymentResumed, 'Deployment is resumed', now));
  else return undefined;
  return st;
}

/** The status as the API serializes it: zero counters and empty lists omitted. */
export function toApiStatus(st: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  for (const k of [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const) {
    if (st[k]) out[k] = st[k];
  }
  if (st.collisionCount !== undefined) out.collisionCount = st.collisionCount;
  if (st.conditions?.length) out.conditions = st.conditions;
  return out;
}
