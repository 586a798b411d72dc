import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import {
  endpointOf,
  isConflict,
  isForbidden,
  isGone,
  isNotFound,
  isTransient,
  isUnauthorized,
  KubeApiError,
  kubeApiErrorIn,
  watchError,
} from '../../../src/lib/kube/errors.js';

const status = (code: number) => new KubeApiError(code, 'R', 'm', 'GET', '/api/v1/namespaces');
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('KubeApiError predicates', () => {
  it('name one status each, and only on KubeApiError', () => {
    const checks = [
      [isNotFound, 404],
      [isConflict, 409],
      [isForbidden, 403],
      [isUnauthorized, 401],
      [isGone, 410],
    ] as const;
    for (const [pred, code] of checks) {
      assert.equal(pred(status(code)), true, `${pred.name} ${code}`);
      assert.equal(pred(status(code === 404 ? 409 : 404)), false, `${pred.name} other`);
      assert.equal(pred({ status: code }), false, `${pred.name} on a look-alike`);
      assert.equal(pred(undefined), false);
    }
  });

  it('isTransient: 408, 429 and 5xx, and connections refused, reset or timed out; not 4xx or other errors', () => {
    for (const code of [408, 429, 500, 502, 503, 504]) assert.equal(isTransient(status(code)), true, String(code));
    for (const code of [400, 401, 403, 404, 409, 410, 422])
      assert.equal(isTransient(status(code)), false, String(code));
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'])
      assert.equal(isTransient(errno(code)), true, code);
    assert.equal(isTransient(errno('ENOENT')), false);
    assert.equal(isTransient(new Error('boom')), false);
    assert.equal(isTransient(null), false);
  });

  it('kubeApiErrorIn finds the KubeApiError an error was caused by', () => {
    const cause = status(401);
    assert.equal(kubeApiErrorIn(cause), cause);
    assert.equal(kubeApiErrorIn(new Error('outer', { cause: new Error('mid', { cause }) })), cause);
    assert.equal(kubeApiErrorIn(new Error('plain')), undefined);
  });
});

describe('watchError', () => {
  it('maps client-node Watch failures (Error with statusCode) to KubeApiError, and leaves other errors alone', () => {
    const endpoint = { cluster: 'prod', server: 'https://k', user: 'u', credentials: 'c' };
    const mapped = watchError(
      Object.assign(new Error('Forbidden'), { statusCode: 403 }),
      '/apis/apps/v1/deployments',
      endpoint,
    );
    assert.ok(mapped instanceof KubeApiError);
    assert.equal(mapped.status, 403);
    assert.equal(mapped.reason, 'Forbidden');
    assert.equal(mapped.method, 'WATCH');
    assert.equal(mapped.endpoint, endpoint);
    assert.ok(isForbidden(mapped));
    assert.equal((watchError(Object.assign(new Error('x'), { statusCode: 410 }), '/p') as KubeApiError).reason, 'Gone');
    const conn = errno('ECONNRESET');
    assert.equal(watchError(conn, '/p'), conn);
  });
});

describe('endpointOf', () => {
  const kc = (user: Record<string, unknown>) => {
    const c = new k8s.KubeConfig();
    c.loadFromOptions({
      clusters: [{ name: 'eks-prod', server: 'https://k.example', skipTLSVerify: false }],
      users: [{ name: 'ops', ...user }],
      contexts: [{ name: 'ctx', cluster: 'eks-prod', user: 'ops' }],
      currentContext: 'ctx',
    });
    return c;
  };

  it("names the cluster (rewind's name first), the server, the kubeconfig user and how it authenticates", () => {
    assert.deepEqual(
      endpointOf(kc({ exec: { command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod'] } }), 'prod'),
      {
        cluster: 'prod',
        server: 'https://k.example',
        user: 'ops',
        credentials: 'exec plugin aws eks get-token --cluster-name prod',
      },
    );
    assert.equal(endpointOf(kc({ token: 't' })).cluster, 'eks-prod');
    assert.equal(endpointOf(kc({ token: 't' })).credentials, 'a bearer token in the kubeconfig');
    assert.equal(
      endpointOf(kc({ authProvider: { name: 'tokenFile', config: { tokenFile: '/var/run/token' } } })).credentials,
      'token file /var/run/token',
    );
    assert.equal(endpointOf(kc({ authProvider: { name: 'oidc', config: {} } })).credentials, 'auth provider oidc');
    assert.equal(endpointOf(kc({ certData: 'x', keyData: 'y' })).credentials, 'a client certificate');
  });
});
