/**
 * ReplicaSets of a Deployment, in memory (none are written): each owns the pods of one pod
 * template, and its `status` is what the ReplicaSet controller last reported, which is what the
 * deployment controller reads. Resizing one creates or deletes pods at once, deleting in the
 * ReplicaSet controller's order (pods.ts `deletionOrder`). Pure helpers over plain data.
 */
import type { ReplicaSetView } from './deployment-status.js';
import { podName } from './names.js';
import {
  deletionOrder,
  isAvailable,
  isReady,
  newPod,
  type KubeletSettings,
  type Pod,
  type PodSpecView,
} from './pods.js';
import type { PodTemplate } from './types.js';

export interface ReplicaSetModel extends ReplicaSetView {
  hash: string;
  template: PodTemplate;
  /** Creation order, standing in for creationTimestamp. */
  created: number;
  /** `deployment.kubernetes.io/revision` */
  revision: number;
  /** `deployment.kubernetes.io/desired-replicas`: the Deployment's replicas when this set was last sized. */
  desiredReplicas: number;
  /** `deployment.kubernetes.io/max-replicas`: replicas + maxSurge at that time. */
  maxReplicas: number;
  pods: Pod[];
  podSeq: number;
}

export interface DeploymentModel {
  uid: string;
  replicaSets: ReplicaSetModel[];
  seq: number;
}

/** What the kubelet needs to know about the pods of `rs`. */
export function podSpecOf(namespace: string, deployment: string, rs: ReplicaSetModel): PodSpecView {
  const spec = rs.template.spec ?? {};
  return {
    namespace,
    owner: { kind: 'Deployment', name: deployment },
    containers: spec.containers ?? [],
    serviceAccountName: spec.serviceAccountName,
    restartPolicy: 'Always',
  };
}

/** The ReplicaSet controller's status: pods, ready pods, pods available for minReadySeconds. */
export function observe(rs: ReplicaSetModel, minReadySeconds: number, now: number): ReplicaSetView['status'] {
  return {
    replicas: rs.pods.length,
    ready: rs.pods.filter((p) => isReady(p, now)).length,
    available: rs.pods.filter((p) => isAvailable(p, minReadySeconds, now)).length,
  };
}

/** Creates or deletes pods so that `rs` has `rs.replicas` of them. */
export function reconcilePods(rs: ReplicaSetModel, k: Pick<KubeletSettings, 'podStartMs'>, now: number): void {
  while (rs.pods.length < rs.replicas) rs.pods.push(newPod(podName(rs.name, ++rs.podSeq), now, k));
  if (rs.pods.length > rs.replicas) {
    const doomed = new Set([...rs.pods].sort(deletionOrder(now)).slice(0, rs.pods.length - rs.replicas));
    rs.pods = rs.pods.filter((p) => !doomed.has(p));
  }
}

export const byCreation = (a: ReplicaSetModel, b: ReplicaSetModel): number => a.created - b.created;
export const active = (rss: ReadonlyArray<ReplicaSetModel | undefined>): ReplicaSetModel[] =>
  rss.filter((rs): rs is ReplicaSetModel => !!rs && rs.replicas > 0);
export const specSum = (rss: readonly ReplicaSetModel[]): number => rss.reduce((n, rs) => n + rs.replicas, 0);
