/**
 * One sync of one batch/v1 Job, as the job controller and the kubelets would run it, kept
 * simple: pods run one at a time up to `parallelism` until `completions` succeeded; a healthy
 * pod exits 0 `sandbox.rewind.dev/run-ms` after its container started (default 1000); a pod
 * matching a fault rule fails (restartPolicy Never semantics, also for OnFailure templates),
 * and a replacement is created after the job controller's back-off (10 s doubling, capped at
 * 10 min, times `backoffScale`). More than `backoffLimit` failures (default 6) fail the Job
 * with FailureTarget + Failed `BackoffLimitExceeded`; `activeDeadlineSeconds` fails it with
 * `DeadlineExceeded`; success writes SuccessCriteriaMet + Complete `CompletionsReached` and
 * `completionTime`, as 1.34 does. Suspend, indexed completions, pod failure and success
 * policies are not modelled. Pure.
 */
import { metaTime, podName } from './names.js';
import { advancePod, isReady, newPod, type KubeletSettings, type Pod, type PodSpecView } from './pods.js';
import type { JobCondition, JobObject, JobStatus, SimEvent } from './types.js';

/** Annotation on a Job: how long each healthy pod runs, in ms. */
export const RUN_MS_ANNOTATION = 'sandbox.rewind.dev/run-ms';

export interface JobModel {
  uid: string;
  pods: Pod[];
  podSeq: number;
  lastFailureAt?: number;
}

export interface JobSync {
  model: JobModel;
  status: JobStatus;
  events: SimEvent[];
}

const POD_BACKOFF_MS = 10_000,
  POD_BACKOFF_CAP_MS = 600_000;

const finished = (st: JobStatus | undefined) =>
  (st?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

export function syncJob(job: JobObject, prev: JobModel | undefined, k: KubeletSettings, now: number): JobSync {
  const model: JobModel =
    prev && prev.uid === (job.metadata.uid ?? '')
      ? structuredClone(prev)
      : { uid: job.metadata.uid ?? '', pods: [], podSeq: 0 };
  const st: JobStatus = structuredClone(job.status ?? {});
  const events: SimEvent[] = [];
  if (finished(st) || job.spec?.suspend) return { model: { ...model, pods: [] }, status: job.status ?? {}, events };

  const ns = job.metadata.namespace ?? 'default',
    name = job.metadata.name;
  const tspec = job.spec?.template?.spec ?? {};
  const runMs = Number(job.metadata.annotations?.[RUN_MS_ANNOTATION] ?? 1000);
  const spec: PodSpecView = {
    namespace: ns,
    owner: { kind: 'Job', name },
    containers: tspec.containers ?? [],
    serviceAccountName: tspec.serviceAccountName,
    restartPolicy: 'Never',
    runMs: Number.isFinite(runMs) ? runMs : 1000,
  };
  const completions = job.spec?.completions ?? 1,
    parallelism = job.spec?.parallelism ?? 1,
    backoffLimit = job.spec?.backoffLimit ?? 6;
  st.startTime ??= metaTime(now);
  let succeeded = st.succeeded ?? 0,
    failed = st.failed ?? 0;

  const running: Pod[] = [];
  for (const p of model.pods) {
    const r = advancePod(p, spec, k, now);
    for (const e of r.events) events.push({ source: 'kubelet', ...e });
    if (r.pod.phase === 'Succeeded') succeeded++;
    else if (r.pod.phase === 'Failed') {
      failed++;
      model.lastFailureAt = now;
    } else running.push(r.pod);
  }
  model.pods = running;

  const cond = (type: string, reason: string, message: string): JobCondition => ({
    type,
    status: 'True',
    lastProbeTime: metaTime(now),
    lastTransitionTime: metaTime(now),
    reason,
    message,
  });
  const finish = (conds: JobCondition[], event: SimEvent) => {
    model.pods = [];
    st.conditions = [...(st.conditions ?? []), ...conds];
    events.push(event);
  };
  const deadline = job.spec?.activeDeadlineSeconds;
  if (failed > backoffLimit) {
    const message = 'Job has reached the specified backoff limit';
    finish([cond('FailureTarget', 'BackoffLimitExceeded', message), cond('Failed', 'BackoffLimitExceeded', message)], {
      source: 'job-controller',
      type: 'Warning',
      reason: 'BackoffLimitExceeded',
      message,
    });
  } else if (deadline !== undefined && now - Date.parse(st.startTime) >= deadline * 1000) {
    const message = 'Job was active longer than specified deadline';
    finish([cond('FailureTarget', 'DeadlineExceeded', message), cond('Failed', 'DeadlineExceeded', message)], {
      source: 'job-controller',
      type: 'Warning',
      reason: 'DeadlineExceeded',
      message,
    });
  } else if (succeeded >= completions) {
    const message = 'Reached expected number of succeeded pods';
    finish(
      [cond('SuccessCriteriaMet', 'CompletionsReached', message), cond('Complete', 'CompletionsReached', message)],
      { source: 'job-controller', type: 'Normal', reason: 'Completed', message: 'Job completed' },
    );
    st.completionTime = metaTime(now);
  } else {
    const backoff = failed > 0 ? Math.min(POD_BACKOFF_MS * 2 ** (failed - 1), POD_BACKOFF_CAP_MS) * k.backoffScale : 0;
    const want = Math.min(parallelism, completions - succeeded) - model.pods.length;
    if (want > 0 && (model.lastFailureAt === undefined || now >= model.lastFailureAt + backoff)) {
      for (let i = 0; i < want; i++) {
        const pod = newPod(podName(name, ++model.podSeq), now, k);
        model.pods.push(pod);
        events.push({
          source: 'job-controller',
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${pod.name}`,
        });
      }
    }
  }

  const status: JobStatus = {
    ...st,
    ready: model.pods.filter((p) => isReady(p, now)).length,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  delete status.active;
  delete status.succeeded;
  delete status.failed;
  if (model.pods.length) status.active = model.pods.length;
  if (succeeded) status.succeeded = succeeded;
  if (failed) status.failed = failed;
  return { model, status, events };
}
