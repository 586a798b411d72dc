/**
 * The workload simulator: a STAND-IN for the kubelets and kube-controller-manager's deployment
 * and job controllers, which the test world does not run (it has a real kube-apiserver and etcd,
 * and real or stand-in GitOps engines, but nothing that runs pods). It writes Deployment and Job
 * status with Kubernetes' own semantics, because rewind's health checks, and the engines' health
 * assessments, are graded by that status:
 *
 * - pods live in memory per ReplicaSet (none are written); a container reads its environment
 *   (ConfigMaps, Secrets) when it starts and never again until it restarts (pods.ts);
 * - rolling updates within maxSurge/maxUnavailable, Recreate, scaling, rollback re-adopting an
 *   older ReplicaSet's pods, minReadySeconds, pause (rollout.ts, deployment-controller.ts);
 * - the status and conditions the deployment controller writes, with its reasons, messages,
 *   timestamps and progress-deadline rules (deployment-status.ts); Jobs (job-status.ts);
 * - fault rules that make pods crash, crash after becoming ready, or start slowly (faults.ts),
 *   with CrashLoopBackOff restarts that re-read the environment;
 * - core/v1 Events as the controllers and the kubelet record them; pod-level ones sit on the
 *   owning Deployment or Job, marked `reportingComponent: sandbox-kubelet` (events.ts).
 *
 * It imports nothing of rewind's judgement code (health, diff): it must not grade rewind with
 * rewind's own rules. It runs beside the real Argo CD / Flux controllers or the sandbox stand-in.
 *
 * ```ts
 * const sim = await startWorkloadSimulator({ kc: world.kc, faults: SANDBOX_FAULTS, backoffScale: 0.1 });
 * sim.setFaults([{ name: 'bad tag', image: 'ghcr.io/acme/users-api:1.43.0', message: 'panic: nil map' }]);
 * await sim.waitTicks(2);
 * await sim.stop();
 * ```
 */
export { startWorkloadSimulator, type WorkloadSimulator, type WorkloadSimulatorOptions } from './simulator.js';
export { crashes, matchFault, type FaultMatch, type FaultRule, type PodFacts } from './faults.js';
export { RUN_MS_ANNOTATION } from './job-status.js';
export { REVISION_ANNOTATION } from './deployment-controller.js';
