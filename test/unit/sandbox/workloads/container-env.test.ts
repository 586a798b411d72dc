import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  containerEnv,
  decodeSecretData,
  expandEnv,
  type EnvSources,
} from '../../../../src/sandbox/workloads/container-env.js';

const sources = (
  cms: Record<string, Record<string, string>>,
  secrets: Record<string, Record<string, string>> = {},
): EnvSources => ({ configMap: (n) => cms[n], secret: (n) => secrets[n] });
const pod = { name: 'web-abc-x1', namespace: 'shop' };

describe("containerEnv (the kubelet's makeEnvironmentVariables)", () => {
  const src = sources(
    { 'web-env': { DB_HOST: 'db-staging.internal', PORT: '8080' } },
    { 'web-db': { password: 'changeme', user: 'web' } },
  );

  it('envFrom ConfigMaps (with prefix) first, then env entries in order, env winning', () => {
    const c = {
      envFrom: [{ configMapRef: { name: 'web-env' } }, { prefix: 'P_', configMapRef: { name: 'web-env' } }],
      env: [
        { name: 'PORT', value: '9090' },
        { name: 'X', valueFrom: { configMapKeyRef: { name: 'web-env', key: 'DB_HOST' } } },
      ],
    };
    assert.deepEqual(containerEnv(c, src, pod), {
      ok: true,
      env: {
        DB_HOST: 'db-staging.internal',
        PORT: '9090',
        P_DB_HOST: 'db-staging.internal',
        P_PORT: '8080',
        X: 'db-staging.internal',
      },
    });
  });

  it('Secrets: secretRef with prefix and secretKeyRef', () => {
    const c = {
      envFrom: [{ prefix: 'DB_', secretRef: { name: 'web-db' } }],
      env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'web-db', key: 'password' } } }],
    };
    assert.deepEqual(containerEnv(c, src, pod), {
      ok: true,
      env: { DB_password: 'changeme', DB_user: 'web', PASSWORD: 'changeme' },
    });
  });

  it('expands $(VAR) from earlier entries; $$ escapes; unknown references stay', () => {
    assert.equal(
      expandEnv('postgres://$(USER)@$(HOST):$(NOPE)/$$(USER)', { USER: 'web', HOST: 'db' }),
      'postgres://web@db:$(NOPE)/$(USER)',
    );
    const c = {
      envFrom: [{ configMapRef: { name: 'web-env' } }],
      env: [{ name: 'URL', value: 'http://$(DB_HOST):$(PORT)' }],
    };
    assert.equal(
      (containerEnv(c, src, pod) as { env: Record<string, string> }).env['URL'],
      'http://db-staging.internal:8080',
    );
  });

  it('field references: pod name and namespace', () => {
    const c = {
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
    };
    assert.deepEqual(containerEnv(c, src, pod), { ok: true, env: { POD: 'web-abc-x1', NS: 'shop' } });
  });

  it("a missing source or key is CreateContainerConfigError with the kubelet's message, unless optional", () => {
    assert.deepEqual(containerEnv({ envFrom: [{ configMapRef: { name: 'gone' } }] }, src, pod), {
      ok: false,
      error: 'Error: configmap "gone" not found',
    });
    assert.deepEqual(containerEnv({ envFrom: [{ secretRef: { name: 'gone' } }] }, src, pod), {
      ok: false,
      error: 'Error: secret "gone" not found',
    });
    assert.deepEqual(
      containerEnv(
        { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'web-env', key: 'NOPE' } } }] },
        src,
        pod,
      ),
      { ok: false, error: "Error: couldn't find key NOPE in ConfigMap shop/web-env" },
    );
    assert.deepEqual(
      containerEnv({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'web-db', key: 'NOPE' } } }] }, src, pod),
      { ok: false, error: "Error: couldn't find key NOPE in Secret shop/web-db" },
    );
    assert.deepEqual(
      containerEnv(
        {
          envFrom: [{ configMapRef: { name: 'gone', optional: true } }],
          env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'web-db', key: 'NOPE', optional: true } } }],
        },
        src,
        pod,
      ),
      { ok: true, env: {} },
    );
  });

  it('Secret data is base64 in the API', () => {
    assert.deepEqual(decodeSecretData({ password: 'Y2hhbmdlbWU=' }), { password: 'changeme' });
  });
});
