/**
 * Live fields that someone set by hand and Git does not hold at all, found through
 * managedFields: a field owned by a manager other than the GitOps engine (`kubectl edit`,
 * `kubectl set env`, a script) is a person's change, while apiserver defaults belong to no
 * manager. This is the drift a three-way diff misses, and the kind that survives every sync
 * and every image rollback.
 */
import type { DiffEntry } from './diff.js';
import type { KubeObject } from './render.js';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: FieldsNode;
}
type FieldsNode = { [key: string]: FieldsNode };

/** Managers that are the GitOps engines themselves (upstream names; the sandbox uses the same). */
export const ENGINE_MANAGERS: readonly string[] = [
  'argocd-controller',
  'argocd-application-controller',
  'kustomize-controller',
  'helm-controller',
];
/** Managers whose writes are runtime state, not configuration. */
const RUNTIME_MANAGERS = /^(kube-controller-manager|horizontal-pod-autoscaler|vpa-|kube-scheduler|kubelet)/;

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Restart requests, not configuration: `kubectl rollout restart` (and rewind's own restart after a
 * config-only emergency change) stamps the pod template with this annotation. It says when pods
 * were last rolled, never how they behave, so it is no drift a rollback could be missing.
 */
const RESTART_REQUESTS = new Set(['/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt']);

/** `live` at `pointer` without the restart requests below it; undefined when nothing else is left. */
function withoutRestartRequests(pointer: string, live: unknown): unknown {
  if (!live || typeof live !== 'object' || Array.isArray(live)) return live;
  const kept = Object.entries(live as Record<string, unknown>).filter(
    ([k]) => !RESTART_REQUESTS.has(`${pointer}/${esc(k)}`),
  );
  if (kept.length === Object.keys(live).length) return live;
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function matches(item: unknown, key: Record<string, unknown>): boolean {
  return (
    !!item &&
    typeof item === 'object' &&
    Object.entries(key).every(([k, v]) => (item as Record<string, unknown>)[k] === v)
  );
}

function walk(node: FieldsNode, live: unknown, desired: unknown, pointer: string, out: Map<string, DiffEntry>): void {
  for (const [key, child] of Object.entries(node)) {
    if (key === '.') continue;
    let liveChild: unknown, desiredChild: unknown, segment: string;
    if (key.startsWith('f:')) {
      const field = key.slice(2);
      segment = esc(field);
      liveChild = live && typeof live === 'object' ? (live as Record<string, unknown>)[field] : undefined;
      desiredChild = desired && typeof desired === 'object' ? (desired as Record<string, unknown>)[field] : undefined;
    } else if (key.startsWith('k:')) {
      const match = JSON.parse(key.slice(2)) as Record<string, unknown>;
      const liveList = Array.isArray(live) ? live : [];
      const index = liveList.findIndex((x) => matches(x, match));
      if (index < 0) continue;
      segment = String(index);
      liveChild = liveList[index];
      desiredChild = Array.isArray(desired) ? desired.find((x) => matches(x, match)) : undefined;
    } else {
      continue; // `v:` set members and `i:` positions: not used by the kinds rewind manages
    }
    if (liveChild === undefined) continue;
    const here = `${pointer}/${segment}`;
    if (RESTART_REQUESTS.has(here)) continue;
    if (desiredChild === undefined) {
      // A map Git lacks entirely (the pod template's annotations) whose only hand-set keys are restart requests.
      const live = withoutRestartRequests(here, liveChild);
      if (live !== undefined) out.set(here, { path: here, desired: undefined, live });
      continue;
    }
    if (Object.keys(child).some((k) => k !== '.')) walk(child, liveChild, desiredChild, here, out);
  }
}

/** Fields set on `live` by a non-engine manager that `desired` (rendered from Git) does not contain. */
export function manualFields(
  desired: KubeObject,
  live: KubeObject,
  engineManagers: readonly string[] = ENGINE_MANAGERS,
): DiffEntry[] {
  const out = new Map<string, DiffEntry>();
  const entries = (live.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
  for (const e of entries) {
    if (
      !e.fieldsV1 ||
      e.subresource ||
      !e.manager ||
      engineManagers.includes(e.manager) ||
      RUNTIME_MANAGERS.test(e.manager)
    )
      continue;
    // Top-level metadata is bookkeeping (annotations of tools, labels of controllers), not behaviour.
    const { 'f:metadata': _metadata, 'f:status': _status, ...rest } = e.fieldsV1;
    walk(rest, live, desired, '', out);
  }
  return [...out.values()];
}
