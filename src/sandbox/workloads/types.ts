/**
 * Shapes the workload simulator reads and writes: the parts of apps/v1 Deployments and
 * batch/v1 Jobs it looks at (raw API JSON, no client-node types), and its events.
 */
import type { ContainerLike } from './container-env.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: ContainerLike[]; restartPolicy?: string; serviceAccountName?: string };
}

export type IntOrPercent = number | string;

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: DeploymentCondition[];
}

export interface DeploymentObject {
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    paused?: boolean;
    /** @default 600 (as the apiserver defaults it) */
    progressDeadlineSeconds?: number;
    minReadySeconds?: number;
    /** @default 10 */
    revisionHistoryLimit?: number;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
    };
    template?: PodTemplate;
  };
  status?: DeploymentStatus;
}

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  uncountedTerminatedPods?: Record<string, unknown>;
  conditions?: JobCondition[];
}

export interface JobObject {
  metadata: ObjectMeta;
  spec?: {
    /** @default 1 */
    parallelism?: number;
    /** @default 1 */
    completions?: number;
    /** @default 6 */
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    template?: PodTemplate;
  };
  status?: JobStatus;
}

/** Who records an event: the controller's or the kubelet's stand-in. */
export type EventSource = 'deployment-controller' | 'job-controller' | 'kubelet';

/** An event to record on the object being synced (pod-level ones too: there are no Pod objects). */
export interface SimEvent {
  source: EventSource;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}
