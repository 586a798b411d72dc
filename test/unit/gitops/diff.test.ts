import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareApp, diffObject, parseQuantity, removePointer } from '../../../src/lib/gitops/diff.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';

const deployment = (
  over: { image?: string; replicas?: number; env?: Array<{ name: string; value: string }> } = {},
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'users-api', namespace: 'users-api-prod', labels: { app: 'users-api' } },
  spec: {
    replicas: over.replicas ?? 2,
    selector: { matchLabels: { app: 'users-api' } },
    template: {
      metadata: { labels: { app: 'users-api' } },
      spec: {
        containers: [
          {
            name: 'users-api',
            image: over.image ?? 'ghcr.io/acme/users-api:1.42.0',
            env: over.env ?? [{ name: 'LOG', value: 'info' }],
            ports: [{ containerPort: 8080 }],
            resources: { limits: { cpu: '500m', memory: '1024Mi' } },
          },
        ],
      },
    },
  },
});

/** What the apiserver hands back: server metadata, defaults, status, controller annotations. */
function asLive(o: KubeObject): KubeObject {
  const live = structuredClone(o) as KubeObject & { spec: any; status?: unknown };
  Object.assign(live.metadata, {
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'argocd-controller' }],
    annotations: {
      'deployment.kubernetes.io/revision': '3',
      'argocd.argoproj.io/tracking-id': 'users-api-prod:apps/Deployment:users-api-prod/users-api',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    },
  });
  live.metadata.labels = { ...live.metadata.labels, 'kustomize.toolkit.fluxcd.io/name': 'x' };
  live.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  live.spec.revisionHistoryLimit = 10;
  const c = live.spec.template.spec.containers[0];
  c.ports[0].protocol = 'TCP';
  c.terminationMessagePath = '/dev/termination-log';
  c.imagePullPolicy = 'IfNotPresent';
  c.resources.limits = { cpu: '500m', memory: '1Gi' };
  live.spec.template.spec.restartPolicy = 'Always';
  live.status = { replicas: 2, availableReplicas: 2 };
  return live;
}

describe('diffObject', () => {
  it('apiserver defaults, status, server metadata and controller annotations/labels are not drift', () => {
    assert.deepEqual(diffObject(deployment(), asLive(deployment())), []);
  });

  it('reports a changed image at its JSON pointer with both values', () => {
    const live = asLive(deployment({ image: 'ghcr.io/acme/users-api:1.43.0' }));
    assert.deepEqual(diffObject(deployment(), live), [
      {
        path: '/spec/template/spec/containers/0/image',
        desired: 'ghcr.io/acme/users-api:1.42.0',
        live: 'ghcr.io/acme/users-api:1.43.0',
      },
    ]);
  });

  it('matches named list items by name, whatever their order, and reports live items Git lacks', () => {
    const desired = deployment({
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    });
    const live = asLive(
      deployment({
        env: [
          { name: 'B', value: '2' },
          { name: 'A', value: '1' },
          { name: 'HOTFIX', value: 'on' },
        ],
      }),
    );
    assert.deepEqual(diffObject(desired, live), [
      { path: '/spec/template/spec/containers/0/env/2', desired: undefined, live: { name: 'HOTFIX', value: 'on' } },
    ]);
  });

  it('unnamed arrays of different length differ as a whole', () => {
    const d = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { args: ['a', 'b'] } };
    const l = { ...d, spec: { args: ['a'] } };
    assert.deepEqual(diffObject(d, l), [{ path: '/spec/args', desired: ['a', 'b'], live: ['a'] }]);
  });

  it('ConfigMap data is exact: an extra live key is drift, escaped in the pointer', () => {
    const d: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'env' },
      data: { DB_HOST: 'db-prod.internal' },
    };
    const l: KubeObject = { ...d, data: { DB_HOST: 'db-staging.internal', 'a/b': 'x' } };
    assert.deepEqual(diffObject(d, l), [
      { path: '/data/DB_HOST', desired: 'db-prod.internal', live: 'db-staging.internal' },
      { path: '/data/a~1b', desired: undefined, live: 'x' },
    ]);
  });

  it('ignoreDifferences jsonPointers (HPA-owned replicas) are removed from both sides', () => {
    const rule = { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] };
    const live = asLive(deployment({ replicas: 7 }));
    assert.equal(diffObject(deployment(), live).length, 1);
    assert.deepEqual(diffObject(deployment(), live, { ignoreDifferences: [rule] }), []);
    // A rule for another name, namespace or group does not apply.
    assert.equal(diffObject(deployment(), live, { ignoreDifferences: [{ ...rule, name: 'other' }] }).length, 1);
    assert.equal(
      diffObject(deployment(), live, { ignoreDifferences: [{ ...rule, namespace: 'users-api-dev' }] }).length,
      1,
    );
    assert.equal(diffObject(deployment(), live, { ignoreDifferences: [{ ...rule, group: '' }] }).length, 1);
  });

  it('a desired field missing live is drift; null in Git means unset', () => {
    const d = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { type: 'ClusterIP', sessionAffinity: null },
    };
    const l = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} };
    assert.deepEqual(diffObject(d as KubeObject, l as KubeObject), [
      { path: '/spec/type', desired: 'ClusterIP', live: undefined },
    ]);
  });
});

describe('compareApp', () => {
  const cm: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'env', namespace: 'ns' },
    data: { A: '1' },
  };
  const svc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc', namespace: 'ns' },
    spec: { ports: [{ port: 80 }] },
  };
  const old: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'old', namespace: 'ns' } };

  it('classifies missing, extra and modified objects', () => {
    const r = compareApp(
      [deployment(), cm, svc],
      [asLive(deployment({ image: 'x:1' })), { ...cm, metadata: { ...cm.metadata, uid: 'u' } }, old],
    );
    assert.deepEqual(
      r.missing.map((x) => x.key),
      ['/Service/ns/svc'],
    );
    assert.deepEqual(
      r.extra.map((x) => x.key),
      ['/Secret/ns/old'],
    );
    assert.deepEqual(
      r.modified.map((x) => [x.key, x.diffs.map((d) => d.path)]),
      [['apps/Deployment/users-api-prod/users-api', ['/spec/template/spec/containers/0/image']]],
    );
    assert.deepEqual(
      r.resources.map((x) => x.state),
      ['modified', 'synced', 'missing', 'extra'],
    );
    assert.equal(r.synced, false);
  });

  it('is synced when every desired object matches and nothing extra is live', () => {
    assert.equal(compareApp([cm], [cm]).synced, true);
  });
});

describe('helpers', () => {
  it('parseQuantity understands decimal and binary suffixes', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('1Gi'), parseQuantity('1024Mi'));
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('abc'), undefined);
  });
  it('removePointer removes map keys and array items, ignoring absent paths', () => {
    const o = { a: { 'b/c': 1, d: [1, 2, 3] } };
    removePointer(o, '/a/b~1c');
    removePointer(o, '/a/d/1');
    removePointer(o, '/x/y');
    assert.deepEqual(o, { a: { d: [1, 3] } });
  });
});
