/**
 * Fault rules: which pods the workload simulator makes fail, as a bad image or a wrong config
 * value would. A rule is judged per pod, against the pod's template (its images) and the
 * environment its containers read when they last started (container-env.ts), never against
 * the live ConfigMaps: a running container does not see later ConfigMap changes. Pure.
 */

/**
 * Makes matching pods fail. Every condition given must hold (AND). `env` is judged on the
 * containers that define the variable: `mustEqual` fails when the value differs (or when no
 * container sets it), `mustNotEqual` fails when it equals; with neither, the variable being
 * set at all fails.
 *
 * What a matching pod does:
 * - neither `crashAfterReadyMs` nor `startDelayMs`: the container exits at start, never ready,
 *   and restarts in CrashLoopBackOff (re-reading its environment at each restart);
 * - `crashAfterReadyMs`: it starts, passes readiness and serves, then exits this long after
 *   becoming ready (an app whose readiness probe does not check its database);
 * - `startDelayMs` alone: a slow start: ready this long after the container started, no crash
 *   (a slow rollout that recovers); with `crashAfterReadyMs` too, a slow start then the crash;
 * - `errorRate` alone: bad but not crashing: the pod starts, is ready and stays up, and answers
 *   this share of its requests with a 5xx (request-metrics.ts), so only metrics can tell.
 */
export interface FaultRule {
  name: string;
  namespace?: string;
  /** Only pods of this Deployment (a rule naming a Deployment never matches Job pods). */
  deployment?: string;
  /** Only pods of this Job (a rule naming a Job never matches Deployment pods). */
  job?: string;
  /** Exact image reference of one of the containers, e.g. `ghcr.io/acme/users-api:1.43.0`. */
  image?: string;
  env?: { name: string; mustEqual?: string; mustNotEqual?: string };
  /** The container's last words: shown in the kubelet's BackOff (or Unhealthy) event. */
  message: string;
  crashAfterReadyMs?: number;
  startDelayMs?: number;
  /** Share of requests (0..1) a matching ready pod answers with a 5xx, as /metrics shows it. */
  errorRate?: number;
}

/** A rule whose matching pods crash (as opposed to a slow start, or serving errors, only). */
export const crashes = (r: FaultRule): boolean =>
  r.crashAfterReadyMs !== undefined || (r.startDelayMs === undefined && r.errorRate === undefined);

/** What a rule is judged on: one pod as it last started. */
export interface PodFacts {
  namespace: string;
  owner: { kind: 'Deployment' | 'Job'; name: string };
  containers: ReadonlyArray<{ name?: string; image?: string }>;
  /** Per container (same order), the environment read at its last start. */
  envs: ReadonlyArray<Readonly<Record<string, string>>>;
}

export interface FaultMatch {
  rule: FaultRule;
  container: string;
}

/** Index of the container that fails `rule`'s env condition, or -1. */
function envFailure(rule: NonNullable<FaultRule['env']>, envs: PodFacts['envs']): number {
  const defining = envs.flatMap((e, i) => (rule.name in e ? [i] : []));
  if (defining.length === 0) return rule.mustEqual !== undefined ? 0 : -1;
  const bad = defining.find((i) => {
    const v = envs[i]![rule.name];
    if (rule.mustEqual !== undefined) return v !== rule.mustEqual;
    if (rule.mustNotEqual !== undefined) return v === rule.mustNotEqual;
    return true;
  });
  return bad ?? -1;
}

/** The first rule that matches the pod, with the container it blames; undefined when the pod is fine. */
export function matchFault(pod: PodFacts, rules: readonly FaultRule[]): FaultMatch | undefined {
  const nameOf = (i: number) => pod.containers[i]?.name ?? `container-${i}`;
  for (const r of rules) {
    if (r.namespace !== undefined && r.namespace !== pod.namespace) continue;
    if (r.deployment !== undefined && (pod.owner.kind !== 'Deployment' || r.deployment !== pod.owner.name)) continue;
    if (r.job !== undefined && (pod.owner.kind !== 'Job' || r.job !== pod.owner.name)) continue;
    let culprit = 0;
    if (r.image !== undefined) {
      culprit = pod.containers.findIndex((c) => c.image === r.image);
      if (culprit < 0) continue;
    }
    if (r.env !== undefined) {
      culprit = envFailure(r.env, pod.envs);
      if (culprit < 0) continue;
    }
    return { rule: r, container: nameOf(culprit) };
  }
  return undefined;
}
