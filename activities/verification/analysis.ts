/**
 * The verdicts of progressive-delivery controllers, read through the Kubernetes API (rewind
 * does not run analyses itself): Argo Rollouts' newest AnalysisRun of a Rollout, and a Flagger
 * Canary's phase. Only a verdict reached after `since` counts: an AnalysisRun created before the
 * promotion, or a Canary that last changed phase before it, judged an older version.
 */
import type { KubeRest } from '../../src/lib/kube/rest.js';
import { analysisPhaseVerdict, type AnalysisCheck } from '../../workflows/verification/types.js';

export const ANALYSIS_KINDS = {
  'argo-rollouts': { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun' },
  flagger: { apiVersion: 'flagger.app/v1beta1', kind: 'Canary' },
} as const;

interface Obj {
  metadata?: { name?: string; creationTimestamp?: string; ownerReferences?: Array<{ kind?: string; name?: string }> };
  status?: {
    phase?: string;
    message?: string;
    lastTransitionTime?: string;
    conditions?: Array<{ type?: string; message?: string }>;
  };
}

export interface AnalysisReading {
  verdict: 'passed' | 'failed' | 'pending';
  /** What was read, e.g. `AnalysisRun users-api-7d9c-2: Failed (metric "error-rate" assessed Failed …)`. */
  note: string;
}

/** Kubernetes times have second precision: a verdict in the same second as `since` counts. */
const notBefore = (t: string | undefined, sinceMs: number) => !!t && Date.parse(t) >= Math.floor(sinceMs / 1000) * 1000;

/** Reads the check's current verdict from the listed objects (pure over the list). */
export function readAnalysis(check: AnalysisCheck, items: Obj[], sinceMs: number): AnalysisReading {
  if (check.source === 'argo-rollouts') {
    const runs = items
      .filter(
        (r) =>
          r.metadata?.ownerReferences?.some((o) => o.kind === 'Rollout' && o.name === check.object) &&
          notBefore(r.metadata?.creationTimestamp, sinceMs),
      )
      .sort((a, b) => Date.parse(b.metadata!.creationTimestamp!) - Date.parse(a.metadata!.creationTimestamp!));
    const run = runs[0];
    if (!run) return { verdict: 'pending', note: `no AnalysisRun of Rollout ${check.object} since the promotion yet` };
    const phase = run.status?.phase;
    return {
      verdict: analysisPhaseVerdict('argo-rollouts', phase),
      note:
        `AnalysisRun ${run.metadata?.name}: ${phase ?? 'no phase yet'}` +
        `${run.status?.message ? ` (${run.status.message})` : ''}`,
    };
  }
  const canary = items.find((c) => c.metadata?.name === check.object);
  if (!canary) return { verdict: 'pending', note: `Canary ${check.object} does not exist` };
  const phase = canary.status?.phase;
  if (!notBefore(canary.status?.lastTransitionTime, sinceMs))
    return {
      verdict: 'pending',
      note: `Canary ${check.object} is ${phase ?? 'without a phase'} since before the promotion`,
    };
  const message = canary.status?.conditions?.find((c) => c.type === 'Promoted')?.message;
  return {
    verdict: analysisPhaseVerdict('flagger', phase),
    note: `Canary ${check.object}: ${phase ?? 'no phase yet'}${message ? ` (${message})` : ''}`,
  };
}

/**
 * The collection to list and watch for the check in `namespace`; throws KubeApiError 404 when the CRD is not installed.
 */
export async function analysisCollection(rest: KubeRest, check: AnalysisCheck, namespace: string): Promise<string> {
  const k = ANALYSIS_KINDS[check.source];
  return rest.collectionPath(await rest.resource(k.apiVersion, k.kind), namespace);
}
