/**
 * One sync of one Deployment, as kube-controller-manager's deployment controller does it
 * (`syncDeployment`), with the kubelets and the ReplicaSet controller folded in: advance every
 * pod to `now`, let each ReplicaSet report its status, then pause bookkeeping, scaling or the
 * rollout by strategy, and the status to write. Pure: the model is copied, never mutated.
 *
 * Where the real controller writes the status twice in one sync (a new ReplicaSet's
 * "Created new replica set" condition, then the rollout status), this returns the final one;
 * because decisions read ReplicaSet statuses from the start of the sync, the Created condition
 * is still what a first sync of a new template reports, as in a cluster.
 */
import {
  pausedConditions,
  calculateStatus,
  getCondition,
  hasProgressDeadline,
  maxSurge,
  newCondition,
  Reason,
  replicasOf,
  rolloutStatus,
  setCondition,
  toApiStatus,
} from './deployment-status.js';
import { containerEnv } from './container-env.js';
import { templateHash } from './names.js';
import { advancePod, type KubeletSettings, type Pod } from './pods.js';
import { observe, podSpecOf, reconcilePods, type DeploymentModel, type ReplicaSetModel } from './replica-sets.js';
import { Scaler } from './rollout.js';
import type { DeploymentObject, DeploymentStatus, SimEvent } from './types.js';

/** Annotation the controller keeps on a Deployment: the revision of its newest ReplicaSet. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface DeploymentSync {
  model: DeploymentModel;
  /** The status as the API would hold it (zero counters omitted). */
  status: DeploymentStatus;
  /** The revision annotation the Deployment should carry, when there is a new ReplicaSet. */
  revision?: string;
  events: SimEvent[];
}

const LONG_AGO_MS = 86_400_000;

/**
 * First sight of a Deployment whose rollout had finished (e.g. the simulator restarted): its pods are taken as running.
 */
function adopt(d: DeploymentObject, k: KubeletSettings, now: number): DeploymentModel {
  const model: DeploymentModel = { uid: d.metadata.uid ?? '', replicaSets: [], seq: 0 };
  const st = d.status ?? {},
    n = replicasOf(d),
    ns = d.metadata.namespace ?? 'default';
  const done =
    n > 0 &&
    st.observedGeneration === d.metadata.generation &&
    st.updatedReplicas === n &&
    st.replicas === n &&
    st.availableReplicas === n;
  if (!done) return model;
  const hash = templateHash(d.spec?.template);
  const rs: ReplicaSetModel = {
    name: `${d.metadata.name}-${hash}`,
    hash,
    template: structuredClone(d.spec?.template ?? {}),
    created: ++model.seq,
    revision: Number(d.metadata.annotations?.[REVISION_ANNOTATION]) || 1,
    replicas: n,
    desiredReplicas: n,
    maxReplicas: n + maxSurge(d),
    pods: [],
    podSeq: 0,
    status: { replicas: 0, ready: 0, available: 0 },
  };
  reconcilePods(rs, k, now);
  const since = now - LONG_AGO_MS;
  const spec = podSpecOf(ns, d.metadata.name, rs);
  rs.pods = rs.pods.map(
    (p): Pod => ({
      ...p,
      createdAt: since,
      phase: 'Running',
      startAt: undefined,
      startedAt: since,
      readyAt: since,
      env: spec.containers.map((c) => {
        const r = containerEnv(c, k.sources, { name: p.name, namespace: ns });
        return r.ok ? r.env : {};
      }),
    }),
  );
  model.replicaSets.push(rs);
  return model;
}

export function syncDeployment(
  d: DeploymentObject,
  prev: DeploymentModel | undefined,
  k: KubeletSettings,
  now: number,
): DeploymentSync {
  const model = prev && prev.uid === (d.metadata.uid ?? '') ? structuredClone(prev) : adopt(d, k, now);
  const events: SimEvent[] = [];
  const ns = d.metadata.namespace ?? 'default',
    minReady = d.spec?.minReadySeconds ?? 0;

  // The kubelets, then the ReplicaSet controller reporting what they see.
  for (const rs of model.replicaSets) {
    const spec = podSpecOf(ns, d.metadata.name, rs);
    rs.pods = rs.pods.map((p) => {
      const r = advancePod(p, spec, k, now);
      for (const e of r.events) events.push({ source: 'kubelet', ...e });
      return r.pod;
    });
    rs.status = observe(rs, minReady, now);
  }

  // The controller's copy of the Deployment; conditions set during the sync land in its status.
  const cur: DeploymentObject = { ...d, status: pausedConditions(d, now) ?? structuredClone(d.status ?? {}) };
  const scaler = new Scaler(cur, model, k, now, events);

  const newReplicaSet = (create: boolean): ReplicaSetModel | undefined => {
    const hash = templateHash(d.spec?.template);
    const existing = model.replicaSets.find((rs) => rs.hash === hash);
    const maxOld = Math.max(0, ...model.replicaSets.filter((rs) => rs !== existing).map((rs) => rs.revision));
    if (existing) {
      // A template seen before (a rollback) re-adopts its ReplicaSet and pods, with a new revision.
      existing.revision = Math.max(existing.revision, maxOld + 1);
      if (hasProgressDeadline(d) && !getCondition(cur.status!, 'Progressing')) {
        setCondition(
          cur.status!,
          newCondition(
            'Progressing',
            'True',
            Reason.FoundNewReplicaSet,
            `Found new replica set "${existing.name}"`,
            now,
          ),
        );
      }
      return existing;
    }
    if (!create) return undefined;
    const n = replicasOf(d);
    const rs: ReplicaSetModel = {
      name: `${d.metadata.name}-${hash}`,
      hash,
      template: structuredClone(d.spec?.template ?? {}),
      created: ++model.seq,
      revision: maxOld + 1,
      replicas: 0,
      desiredReplicas: n,
      maxReplicas: n + maxSurge(d),
      pods: [],
      podSeq: 0,
      status: { replicas: 0, ready: 0, available: 0 },
    };
    rs.replicas = scaler.newReplicas([...model.replicaSets, rs], rs);
    reconcilePods(rs, k, now);
    model.replicaSets.push(rs);
    if (rs.replicas > 0)
      events.push({
        source: 'deployment-controller',
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${rs.name} from 0 to ${rs.replicas}`,
      });
    if (hasProgressDeadline(d))
      setCondition(
        cur.status!,
        newCondition('Progressing', 'True', Reason.NewReplicaSetCreated, `Created new replica set "${rs.name}"`, now),
      );
    return rs;
  };
  const others = (newRs: ReplicaSetModel | undefined) => model.replicaSets.filter((rs) => rs !== newRs);
  const isScalingEvent = () => {
    const newRs = newReplicaSet(false);
    return [...others(newRs), newRs].some((rs) => rs && rs.replicas > 0 && rs.desiredReplicas !== replicasOf(d));
  };

  let status: DeploymentStatus, newRs: ReplicaSetModel | undefined;
  if (d.spec?.paused || isScalingEvent()) {
    // `sync`: scale only, no rollout; the status without rollout progress (syncDeploymentStatus).
    newRs = newReplicaSet(false);
    scaler.scaleDeployment(newRs, others(newRs));
    if (d.spec?.paused) scaler.cleanup(others(newRs));
    status = calculateStatus(cur, [...others(newRs), ...(newRs ? [newRs] : [])], newRs, now);
  } else if (d.spec?.strategy?.type === 'Recreate') {
    newRs = newReplicaSet(false);
    const scaledDown = others(newRs)
      .map((rs) => scaler.scaleTo(rs, 0))
      .some(Boolean);
    const oldRunning = others(newRs).some((rs) => rs.status.replicas > 0);
    if (!scaledDown && !oldRunning) {
      newRs ??= newReplicaSet(true)!;
      scaler.scaleTo(newRs, replicasOf(d));
      if (scaler.completeNow()) scaler.cleanup(others(newRs));
    }
    status = rolloutStatus(cur, model.replicaSets, newRs, now);
  } else {
    newRs = newReplicaSet(true)!;
    const all = model.replicaSets;
    if (!scaler.reconcileNew(all, newRs) && !scaler.reconcileOld(all, others(newRs), newRs) && scaler.completeNow())
      scaler.cleanup(others(newRs));
    status = rolloutStatus(cur, model.replicaSets, newRs, now);
  }
  return { model, status: toApiStatus(status), ...(newRs ? { revision: String(newRs.revision) } : {}), events };
}
