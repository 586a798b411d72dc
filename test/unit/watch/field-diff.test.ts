import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedFields, toPointer } from '../../../activities/watch/field-diff.js';

const cm = (data: Record<string, string>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'users-api-env', namespace: 'users-api-prod', resourceVersion: '1', ...meta },
  data,
});

const deployment = (env: Array<{ name: string; value: string }>, image = 'ghcr.io/acme/users-api:1.42.0') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'users-api', namespace: 'users-api-prod' },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: 'sidecar', image: 'envoy:1' },
          { name: 'users-api', image, env },
        ],
      },
    },
  },
  status: { observedGeneration: 1 },
});

describe('changedFields', () => {
  it('finds a changed ConfigMap key as one leaf', () => {
    assert.deepEqual(
      changedFields(
        cm({ DB_HOST: 'db-prod.internal', LOG_LEVEL: 'info' }),
        cm({ DB_HOST: 'db-prod-2.internal', LOG_LEVEL: 'info' }),
      ),
      [
        {
          path: '/data/DB_HOST',
          segments: ['data', 'DB_HOST'],
          before: 'db-prod.internal',
          after: 'db-prod-2.internal',
        },
      ],
    );
  });

  it('records added and removed keys with an undefined side', () => {
    const d = changedFields(cm({ A: '1' }), cm({ B: '2' }));
    assert.deepEqual(
      d.map((c) => [c.path, c.before, c.after]),
      [
        ['/data/A', '1', undefined],
        ['/data/B', undefined, '2'],
      ],
    );
  });

  it('ignores status, resourceVersion, generation, managedFields and controller bookkeeping annotations', () => {
    const a = {
      ...cm(
        { A: '1' },
        {
          resourceVersion: '1',
          generation: 1,
          managedFields: [{ manager: 'x' }],
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
            'argocd.argoproj.io/refresh': 'normal',
          },
        },
      ),
      status: { a: 1 },
    };
    const b = {
      ...cm(
        { A: '1' },
        {
          resourceVersion: '2',
          generation: 2,
          managedFields: [{ manager: 'y' }],
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' },
        },
      ),
      status: { a: 2 },
    };
    assert.deepEqual(changedFields(a, b), []);
  });

  it('keeps labels and meaningful annotations, with JSON-pointer escaping', () => {
    const d = changedFields(
      cm({}, { labels: { 'app.kubernetes.io/name': 'a' } }),
      cm({}, { labels: { 'app.kubernetes.io/name': 'b' }, annotations: { 'team~x/owner': 'ops' } }),
    );
    assert.deepEqual(
      d.map((c) => c.path),
      ['/metadata/labels/app.kubernetes.io~1name', '/metadata/annotations/team~0x~1owner'],
    );
  });

  it('matches named list entries by name: inserting an env entry is one change, not a shift', () => {
    const before = deployment([
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
    const after = deployment([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'C', value: '3' },
    ]);
    assert.deepEqual(
      changedFields(before, after).map((c) => [c.path, c.before, c.after]),
      [
        ['/spec/template/spec/containers/1/env/1/name', undefined, 'B'],
        ['/spec/template/spec/containers/1/env/1/value', undefined, '2'],
      ],
    );
    assert.deepEqual(
      changedFields(deployment([]), deployment([], 'ghcr.io/acme/users-api:1.43.0')).map((c) => c.path),
      ['/spec/template/spec/containers/1/image'],
    );
  });

  it('compares other lists by index and scalars against maps as one change', () => {
    const d = changedFields(
      { kind: 'X', metadata: {}, spec: { args: ['a', 'b'], x: { y: 1 } } },
      { kind: 'X', metadata: {}, spec: { args: ['a', 'c'], x: 'flat' } },
    );
    assert.deepEqual(
      d.map((c) => [c.path, c.before, c.after]),
      [
        ['/spec/args/1', 'b', 'c'],
        ['/spec/x', { y: 1 }, 'flat'],
      ],
    );
  });

  it('skips Argo CD operation requests', () => {
    assert.deepEqual(
      changedFields(
        { kind: 'Application', metadata: {}, spec: {}, operation: { sync: {} } },
        { kind: 'Application', metadata: {}, spec: {} },
      ),
      [],
    );
  });

  it('toPointer escapes ~ and /', () => assert.equal(toPointer(['a/b', 'c~d']), '/a~1b/c~0d'));
});
