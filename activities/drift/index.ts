/**
 * The drift report: the app's objects rendered from Git at a revision, compared with live,
 * split into allowed runtime differences (HPA-owned replicas, the engine's own
 * ignoreDifferences) and real drift, the kind that can keep a rollback from restoring service.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { compareApp, ignoreRuleMatches, type DiffEntry, type IgnoreDifference } from '../../src/lib/gitops/diff.js';
import type { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { manualFields } from '../../src/lib/gitops/manual-fields.js';
import { objectKey, type KubeObject } from '../../src/lib/gitops/render.js';
import { renderTarget } from '../render-target.js';
import { isForbidden, isNotFound } from '../../src/lib/kube/errors.js';
import { clusterConfig, type Clusters } from '../../src/lib/kube/clusters.js';
import { readObject, restFor } from '../../src/lib/kube/rest-pool.js';
import type { DriftReport, FieldDrift, ObjectDrift, TargetSnapshot } from '../../workflows/types.js';

export interface DriftDeps {
  clusters: Clusters;
  sources: GitSourceCache;
}

async function ignoreRules(kc: KubeConfig, target: TargetSnapshot): Promise<IgnoreDifference[]> {
  if (target.engine.kind !== 'argocd') return [];
  const app = await readObject<{ spec?: { ignoreDifferences?: IgnoreDifference[] } }>(
    kc,
    'argoproj.io/v1alpha1',
    'Application',
    target.engine.namespace,
    target.engine.name,
  );
  return app?.spec?.ignoreDifferences ?? [];
}

interface Hpa {
  spec?: { scaleTargetRef: { kind: string; name: string } };
}

/** The workloads an HPA scales; none when rewind may not list HPAs or the cluster does not serve autoscaling/v2. */
async function hpaTargets(kc: KubeConfig, namespace: string): Promise<Set<string>> {
  const hpas = await (await restFor(kc))
    .list<Hpa>(`/apis/autoscaling/v2/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers`)
    .catch((err: unknown) => {
      if (isForbidden(err) || isNotFound(err)) return [];
      throw err;
    });
  return new Set(hpas.flatMap((h) => (h.spec ? [`${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}`] : [])));
}

function isAllowed(entry: DiffEntry, desired: KubeObject, rules: IgnoreDifference[], hpa: Set<string>): boolean {
  if (entry.path === '/spec/replicas' && hpa.has(`${desired.kind}/${desired.metadata.name}`)) return true;
  return rules.some(
    (r) =>
      ignoreRuleMatches(r, desired) &&
      (r.jsonPointers ?? []).some((p) => entry.path === p || entry.path.startsWith(`${p}/`)),
  );
}

export function createDriftActivities(deps: DriftDeps) {
  return {
    /** Renders Git at `revision` (default: the branch head) and compares every rendered object with live. */
    async driftReport({ target, revision }: { target: TargetSnapshot; revision?: string }): Promise<DriftReport> {
      const kc = clusterConfig(deps.clusters, target.cluster);
      const { sha, objects: desired } = await renderTarget(deps.sources, target, revision);
      const live: KubeObject[] = [];
      const unreadable: string[] = [];
      for (const d of desired) {
        try {
          const l = await readObject<KubeObject>(kc, d.apiVersion, d.kind, d.metadata.namespace, d.metadata.name);
          if (l) live.push(l);
        } catch (err) {
          // An object rewind may not read is reported, not allowed to fail the whole plan.
          if (!isForbidden(err)) throw err;
          unreadable.push(objectKey(d));
        }
      }
      const [rules, hpa] = await Promise.all([ignoreRules(kc, target), hpaTargets(kc, target.namespace)]);
      const comparison = compareApp(
        desired.filter((d) => !unreadable.includes(objectKey(d))),
        live,
      );
      const objects: ObjectDrift[] = [];
      for (const r of comparison.resources) {
        // Hand-set fields Git does not hold at all (see manual-fields.ts) come on top of value differences.
        const extra =
          r.desired && r.live
            ? manualFields(r.desired, r.live).filter((m) => !r.diffs.some((d) => d.path === m.path))
            : [];
        const diffs = [...r.diffs, ...extra];
        if (r.state === 'synced' && diffs.length === 0) continue;
        const toField = (e: DiffEntry): FieldDrift => ({ path: e.path, desired: e.desired, live: e.live });
        const allowed = r.desired ? diffs.filter((e) => isAllowed(e, r.desired!, rules, hpa)) : [];
        const real = diffs.filter((e) => !allowed.includes(e));
        objects.push({
          object: r.key,
          kind: r.state === 'synced' ? 'modified' : r.state,
          fields: real.map(toField),
          allowed: allowed.map(toField),
        });
      }
      const isReal = (o: ObjectDrift) => o.kind !== 'modified' || o.fields.length > 0;
      return {
        revision: sha,
        objects,
        real: objects.filter(isReal).length,
        allowedOnly: objects.filter((o) => !isReal(o)).length,
        ...(unreadable.length ? { unreadable } : {}),
      };
    },
  };
}
