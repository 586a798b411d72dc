/**
 * Kubernetes Events (core/v1) about an app's objects within a time window: its workloads and the
 * ReplicaSets and Pods they own (by name prefix, which is how the controllers name them) in the
 * target namespace, and the GitOps engine object in its namespace. A Warning among them, or an
 * engine's Normal event of a health transition into Degraded, is a detection signal for the phases.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../kube/rest.js';
import type { TimelineEntry, TimelineRun } from './model.js';

interface KubeEvent {
  metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { lastObservedTime?: string; count?: number } | null;
  source?: { component?: string };
  reportingComponent?: string;
}

const WORKLOAD_KIND: Record<string, string> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  job: 'Job',
};
const OWNED_KINDS = new Set(['ReplicaSet', 'Pod', 'ControllerRevision']);

/** Whether `e` concerns one of the app's objects. */
export function concernsApp(e: KubeEvent, target: TimelineRun['target']): boolean {
  const o = e.involvedObject ?? {};
  const ns = o.namespace ?? e.metadata?.namespace;
  if (!o.kind || !o.name) return false;
  if (
    ns === target.engine.namespace &&
    o.kind === (target.engine.kind === 'argocd' ? 'Application' : 'Kustomization') &&
    o.name === target.engine.name
  )
    return true;
  if (ns !== target.namespace) return false;
  return target.workloads.some((w) => {
    const [kind = '', name = ''] = w.split('/');
    return (
      (o.kind === WORKLOAD_KIND[kind] && o.name === name) ||
      (OWNED_KINDS.has(o.kind!) && o.name!.startsWith(`${name}-`))
    );
  });
}

const first = (e: KubeEvent) => e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
const last = (e: KubeEvent) => e.series?.lastObservedTime ?? e.lastTimestamp ?? first(e);

/**
 * Argo CD reports health transitions of an Application as Normal events (reason `ResourceUpdated`,
 * "Updated health status: Progressing -> Degraded"); a transition into a bad state is as much a
 * detection signal as a Warning.
 */
const BAD_HEALTH_TRANSITION = /health status: \w+ -> (Degraded|Missing)\b/i;

/** Whether `e` says something is wrong: a Warning, or an engine's health transition into Degraded/Missing. */
export function isDetectionSignal(e: Pick<KubeEvent, 'type' | 'message'>): boolean {
  return e.type === 'Warning' || BAD_HEALTH_TRANSITION.test(e.message ?? '');
}

export function kubeEventEntry(e: KubeEvent): TimelineEntry | undefined {
  const at = first(e);
  if (!at || Number.isNaN(Date.parse(at))) return undefined;
  const o = e.involvedObject ?? {};
  const count = e.series?.count ?? e.count;
  const lastSeen = last(e);
  const warning = isDetectionSignal(e);
  return {
    at: new Date(at).toISOString(),
    kind: 'kube-event',
    source: 'kubernetes',
    actor: e.reportingComponent || e.source?.component || 'kubernetes',
    summary: `${e.type ?? 'Normal'} ${e.reason ?? ''} ${o.kind}/${o.name}: ${(e.message ?? '').trim()}`
      .replace(/\s+/g, ' ')
      .trim(),
    severity: warning ? 'warning' : 'info',
    evidence: {
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      object: `${o.kind}/${o.namespace ?? e.metadata?.namespace ?? ''}/${o.name}`,
      ...(count !== undefined ? { count } : {}),
      ...(lastSeen && lastSeen !== at ? { lastSeen: new Date(lastSeen).toISOString() } : {}),
    },
  };
}

/** Events of the app's objects that were active within [from, to] (ms since epoch). */
export async function appKubeEvents(
  kc: KubeConfig,
  target: TimelineRun['target'],
  from: number,
  to: number,
): Promise<TimelineEntry[]> {
  // Our own client, closed after use: a pooled keep-alive agent would hold a CLI process open.
  const rest = await KubeRest.create(kc);
  try {
    const namespaces = [...new Set([target.namespace, target.engine.namespace])];
    const lists = await Promise.all(
      namespaces.map((ns) => rest.list<KubeEvent>(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`)),
    );
    return lists
      .flat()
      .filter((e) => concernsApp(e, target))
      .filter((e) => {
        const a = Date.parse(first(e) ?? ''),
          b = Date.parse(last(e) ?? '');
        return !Number.isNaN(a) && (Number.isNaN(b) ? a : b) >= from && a <= to;
      })
      .map(kubeEventEntry)
      .filter((x): x is TimelineEntry => x !== undefined);
  } finally {
    rest.close();
  }
}
