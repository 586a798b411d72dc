import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRendered, HIDDEN_VALUE } from '../../../src/lib/git/rendered-diff.js';
import type { KubeObject } from '../../../src/lib/gitops/render.js';

const deployment = (image: string, extra: Record<string, unknown> = {}, init?: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'prod' },
  spec: {
    replicas: 3,
    template: {
      spec: {
        ...(init ? { initContainers: [{ name: 'migrate', image: init }] } : {}),
        containers: [
          { name: 'api', image, envFrom: [{ configMapRef: { name: 'api-env' } }] },
          { name: 'proxy', image: 'envoy:1.30' },
        ],
      },
    },
    ...extra,
  },
});
const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'prod' },
  data,
});
const secret = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'api-creds', namespace: 'prod' },
  data,
});

describe('diffRendered', () => {
  it('reports container and initContainer image changes per object, nothing else', () => {
    const d = diffRendered([deployment('api:1.1', {}, 'api:1.1')], [deployment('api:1.2', {}, 'api:1.2')]);
    assert.deepEqual(d.images, [
      { object: 'apps/Deployment/prod/api', container: 'migrate', from: 'api:1.1', to: 'api:1.2' },
      { object: 'apps/Deployment/prod/api', container: 'api', from: 'api:1.1', to: 'api:1.2' },
    ]);
    assert.deepEqual([d.config, d.added, d.removed, d.otherChanged], [[], [], [], []]);
  });

  it('finds CronJob images under jobTemplate', () => {
    const cron = (image: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image }] } } } },
      },
    });
    assert.deepEqual(diffRendered([cron('j:1')], [cron('j:2')]).images, [
      { object: 'batch/CronJob//nightly', container: 'job', from: 'j:1', to: 'j:2' },
    ]);
  });

  it('reports ConfigMap keys added, changed and removed with values, Secret keys by name only', () => {
    const d = diffRendered(
      [configMap('api-env', { DB_HOST: 'db-a', OLD: 'x', SAME: 's' }), secret({ PASSWORD: 'b2xk', TOKEN: 'dA==' })],
      [configMap('api-env', { DB_HOST: 'db-b', NEW: 'y', SAME: 's' }), secret({ PASSWORD: 'bmV3', API_KEY: 'aw==' })],
    );
    assert.deepEqual(d.config, [
      { object: '/ConfigMap/prod/api-env', key: 'DB_HOST', from: 'db-a', to: 'db-b' },
      { object: '/ConfigMap/prod/api-env', key: 'NEW', to: 'y' },
      { object: '/ConfigMap/prod/api-env', key: 'OLD', from: 'x' },
      { object: '/Secret/prod/api-creds', key: 'API_KEY', to: HIDDEN_VALUE },
      { object: '/Secret/prod/api-creds', key: 'PASSWORD', from: HIDDEN_VALUE, to: HIDDEN_VALUE },
      { object: '/Secret/prod/api-creds', key: 'TOKEN', from: HIDDEN_VALUE },
    ]);
    assert.ok(!JSON.stringify(d).includes('bmV3') && !JSON.stringify(d).includes('b2xk'));
    assert.deepEqual(d.otherChanged, []);
  });

  it('lists added, removed and otherwise changed objects; key order is not a change', () => {
    const before = [deployment('api:1'), configMap('gone', {})];
    const reordered = { ...deployment('api:1', { replicas: 5 }) };
    const after = [
      reordered,
      { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'prod', name: 'api' } } as KubeObject,
    ];
    const d = diffRendered(before, after);
    assert.deepEqual(d.added, ['/Service/prod/api']);
    assert.deepEqual(d.removed, ['/ConfigMap/prod/gone']);
    assert.deepEqual(d.otherChanged, ['apps/Deployment/prod/api']);
    const sameButReordered: KubeObject = {
      spec: {
        template: {
          spec: {
            containers: [
              { envFrom: [{ configMapRef: { name: 'api-env' } }], image: 'api:1', name: 'api' },
              { image: 'envoy:1.30', name: 'proxy' },
            ],
          },
        },
        replicas: 3,
      },
      metadata: { namespace: 'prod', name: 'api' },
      kind: 'Deployment',
      apiVersion: 'apps/v1',
    };
    assert.deepEqual(diffRendered([deployment('api:1')], [sameButReordered]).otherChanged, []);
  });

  it('pairs kustomize-generated ConfigMaps whose hash suffix changed, as a config change, not remove + add', () => {
    const dep = (cm: string): KubeObject => {
      const d = deployment('api:1');
      (
        (d.spec as { template: { spec: { containers: Array<{ envFrom: unknown }> } } }).template.spec.containers[0] as {
          envFrom: unknown;
        }
      ).envFrom = [{ configMapRef: { name: cm } }];
      return d;
    };
    const d = diffRendered(
      [dep('api-env-5f7bkc8m2t'), configMap('api-env-5f7bkc8m2t', { LOG_LEVEL: 'info' })],
      [dep('api-env-t2m8ckb7f5'), configMap('api-env-t2m8ckb7f5', { LOG_LEVEL: 'debug' })],
    );
    assert.deepEqual(d.config, [
      { object: '/ConfigMap/prod/api-env-t2m8ckb7f5', key: 'LOG_LEVEL', from: 'info', to: 'debug' },
    ]);
    assert.deepEqual([d.added, d.removed, d.otherChanged], [[], [], []]);
  });
});
