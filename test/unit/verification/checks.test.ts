import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { readAnalysis } from '../../../activities/verification/analysis.js';
import { engineSyncedRevision } from '../../../activities/watch/engine-writes.js';
import { stepCheck } from '../../../workflows/verify-steps.js';
import {
  addSample,
  analysisPhaseVerdict,
  metricMessage,
  parseWindow,
  policyAllows,
  probeMessage,
  type CheckWindows,
  type MetricCheck,
  type PromotionTrigger,
} from '../../../workflows/verification/types.js';
import type { RunbookStep, TargetSnapshot } from '../../../workflows/types.js';

const errorRate: MetricCheck = {
  name: 'error-rate',
  kind: 'prometheus',
  url: 'http://prom:9090',
  query: 'q',
  max: 0.01,
  forMs: 120_000,
  everyMs: 15_000,
  withinMs: 360_000,
  format: 'percent',
};

describe('verification checks', () => {
  it('decide once a whole window holds, or is breached; no data restarts both windows', () => {
    const w: CheckWindows = { started: 0, samples: 0 };
    assert.equal(addSample(w, 'ok', 0, 10), undefined);
    assert.equal(addSample(w, 'breach', 5, 10), undefined, 'a breach restarts the holding window');
    assert.equal(addSample(w, 'breach', 10, 10), undefined);
    assert.equal(addSample(w, 'none', 12, 10), undefined);
    assert.equal(addSample(w, 'breach', 13, 10), undefined, 'missing data restarted the breach window');
    assert.equal(addSample(w, 'breach', 23, 10, 0.042), 'breached');
    assert.equal(w.last, 0.042);
    const ok: CheckWindows = { started: 0, samples: 0 };
    addSample(ok, 'ok', 0, 10);
    assert.equal(addSample(ok, 'ok', 10, 10), 'held');
  });

  it('say what they found, with the threshold and the window, as a person writes them', () => {
    assert.equal(metricMessage(errorRate, 'breached', 0.042), 'error rate 4.2% > 1% for 2m');
    assert.equal(metricMessage(errorRate, 'held', 0), 'error rate 0% held ≤ 1% for 2m');
    assert.equal(
      metricMessage(errorRate, 'unsettled', 0.011),
      'error rate did not hold ≤ 1% for 2m within 6m (last 1.1%)',
    );
    assert.equal(
      metricMessage(
        { ...errorRate, name: 'throughput', max: undefined, min: 50, format: undefined, forMs: 90_000 },
        'breached',
        12.5,
      ),
      'throughput 12.5 < 50 for 1m30s',
    );
    assert.equal(
      probeMessage(
        { name: 'smoke', kind: 'http', url: 'http://a/healthz', forMs: 30_000, everyMs: 5000, withinMs: 90_000 },
        'breached',
        'HTTP 503',
      ),
      'smoke: http://a/healthz failed for 30s (HTTP 503)',
    );
  });

  it('read Argo Rollouts and Flagger phases as verdicts', () => {
    assert.deepEqual(
      ['Successful', 'Failed', 'Error', 'Inconclusive', 'Running', undefined].map((p) =>
        analysisPhaseVerdict('argo-rollouts', p),
      ),
      ['passed', 'failed', 'failed', 'failed', 'pending', 'pending'],
    );
    assert.deepEqual(
      ['Succeeded', 'Failed', 'Progressing', 'Promoting'].map((p) => analysisPhaseVerdict('flagger', p)),
      ['passed', 'failed', 'pending', 'pending'],
    );
  });

  it('count only an analysis newer than the change: an older AnalysisRun or Canary verdict is history', () => {
    const since = Date.parse('2026-03-02T10:00:00.500Z');
    const owned = (name: string, at: string, phase: string) => ({
      metadata: { name, creationTimestamp: at, ownerReferences: [{ kind: 'Rollout', name: 'users-api' }] },
      status: { phase },
    });
    const check = {
      name: 'analysis',
      kind: 'analysis' as const,
      source: 'argo-rollouts' as const,
      object: 'users-api',
      withinMs: 60_000,
    };
    assert.equal(readAnalysis(check, [owned('old', '2026-03-02T09:59:00Z', 'Failed')], since).verdict, 'pending');
    assert.equal(
      readAnalysis(
        check,
        [owned('old', '2026-03-02T09:59:00Z', 'Failed'), owned('new', '2026-03-02T10:00:00Z', 'Successful')],
        since,
      ).verdict,
      'passed',
      'same second as the change counts',
    );
    const canary = {
      name: 'c',
      kind: 'analysis' as const,
      source: 'flagger' as const,
      object: 'users-api',
      withinMs: 60_000,
    };
    assert.equal(
      readAnalysis(
        canary,
        [
          {
            metadata: { name: 'users-api' },
            status: { phase: 'Succeeded', lastTransitionTime: '2026-03-02T09:00:00Z' },
          },
        ],
        since,
      ).verdict,
      'pending',
    );
    assert.equal(
      readAnalysis(
        canary,
        [{ metadata: { name: 'users-api' }, status: { phase: 'Failed', lastTransitionTime: '2026-03-02T10:01:00Z' } }],
        since,
      ).verdict,
      'failed',
    );
  });

  it('an automatic run is allowed only by a policy of the target that names a check that failed', () => {
    const trigger: PromotionTrigger = {
      promotion: 'a'.repeat(40),
      syncedAt: 't',
      detectedAt: 't',
      failed: [{ name: 'error-rate', message: 'm', at: 't' }],
      policy: { when: ['error-rate'], fired: ['error-rate'] },
    };
    assert.equal(
      policyAllows({ checks: [errorRate], autoRollback: { when: ['error-rate'], cooldownMs: 1 } }, trigger),
      true,
    );
    assert.equal(policyAllows({ checks: [errorRate] }, trigger), false, 'no autoRollback in the snapshot');
    assert.equal(
      policyAllows({ checks: [errorRate], autoRollback: { when: ['latency'], cooldownMs: 1 } }, trigger),
      false,
    );
    assert.equal(
      policyAllows(
        { checks: [errorRate], autoRollback: { when: ['error-rate'], cooldownMs: 1 } },
        { ...trigger, failed: [] },
      ),
      false,
      'the fired check must have failed',
    );
    assert.equal(
      policyAllows(
        { checks: [errorRate], autoRollback: { when: ['error-rate'], cooldownMs: 1 } },
        { ...trigger, policy: undefined },
      ),
      false,
    );
  });

  it('runbook steps build the same checks from their with:', () => {
    const target = {
      app: 'users-api',
      env: 'staging',
      health: { windowMs: 1, timeoutMs: 1, probeUrl: 'http://users-api/healthz' },
      verification: { checks: [], prometheusUrl: 'http://prom:9090' },
    } as unknown as TargetSnapshot;
    const step = (kind: RunbookStep['kind'], w: RunbookStep['with']): RunbookStep => ({ kind, name: 'v', with: w });
    assert.deepEqual(
      stepCheck(step('verifyMetric', { check: 'error-rate', query: 'q', max: 0.01, for: '2m' }), {
        input: { target },
      } as never),
      {
        name: 'error-rate',
        kind: 'prometheus',
        url: 'http://prom:9090',
        query: 'q',
        max: 0.01,
        forMs: 120_000,
        everyMs: 15_000,
        withinMs: 360_000,
      },
    );
    assert.deepEqual(stepCheck(step('verifyProbe', { for: '30s' }), { input: { target } } as never), {
      name: 'probe',
      kind: 'http',
      url: 'http://users-api/healthz',
      forMs: 30_000,
      everyMs: 10_000,
      withinMs: 90_000,
    });
    assert.deepEqual(stepCheck(step('verifyAnalysis', { canary: 'users-api' }), { input: { target } } as never), {
      name: 'analysis',
      kind: 'analysis',
      source: 'flagger',
      object: 'users-api',
      withinMs: 900_000,
    });
    assert.equal(parseWindow('1h30m'), 5_400_000);
    assert.equal(parseWindow('soon'), undefined);
  });

  it("the promotion watch reads the synced revision from the real engines' recorded objects", async () => {
    // Recorded fixtures name commits as <sha:subject>; put a sha in their place.
    const SHA = '3f2a9c1e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a';
    const fixture = async (p: string) =>
      JSON.parse(
        (await readFile(new URL(`../../fixtures/engines/${p}`, import.meta.url), 'utf8')).replace(/<sha:[^>]*>/g, SHA),
      ) as { status?: { operationState?: { syncResult?: { revision?: string } }; lastAppliedRevision?: string } };
    const ok = await fixture('argocd/sync-succeeded.json');
    assert.equal(engineSyncedRevision('argocd', ok), SHA);
    assert.equal(
      engineSyncedRevision('argocd', await fixture('argocd/sync-running.json')),
      undefined,
      'a sync still running has not synced',
    );
    const ready = await fixture('flux/kustomization-ready.json');
    assert.match(ready.status?.lastAppliedRevision ?? '', /@sha1:/);
    assert.equal(engineSyncedRevision('flux', ready), SHA);
  });
});
