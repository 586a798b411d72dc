/**
 * The pure parts of the sandbox controller (fault matching, the simulated deployment controller,
 * Go durations, auto-sync decisions). No API server needed; they live here because the sandbox's
 * tests are kept together.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoSyncReason } from '../../../src/sandbox/controller/argo-app.js';
import type { ArgoComparison } from '../../../src/sandbox/controller/argo-compare.js';
import type { Application } from '../../../src/sandbox/controller/argo-types.js';
import { formatGoDuration, parseGoDuration } from '../../../src/sandbox/controller/durations.js';
import { containerEnv, matchFault, type FaultTarget } from '../../../src/sandbox/controller/faults.js';
import { advanceRollout, rolloutStatus, type DeploymentObject } from '../../../src/sandbox/controller/rollout.js';
import type { FaultRule } from '../../../src/sandbox/controller/types.js';

const dep = (image: string, env: object[] = [], envFrom: object[] = []): FaultTarget & DeploymentObject => ({
  metadata: { name: 'users-api', namespace: 'users-api-prod', uid: 'u1', generation: 1 } as FaultTarget['metadata'] & DeploymentObject['metadata'],
  spec: { replicas: 2, progressDeadlineSeconds: 10, template: { spec: { containers: [{ name: 'app', image, env: env as never, envFrom: envFrom as never }] } } },
});

describe('fault rules', () => {
  const cms: Record<string, Record<string, string>> = { 'users-api-env': { DB_HOST: 'db-staging.internal', PORT: '8080' } };
  const lookup = (name: string) => cms[name];
  const needsPrimary: FaultRule = { name: 'primary', env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' }, message: 'wrong db' };

  it('resolves env from envFrom ConfigMaps (with prefix) and env entries, env winning', () => {
    const c = { env: [{ name: 'PORT', value: '9090' }, { name: 'X', valueFrom: { configMapKeyRef: { name: 'users-api-env', key: 'DB_HOST' } } }], envFrom: [{ configMapRef: { name: 'users-api-env' } }, { prefix: 'P_', configMapRef: { name: 'users-api-env' } }] };
    assert.deepEqual(containerEnv(c, lookup), { DB_HOST: 'db-staging.internal', PORT: '9090', P_DB_HOST: 'db-staging.internal', P_PORT: '8080', X: 'db-staging.internal' });
  });

  it('an image rule matches the exact image only', () => {
    const rule: FaultRule = { name: 'bad', image: 'ghcr.io/acme/users-api:1.43.0', message: 'crash' };
    assert.equal(matchFault(dep('ghcr.io/acme/users-api:1.43.0'), [rule], lookup), rule);
    assert.equal(matchFault(dep('ghcr.io/acme/users-api:1.43.01'), [rule], lookup), undefined);
  });

  it('mustEqual fails a wrong or missing value; namespace and deployment narrow the rule', () => {
    const wrong = dep('x', [], [{ configMapRef: { name: 'users-api-env' } }]);
    assert.equal(matchFault(wrong, [needsPrimary], lookup), needsPrimary);
    assert.equal(matchFault(dep('x'), [needsPrimary], lookup), needsPrimary, 'unset fails mustEqual');
    assert.equal(matchFault(dep('x', [{ name: 'DB_HOST', value: 'db-prod.internal' }]), [needsPrimary], lookup), undefined);
    assert.equal(matchFault(wrong, [{ ...needsPrimary, namespace: 'users-api-dev' }], lookup), undefined);
    assert.equal(matchFault(wrong, [{ ...needsPrimary, deployment: 'other' }], lookup), undefined);
  });

  it('mustNotEqual fails only the given value; a bare env rule fails when the variable is set', () => {
    const forbid: FaultRule = { name: 'no-staging', env: { name: 'DB_HOST', mustNotEqual: 'db-staging.internal' }, message: 'm' };
    assert.equal(matchFault(dep('x', [], [{ configMapRef: { name: 'users-api-env' } }]), [forbid], lookup), forbid);
    assert.equal(matchFault(dep('x'), [forbid], lookup), undefined);
    assert.equal(matchFault(dep('x', [{ name: 'DEBUG', value: '1' }]), [{ name: 'debug', env: { name: 'DEBUG' }, message: 'm' }], lookup)?.name, 'debug');
  });
});

describe('simulated rollout', () => {
  const rule: FaultRule = { name: 'bad', message: 'CrashLoopBackOff' };
  const conds = (s: Record<string, unknown>) => (s['conditions'] as Array<{ type: string; status: string; reason: string }>).map((c) => `${c.type}=${c.status}/${c.reason}`);

  it('a new Deployment progresses, then is available after the rollout delay', () => {
    const d = dep('img:1');
    const r = advanceRollout(d, undefined, undefined, 1000);
    const early = rolloutStatus(d, r, undefined, 1500, 1000);
    assert.deepEqual([early['observedGeneration'], early['updatedReplicas'], early['availableReplicas'], early['unavailableReplicas']], [1, 2, undefined, 2]);
    assert.deepEqual(conds(early), ['Available=False/MinimumReplicasUnavailable', 'Progressing=True/ReplicaSetUpdated']);
    const done = rolloutStatus(d, r, undefined, 2000, 1000);
    assert.deepEqual([done['replicas'], done['readyReplicas'], done['availableReplicas'], done['unavailableReplicas']], [2, 2, 2, undefined]);
    assert.deepEqual(conds(done), ['Available=True/MinimumReplicasAvailable', 'Progressing=True/NewReplicaSetAvailable']);
  });

  it('a new template keeps old pods available (surge) until the new ones are up', () => {
    const d = dep('img:1');
    const r1 = advanceRollout(d, undefined, undefined, 0);
    const d2 = { ...dep('img:2'), metadata: { ...d.metadata, generation: 2 }, status: { ...rolloutStatus(d, r1, undefined, 5000, 1000) } } as DeploymentObject;
    const r2 = advanceRollout(d2, r1, undefined, 6000);
    const mid = rolloutStatus(d2, r2, undefined, 6500, 1000);
    assert.deepEqual([mid['replicas'], mid['updatedReplicas'], mid['availableReplicas']], [4, 2, 2]);
    assert.deepEqual(conds(mid), ['Available=True/MinimumReplicasAvailable', 'Progressing=True/ReplicaSetUpdated']);
  });

  it('a fault keeps every pod unavailable and exceeds the progress deadline; recovery takes the rollout delay', () => {
    const d = dep('img:bad');
    let r = advanceRollout(d, undefined, rule, 0);
    const failing = rolloutStatus(d, r, rule, 5_000, 1000);
    assert.deepEqual([failing['availableReplicas'], failing['unavailableReplicas']], [undefined, 2]);
    assert.deepEqual(conds(failing), ['Available=False/MinimumReplicasUnavailable', 'Progressing=True/ReplicaSetUpdated']);
    assert.deepEqual(conds(rolloutStatus(d, r, rule, 10_000, 1000)), ['Available=False/MinimumReplicasUnavailable', 'Progressing=False/ProgressDeadlineExceeded']);
    r = advanceRollout(d, r, undefined, 12_000);
    assert.equal(rolloutStatus(d, r, undefined, 12_500, 1000)['availableReplicas'], undefined, 'pods restarting');
    assert.deepEqual(conds(rolloutStatus(d, r, undefined, 13_000, 1000)), ['Available=True/MinimumReplicasAvailable', 'Progressing=True/NewReplicaSetAvailable']);
  });

  it('a finished rollout seen for the first time (controller restart) is adopted as finished', () => {
    const d = { ...dep('img:1'), status: { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 } };
    const r = advanceRollout(d, undefined, undefined, 100);
    assert.equal(rolloutStatus(d, r, undefined, 100, 1000)['availableReplicas'], 2);
  });
});

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
    assert.deepEqual([60_000, 90_000, 1_500, 3_600_000, 4_012].map(formatGoDuration), ['1m0s', '1m30s', '1.5s', '1h0m0s', '4.012s']);
  });
});

describe('auto-sync decision (Argo autoSync)', () => {
  const app = (automated: object | null, op?: object): Application => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' },
    spec: { source: { repoURL: 'r' }, syncPolicy: { automated: automated as never } }, status: op ? { operationState: op as never } : {},
  });
  const cmp = (sync: 'Synced' | 'OutOfSync', only: 'modified' | 'extra' = 'modified'): ArgoComparison => ({
    sha: 'new', sourceType: 'Directory', desired: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }], resources: [], images: [],
    comparison: { resources: [], missing: [], extra: only === 'extra' ? [{ key: 'k', state: 'extra', diffs: [] }] : [], modified: only === 'modified' ? [{ key: 'k', state: 'modified', diffs: [] }] : [], synced: sync === 'Synced' },
    sync, health: { status: 'Healthy', message: '' },
  });
  const done = (revision: string, phase = 'Succeeded', finishedAt = '2026-01-01T00:00:00Z') => ({ phase, finishedAt, syncResult: { revision } });
  const now = Date.parse('2026-01-01T00:01:00Z');

  it('syncs a new revision once; self-heals the same revision only with selfHeal, after success and the delay', () => {
    assert.equal(autoSyncReason(app({}), cmp('OutOfSync'), 5000, now), 'new-revision');
    assert.equal(autoSyncReason(app({}, done('old')), cmp('OutOfSync'), 5000, now), 'new-revision');
    assert.equal(autoSyncReason(app({}, done('new')), cmp('OutOfSync'), 5000, now), undefined);
    assert.equal(autoSyncReason(app({ selfHeal: true }, done('new')), cmp('OutOfSync'), 5000, now), 'self-heal');
    assert.equal(autoSyncReason(app({ selfHeal: true }, done('new', 'Failed')), cmp('OutOfSync'), 5000, now), undefined);
    assert.equal(autoSyncReason(app({ selfHeal: true }, done('new')), cmp('OutOfSync'), 120_000, now), undefined, 'within the self-heal delay');
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
