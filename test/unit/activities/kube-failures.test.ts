import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { authFailureMessage, rbacTermsOf, withKubeAuthFailures } from '../../../activities/kube-failures.js';
import { KubeApiError } from '../../../src/lib/kube/errors.js';
import { FailureType } from '../../../workflows/types.js';

const endpoint = {
  cluster: 'prod',
  server: 'https://k.example',
  user: 'ops',
  credentials: 'exec plugin aws eks get-token',
};
const APP = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-prod';

describe('rbacTermsOf', () => {
  it('reads verb, group, resource, namespace and name from a request', () => {
    assert.deepEqual(rbacTermsOf('PATCH', APP), {
      verb: 'patch',
      group: 'argoproj.io',
      resource: 'applications',
      namespace: 'argocd',
      name: 'users-api-prod',
    });
    assert.deepEqual(rbacTermsOf('GET', '/api/v1/namespaces/a/configmaps'), {
      verb: 'list',
      group: '',
      resource: 'configmaps',
      namespace: 'a',
    });
    assert.deepEqual(rbacTermsOf('WATCH', '/apis/apps/v1/namespaces/a/deployments'), {
      verb: 'watch',
      group: 'apps',
      resource: 'deployments',
      namespace: 'a',
    });
    assert.deepEqual(rbacTermsOf('GET', '/api/v1/namespaces/a'), {
      verb: 'get',
      group: '',
      resource: 'namespaces',
      name: 'a',
    });
    assert.deepEqual(rbacTermsOf('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews'), {
      verb: 'create',
      group: 'authorization.k8s.io',
      resource: 'subjectaccessreviews',
    });
    assert.deepEqual(rbacTermsOf('PATCH', '/apis/apps/v1/namespaces/a/deployments/web/scale'), {
      verb: 'patch',
      group: 'apps',
      resource: 'deployments/scale',
      namespace: 'a',
      name: 'web',
    });
    assert.deepEqual(rbacTermsOf('DELETE', '/api/v1/namespaces/a/pods'), {
      verb: 'deletecollection',
      group: '',
      resource: 'pods',
      namespace: 'a',
    });
    assert.equal(rbacTermsOf('GET', '/apis/argoproj.io/v1alpha1'), undefined, 'discovery');
  });
});

describe('authFailureMessage', () => {
  it('401: which cluster refused which credentials, and to refresh them', () => {
    assert.equal(
      authFailureMessage(new KubeApiError(401, 'Unauthorized', 'Unauthorized', 'GET', APP, endpoint)),
      'the credentials for cluster prod (https://k.example) were refused: refresh them ' +
        '(kubeconfig user ops, exec plugin aws eks get-token); the API server said: Unauthorized',
    );
  });

  it('403: which verb on which resource, and the RBAC file with the rule to add', () => {
    assert.equal(
      authFailureMessage(new KubeApiError(403, 'Forbidden', 'no', 'PATCH', APP, endpoint)),
      'rewind may not patch applications.argoproj.io users-api-prod in namespace argocd ' +
        'on cluster prod (https://k.example): grant it in deploy/base/rbac.yaml (apiGroups: ' +
        '["argoproj.io"], resources: ["applications"], verbs: ["patch"]); the API server said: no',
    );
  });
});

describe('withKubeAuthFailures', () => {
  const acts = withKubeAuthFailures({
    async unauthorized() {
      throw new KubeApiError(401, 'Unauthorized', 'Unauthorized', 'GET', APP, endpoint);
    },
    async forbiddenDeep() {
      throw new Error('while pausing', { cause: new KubeApiError(403, 'Forbidden', 'no', 'PATCH', APP, endpoint) });
    },
    async notFound() {
      throw new KubeApiError(404, 'NotFound', 'gone', 'GET', APP, endpoint);
    },
    async typed() {
      throw ApplicationFailure.nonRetryable('bad input', FailureType.BadInput);
    },
    async ok(n: number) {
      return n + 1;
    },
  });

  it(
    'turns 401 and 403 (also as a cause) into non-retryable ' +
      'NotAuthorized with the message and the request as details',
    async () => {
      for (const [fn, re] of [
        [acts.unauthorized, /^the credentials for cluster prod/],
        [acts.forbiddenDeep, /^rewind may not patch applications/],
      ] as const) {
        await assert.rejects(fn(), (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, FailureType.NotAuthorized);
          assert.equal(err.nonRetryable, true);
          assert.match(err.message, re);
          assert.equal((err.details?.[0] as { cluster: string }).cluster, 'prod');
          assert.equal(err.cause, undefined, 'the run reports the innermost cause: this message');
          return true;
        });
      }
    },
  );

  it('passes everything else through unchanged', async () => {
    await assert.rejects(acts.notFound(), (err: unknown) => err instanceof KubeApiError && err.status === 404);
    await assert.rejects(
      acts.typed(),
      (err: unknown) => err instanceof ApplicationFailure && err.type === FailureType.BadInput,
    );
    assert.equal(await acts.ok(1), 2);
  });
});
