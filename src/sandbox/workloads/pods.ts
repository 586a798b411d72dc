/**
 * Pods as the kubelet runs them, in memory: no Pod objects are written. Pure: advancePod()
 * takes a pod, what the kubelet knows about it and the time, and returns the pod at that time
 * and the events the kubelet would have recorded on the way.
 *
 * A container starts `podStartMs` after the pod was created (image pull and start) and reads
 * its environment at that moment (container-env.ts); that snapshot is all it ever sees. Fault
 * rules are judged against the snapshot (faults.ts), at the start and again on every later
 * advance, because rules model the world (a database that moved fails running pods too), while
 * a ConfigMap edit reaches a container only when it starts again. A crashed container restarts
 * after the kubelet's CrashLoopBackOff delay (10 s, doubling, capped at 300 s, reset after it ran
 * 10 min without crashing; all scaled by `backoffScale`), counts a restart and re-reads its
 * environment. Pods with restartPolicy Never (Job pods) fail instead of restarting.
 */
import { containerEnv, type ContainerLike, type EnvSources } from './container-env.js';
import { crashes, matchFault, type FaultRule } from './faults.js';

/** `Pending`: the container has not started (pulling, or CreateContainerConfigError); `BackOff`: waiting to restart. */
export type PodPhase = 'Pending' | 'Running' | 'BackOff' | 'Succeeded' | 'Failed';

export interface Pod {
  readonly name: string;
  readonly createdAt: number;
  phase: PodPhase;
  /** When the container starts next: after the image pull, or after the back-off. */
  startAt?: number;
  startedAt?: number;
  readyAt?: number;
  crashAt?: number;
  /** Job pods: when the container exits 0. */
  exitAt?: number;
  /** Per container, the environment it read at its last start. */
  env: Array<Record<string, string>>;
  restartCount: number;
  /** Back-offs in a row, and when the last one began. */
  backoffs: number;
  lastBackoffAt?: number;
  /** The kubelet's CreateContainerConfigError message while the container cannot start. */
  configError?: string;
  /** Why the running container will crash (or last crashed). */
  failure?: { rule: string; message: string; container: string };
}

/** What the kubelet knows about a pod: its template and owner. */
export interface PodSpecView {
  namespace: string;
  owner: { kind: 'Deployment' | 'Job'; name: string };
  containers: ContainerLike[];
  serviceAccountName?: string;
  /** `Always`: restart in CrashLoopBackOff; `Never`: the pod fails (Job pods). */
  restartPolicy: 'Always' | 'Never';
  /** Job pods: how long a healthy container runs before exiting 0. */
  runMs?: number;
}

export interface KubeletSettings {
  sources: EnvSources;
  faults: readonly FaultRule[];
  podStartMs: number;
  backoffScale: number;
}

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const BACKOFF_INITIAL_MS = 10_000,
  BACKOFF_CAP_MS = 300_000;

export function newPod(name: string, now: number, k: Pick<KubeletSettings, 'podStartMs'>): Pod {
  return { name, createdAt: now, phase: 'Pending', startAt: now + k.podStartMs, env: [], restartCount: 0, backoffs: 0 };
}

export const isReady = (p: Pod, now: number): boolean =>
  p.phase === 'Running' && p.readyAt !== undefined && p.readyAt <= now;

/** Ready for at least `minReadySeconds` (`podutil.IsPodAvailable`). */
export const isAvailable = (p: Pod, minReadySeconds: number, now: number): boolean =>
  isReady(p, now) && (minReadySeconds <= 0 || p.readyAt! + minReadySeconds * 1000 < now);

/** The pod at `now`, and the kubelet's events on the way there. */
export function advancePod(
  from: Pod,
  spec: PodSpecView,
  k: KubeletSettings,
  now: number,
): { pod: Pod; events: PodEvent[] } {
  const pod: Pod = { ...from };
  const events: PodEvent[] = [];
  const match = () =>
    matchFault({ namespace: spec.namespace, owner: spec.owner, containers: spec.containers, envs: pod.env }, k.faults);

  const start = (at: number): boolean => {
    const envs: Array<Record<string, string>> = [];
    for (const c of spec.containers) {
      const r = containerEnv(c, k.sources, {
        name: pod.name,
        namespace: spec.namespace,
        serviceAccountName: spec.serviceAccountName,
      });
      if (!r.ok) {
        if (pod.configError !== r.error) events.push({ type: 'Warning', reason: 'Failed', message: r.error });
        pod.configError = r.error;
        return false;
      }
      envs.push(r.env);
    }
    if (pod.phase === 'BackOff') pod.restartCount++;
    Object.assign(pod, {
      env: envs,
      phase: 'Running',
      startedAt: at,
      startAt: undefined,
      configError: undefined,
      failure: undefined,
      crashAt: undefined,
    });
    const m = match();
    const delay = m?.rule.startDelayMs ?? 0;
    if (m?.rule.startDelayMs !== undefined)
      events.push({ type: 'Warning', reason: 'Unhealthy', message: `Readiness probe failed: ${m.rule.message}` });
    pod.readyAt = m && crashes(m.rule) && m.rule.crashAfterReadyMs === undefined ? undefined : at + delay;
    if (m && crashes(m.rule)) {
      pod.failure = { rule: m.rule.name, message: m.rule.message, container: m.container };
      pod.crashAt = pod.readyAt === undefined ? at + delay : pod.readyAt + m.rule.crashAfterReadyMs!;
    }
    pod.exitAt = spec.runMs === undefined ? undefined : at + spec.runMs;
    return true;
  };

  const crash = (at: number) => {
    const f = pod.failure ?? { message: 'Error', container: spec.containers[0]?.name ?? 'main', rule: '' };
    Object.assign(pod, { readyAt: undefined, crashAt: undefined, exitAt: undefined });
    if (spec.restartPolicy === 'Never') {
      pod.phase = 'Failed';
      events.push({
        type: 'Warning',
        reason: 'Failed',
        message: `Error: container ${f.container} in pod ${pod.name} exited: ${f.message}`,
      });
      return;
    }
    if (pod.lastBackoffAt !== undefined && at - pod.lastBackoffAt > 2 * BACKOFF_CAP_MS * k.backoffScale)
      pod.backoffs = 0;
    const delay = Math.min(BACKOFF_INITIAL_MS * 2 ** pod.backoffs, BACKOFF_CAP_MS) * k.backoffScale;
    Object.assign(pod, { phase: 'BackOff', startAt: at + delay, backoffs: pod.backoffs + 1, lastBackoffAt: at });
    events.push({
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container ${f.container} in pod ${pod.name}: ${f.message}`,
    });
  };

  const run = () => {
    for (let guard = 0; guard < 1000; guard++) {
      if ((pod.phase === 'Pending' || pod.phase === 'BackOff') && pod.startAt !== undefined && pod.startAt <= now) {
        // A retry after CreateContainerConfigError starts now, not when the first attempt was due.
        if (!start(pod.configError !== undefined ? now : pod.startAt)) return;
        continue;
      }
      if (pod.phase !== 'Running') return;
      const next = Math.min(pod.crashAt ?? Infinity, pod.exitAt ?? Infinity);
      if (next > now) return;
      if (pod.crashAt === next) crash(next);
      else Object.assign(pod, { phase: 'Succeeded', readyAt: undefined, exitAt: undefined });
    }
  };

  run();
  if (pod.phase === 'Running') {
    // Rules may have changed since the container started: judge its snapshot again.
    const m = match();
    if (m && crashes(m.rule)) {
      if (pod.crashAt === undefined) {
        pod.failure = { rule: m.rule.name, message: m.rule.message, container: m.container };
        const due =
          m.rule.crashAfterReadyMs !== undefined && pod.readyAt !== undefined
            ? pod.readyAt + m.rule.crashAfterReadyMs
            : now;
        pod.crashAt = Math.max(due, now);
      }
    } else if (pod.crashAt !== undefined) {
      pod.crashAt = undefined;
      pod.failure = undefined;
    }
    run();
  }
  return { pod, events };
}

/**
 * Order in which a ReplicaSet deletes pods when scaled down (`controller.ActivePods` ranking):
 * not started before running, not ready before ready, ready for less time first, more restarts
 * first, newer first.
 */
export function deletionOrder(now: number): (a: Pod, b: Pod) => number {
  const started = (p: Pod) => (p.phase === 'Pending' ? 0 : 1);
  return (a, b) =>
    started(a) - started(b) ||
    Number(isReady(a, now)) - Number(isReady(b, now)) ||
    (isReady(a, now) && isReady(b, now) ? b.readyAt! - a.readyAt! : 0) ||
    b.restartCount - a.restartCount ||
    b.createdAt - a.createdAt;
}
