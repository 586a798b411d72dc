import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configReaders, describeReader, type WorkloadLike } from '../../../src/lib/emergency/config-readers.js';

const deployment = (
  name: string,
  spec: NonNullable<NonNullable<WorkloadLike['spec']>['template']>['spec'],
): WorkloadLike => ({ kind: 'Deployment', metadata: { name }, spec: { template: { spec } } });

describe('configReaders: how a changed ConfigMap or Secret reaches the pods that read it', () => {
  const usersApi = deployment('users-api', {
    containers: [{ name: 'users-api', envFrom: [{ configMapRef: { name: 'users-api-env' } }] }],
  });

  it('envFrom reads every key: a restart is needed', () => {
    assert.deepEqual(configReaders([usersApi], 'ConfigMap', 'users-api-env', ['DB_HOST']), [
      {
        workload: 'deployment/users-api',
        container: 'users-api',
        via: 'envFrom',
        keys: ['DB_HOST'],
        needsRestart: true,
      },
    ]);
  });

  it('env valueFrom counts only for the keys it names', () => {
    const w = deployment('api', {
      containers: [
        {
          name: 'api',
          env: [
            { name: 'DB', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'DB_HOST' } } },
            { name: 'LVL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LOG_LEVEL' } } },
          ],
        },
      ],
    });
    assert.deepEqual(
      configReaders([w], 'ConfigMap', 'cfg', ['DB_HOST']).map((r) => [r.via, r.keys, r.needsRestart]),
      [['env', ['DB_HOST'], true]],
    );
    assert.deepEqual(configReaders([w], 'ConfigMap', 'cfg', ['FEATURE_FLAGS']), []);
  });

  it('a volume is updated in place; a subPath mount is not', () => {
    const w = deployment('web', {
      containers: [{ name: 'web', volumeMounts: [{ name: 'conf' }, { name: 'one', subPath: 'nginx.conf' }] }],
      volumes: [
        { name: 'conf', configMap: { name: 'web-conf' } },
        { name: 'one', configMap: { name: 'web-conf', items: [{ key: 'nginx.conf' }] } },
      ],
    });
    assert.deepEqual(
      configReaders([w], 'ConfigMap', 'web-conf', ['nginx.conf']).map((r) => [r.via, r.keys, r.needsRestart]),
      [
        ['volume', 'all', false],
        ['subPath', ['nginx.conf'], true],
      ],
    );
  });

  it('Secrets through secretRef, secretKeyRef and projected volumes; other sources are ignored', () => {
    const w = deployment('billing', {
      initContainers: [
        { name: 'migrate', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] },
      ],
      containers: [
        {
          name: 'billing',
          envFrom: [{ secretRef: { name: 'db' } }, { configMapRef: { name: 'db' } }],
          volumeMounts: [{ name: 'p' }],
        },
      ],
      volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 'db', items: [{ key: 'ca.crt' }] } }] } }],
    });
    assert.deepEqual(
      configReaders([w], 'Secret', 'db', ['password']).map((r) => [r.container, r.via]),
      [
        ['migrate', 'env'],
        ['billing', 'envFrom'],
      ],
    );
    assert.deepEqual(
      configReaders([w], 'Secret', 'db', ['ca.crt']).map((r) => [r.container, r.via]),
      [
        ['billing', 'envFrom'],
        ['billing', 'volume'],
      ],
    );
  });

  it('says what the person needs to know, per reader', () => {
    const [r] = configReaders([usersApi], 'ConfigMap', 'users-api-env', ['DB_HOST']);
    assert.equal(
      describeReader(r!, 'ConfigMap', 'users-api-env'),
      'deployment/users-api (container users-api) reads DB_HOST through envFrom ' +
        'configmap/users-api-env: running pods keep the old value until they restart',
    );
  });
});
