/**
 * The pure parts of the sandbox controller (Go durations, auto-sync decisions, its own Argo-like
 * comparison, health and kstatus, Flux history). No API server
 * needed; they live here because the sandbox's tests are kept together. The workload simulator's
 * pure model (fault rules, pods, deployment and job status) is tested in test/unit/sandbox/workloads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoSyncReason } from '../../../src/sandbox/controller/argo-app.js';
import type { ArgoComparison } from '../../../src/sandbox/controller/argo-compare.js';
import type { Application } from '../../../src/sandbox/controller/argo-types.js';
import { desiredDifferences } from '../../../src/sandbox/controller/argo-diff.js';
import { formatGoDuration, parseGoDuration } from '../../../src/sandbox/controller/durations.js';
import { upsertHistory } from '../../../src/sandbox/controller/flux-types.js';
import { deploymentHealth, isWorse, objectHealth } from '../../../src/sandbox/controller/health.js';
import { kstatusOf } from '../../../src/sandbox/controller/kstatus.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';

describe('Go durations', () => {
  it('parses Flux intervals', () => {
    assert.equal(parseGoDuration('1m'), 60_000);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('1h0m0s'), 3_600_000);
    assert.equal(parseGoDuration('500ms'), 500);
    assert.equal(parseGoDuration('1.5s'), 1_500);
    assert.equal(parseGoDuration('5 m'), undefined);
    assert.equal(parseGoDuration('m'), undefined);
  });
  it('formats like Go', () => {
    assert.deepEqual([60_000, 90_000, 1_500, 3_600_000, 4_012].map(formatGoDuration), [
      '1m0s',
      '1m30s',
      '1.5s',
      '1h0m0s',
      '4.012s',
    ]);
  });
});

describe('auto-sync decision (Argo autoSync)', () => {
  const app = (automated: object | null, op?: object): Application => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a' },
    spec: { source: { repoURL: 'r' }, syncPolicy: { automated: automated as never } },
    status: op ? { operationState: op as never } : {},
  });
  const cmp = (sync: 'Synced' | 'OutOfSync', only: 'modified' | 'extra' = 'modified'): ArgoComparison => {
    const extra =
      only === 'extra' && sync === 'OutOfSync' ? [{ key: 'k', state: 'extra' as const, differences: [] }] : [];
    const modified =
      only === 'modified' && sync === 'OutOfSync'
        ? [{ key: 'k', state: 'modified' as const, differences: ['/data/x'] }]
        : [];
    return {
      sha: 'new',
      sourceType: 'Directory',
      desired: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }],
      resources: [],
      objects: [...modified, ...extra],
      missing: [],
      extra,
      modified,
      sync,
      health: { status: 'Healthy', message: '' },
    };
  };
  const done = (revision: string, phase = 'Succeeded', finishedAt = '2026-01-01T00:00:00Z') => ({
    phase,
    finishedAt,
    syncResult: { revision },
  });
  const now = Date.parse('2026-01-01T00:01:00Z');

  it('syncs a new revision once; self-heals the same revision only with selfHeal, after success and the delay', () => {
    assert.equal(autoSyncReason(app({}), cmp('OutOfSync'), 5000, now), 'new-revision');
    assert.equal(autoSyncReason(app({}, done('old')), cmp('OutOfSync'), 5000, now), 'new-revision');
    assert.equal(autoSyncReason(app({}, done('new')), cmp('OutOfSync'), 5000, now), undefined);
    assert.equal(autoSyncReason(app({ selfHeal: true }, done('new')), cmp('OutOfSync'), 5000, now), 'self-heal');
    assert.equal(
      autoSyncReason(app({ selfHeal: true }, done('new', 'Failed')), cmp('OutOfSync'), 5000, now),
      undefined,
    );
    assert.equal(
      autoSyncReason(app({ selfHeal: true }, done('new')), cmp('OutOfSync'), 120_000, now),
      undefined,
      'within the self-heal delay',
    );
  });
  it('never syncs when off, Synced, running, or when only pruning would help and prune is off', () => {
    assert.equal(autoSyncReason(app(null), cmp('OutOfSync'), 0, now), undefined);
    assert.equal(autoSyncReason(app({ enabled: false }), cmp('OutOfSync'), 0, now), undefined);
    assert.equal(autoSyncReason(app({}), cmp('Synced'), 0, now), undefined);
    assert.equal(autoSyncReason(app({}, { phase: 'Running' }), cmp('OutOfSync'), 0, now), undefined);
    assert.equal(autoSyncReason(app({ prune: false }), cmp('OutOfSync', 'extra'), 0, now), undefined);
    assert.equal(autoSyncReason(app({ prune: true }), cmp('OutOfSync', 'extra'), 0, now), 'new-revision');
  });
});

describe("the stand-in's Argo-like comparison (only what Git sets)", () => {
  const desired = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'n', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }] } },
    },
  } as unknown as KubeObject;
  const live = (patch: (o: any) => void = () => undefined): KubeObject => {
    const o: any = structuredClone(desired);
    o.metadata = {
      ...o.metadata,
      uid: 'u',
      resourceVersion: '5',
      managedFields: [{}],
      annotations: { 'argocd.argoproj.io/tracking-id': 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    };
    o.spec.strategy = { type: 'RollingUpdate' };
    o.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    o.status = { replicas: 1 };
    patch(o);
    return o;
  };
  it(
    'ignores live-only fields: annotations, managedFields, ' +
      'status, server defaults, items added live to a named list',
    () => {
      assert.deepEqual(desiredDifferences(desired, live()), []);
      assert.deepEqual(
        desiredDifferences(
          desired,
          live((o) => o.spec.template.spec.containers[0].env.push({ name: 'B', value: '2' })),
        ),
        [],
      );
    },
  );
  it('reports a changed field Git sets, by pointer', () => {
    assert.deepEqual(
      desiredDifferences(
        desired,
        live((o) => {
          o.spec.template.spec.containers[0].image = 'nginx:hand';
        }),
      ),
      ['/spec/template/spec/containers/0/image'],
    );
    assert.deepEqual(
      desiredDifferences(
        desired,
        live((o) => {
          o.spec.template.spec.containers[0].env = [];
        }),
      ),
      ['/spec/template/spec/containers/0/env/-'],
    );
  });
  it('honours ignoreDifferences jsonPointers for the matching group and kind only', () => {
    const scaled = live((o) => {
      o.spec.replicas = 5;
    });
    assert.deepEqual(desiredDifferences(desired, scaled), ['/spec/replicas']);
    assert.deepEqual(
      desiredDifferences(desired, scaled, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
      [],
    );
    assert.deepEqual(
      desiredDifferences(desired, scaled, [{ group: '', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
      ['/spec/replicas'],
    );
    assert.deepEqual(
      desiredDifferences(desired, scaled, [
        { group: 'apps', kind: 'Deployment', name: 'other', jsonPointers: ['/spec/replicas'] },
      ]),
      ['/spec/replicas'],
    );
  });
});

describe("the stand-in's health (kubectl rollout rules, Argo order) and kstatus", () => {
  const dep = (status: object, spec: object = { replicas: 2 }, generation = 3) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', generation },
      spec,
      status,
    }) as unknown as KubeObject;
  const done = {
    observedGeneration: 3,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
    conditions: [
      { type: 'Available', status: 'True' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
    ],
  };
  it('Deployment: Healthy, Progressing with what is awaited, Degraded past the deadline, Suspended when paused', () => {
    assert.deepEqual(objectHealth(dep(done)), { status: 'Healthy', message: '' });
    assert.equal(
      deploymentHealth(dep({ ...done, observedGeneration: 2 }) as never).message,
      'Waiting for rollout to finish: observed deployment generation less than desired generation',
    );
    assert.equal(
      objectHealth(dep({ ...done, updatedReplicas: 1 }))?.message,
      'Waiting for rollout to finish: 1 out of 2 new replicas have been updated...',
    );
    assert.equal(
      objectHealth(dep({ ...done, replicas: 3 }))?.message,
      'Waiting for rollout to finish: 1 old replicas are pending termination...',
    );
    assert.equal(
      objectHealth(dep({ ...done, availableReplicas: 1 }))?.message,
      'Waiting for rollout to finish: 1 of 2 updated replicas are available...',
    );
    const stuck = dep({
      ...done,
      replicas: 3,
      availableReplicas: 2,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    assert.deepEqual(objectHealth(stuck), {
      status: 'Degraded',
      message: 'Deployment "web" exceeded its progress deadline',
    });
    assert.equal(objectHealth(dep(done, { replicas: 2, paused: true }))?.status, 'Suspended');
  });
  it('LoadBalancer Services wait for an ingress; other kinds have no health check', () => {
    const svc = (ingress: object[]) =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress } },
      }) as unknown as KubeObject;
    assert.equal(objectHealth(svc([]))?.status, 'Progressing');
    assert.equal(objectHealth(svc([{ ip: '1.2.3.4' }]))?.status, 'Healthy');
    assert.equal(objectHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), undefined);
  });
  it('orders health as Argo CD does', () => {
    assert.ok(
      isWorse('Healthy', 'Progressing') &&
        isWorse('Progressing', 'Missing') &&
        isWorse('Missing', 'Degraded') &&
        isWorse('Degraded', 'Unknown'),
    );
    assert.ok(
      !isWorse('Degraded', 'Progressing') && isWorse('Healthy', 'Suspended') && !isWorse('Progressing', 'Suspended'),
    );
  });
  it('kstatus: Current, InProgress, Failed (progress deadline), NotFound', () => {
    assert.equal(kstatusOf(dep(done)), 'Current');
    assert.equal(kstatusOf(dep({ ...done, observedGeneration: 2 })), 'InProgress');
    assert.equal(kstatusOf(dep({ ...done, readyReplicas: 1 })), 'InProgress');
    assert.equal(
      kstatusOf(
        dep({ ...done, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
      ),
      'Failed',
    );
    assert.equal(kstatusOf(undefined), 'NotFound');
    assert.equal(kstatusOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), 'Current');
  });
});

describe('Flux status.history (fluxcd/pkg History.Upsert)', () => {
  it('counts reconciliations of the same manifests in one entry, newest first, at most five', () => {
    let h = upsertHistory([], 'd1', 't1', '1s', 'ReconciliationSucceeded', { revision: 'r1' });
    h = upsertHistory(h, 'd1', 't2', '0.2s', 'ReconciliationSucceeded', { revision: 'r2' });
    assert.deepEqual(h, [
      {
        digest: 'd1',
        firstReconciled: 't1',
        lastReconciled: 't2',
        lastReconciledDuration: '0.2s',
        lastReconciledStatus: 'ReconciliationSucceeded',
        metadata: { revision: 'r2' },
        totalReconciliations: 2,
      },
    ]);
    h = upsertHistory(h, 'd2', 't3', '5s', 'HealthCheckFailed', { revision: 'r3' });
    assert.deepEqual(
      h.map((x) => [x.digest, x.lastReconciledStatus, x.totalReconciliations]),
      [
        ['d2', 'HealthCheckFailed', 1],
        ['d1', 'ReconciliationSucceeded', 2],
      ],
    );
    for (const d of ['d3', 'd4', 'd5', 'd6']) h = upsertHistory(h, d, 't', '1s', 'ReconciliationSucceeded', {});
    assert.deepEqual(
      h.map((x) => x.digest),
      ['d6', 'd5', 'd4', 'd3', 'd2'],
    );
  });
});
