import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argoTrackingId,
  fluxInventoryId,
  parseArgoTrackingId,
  parseFluxInventoryId,
} from '../../../src/lib/gitops/tracking.js';

describe('tracking ids', () => {
  it('Argo annotation tracking id round-trips, core group empty', () => {
    const id = argoTrackingId('users-api-prod', {
      group: '',
      kind: 'Service',
      namespace: 'users-api-prod',
      name: 'users-api',
    });
    assert.equal(id, 'users-api-prod:/Service:users-api-prod/users-api');
    assert.deepEqual(parseArgoTrackingId(id), {
      app: 'users-api-prod',
      group: '',
      kind: 'Service',
      namespace: 'users-api-prod',
      name: 'users-api',
    });
    assert.equal(parseArgoTrackingId('users-api'), undefined);
  });
  it('cluster-scoped objects have an empty namespace', () => {
    assert.equal(
      argoTrackingId('a', { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespace: '', name: 'r' }),
      'a:rbac.authorization.k8s.io/ClusterRole:/r',
    );
  });
  it('Flux inventory id is ns_name_group_Kind', () => {
    const id = fluxInventoryId({
      namespace: 'billing-worker-prod',
      name: 'billing-worker',
      group: 'apps',
      kind: 'Deployment',
    });
    assert.equal(id, 'billing-worker-prod_billing-worker_apps_Deployment');
    assert.deepEqual(parseFluxInventoryId('ns_cm__ConfigMap'), {
      namespace: 'ns',
      name: 'cm',
      group: '',
      kind: 'ConfigMap',
    });
  });
});
