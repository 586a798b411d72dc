/**
 * Pure health assessment, like gitops-engine `pkg/health`: takes objects, makes no API calls.
 * The health activity fetches, these functions judge.
 */
export { assessObject, assessService, assessAll, type AssessableObject } from './assess.js';
export { assessDeployment, type AssessOptions, type DeploymentLike } from './deployment.js';
export { assessStatefulSet, type StatefulSetLike } from './statefulset.js';
export { assessDaemonSet, type DaemonSetLike } from './daemonset.js';
export { assessJob, type JobLike } from './job.js';
export { HEALTH_ORDER, isWorse, worst, type HealthCode, type HealthStatus } from './types.js';
