import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineRevision, isSyncManager } from '../../../activities/watch/engine-writes.js';

describe('engine writes', () => {
  it("knows each engine's sync managers and nothing else", () => {
    assert.equal(isSyncManager('argocd', 'argocd-controller'), true);
    assert.equal(isSyncManager('argocd', 'kustomize-controller'), false);
    assert.equal(isSyncManager('flux', 'kustomize-controller'), true);
    assert.equal(isSyncManager('flux', 'kubectl-edit'), false);
  });
  it("Argo CD: the running operation's revision, else the last sync result, else status.sync", () => {
    assert.equal(
      engineRevision('argocd', {
        status: {
          sync: { revision: 'new' },
          operationState: {
            phase: 'Running',
            operation: { sync: { revision: 'op' } },
            syncResult: { revision: 'old' },
          },
        },
      }),
      'op',
    );
    assert.equal(
      engineRevision('argocd', {
        status: {
          sync: { revision: 'compared' },
          operationState: { phase: 'Succeeded', syncResult: { revision: 'synced' } },
        },
      }),
      'synced',
    );
    assert.equal(engineRevision('argocd', { status: { sync: { revision: 'compared' } } }), 'compared');
    assert.equal(engineRevision('argocd', undefined), undefined);
  });
  it('Flux: the revision a running reconcile names (recorded message), else lastAttemptedRevision', () => {
    const rev = 'main@sha1:11967ed7eeba4a2b6e50a72ae6113c088bdf9e05';
    assert.equal(
      engineRevision('flux', {
        status: {
          lastAttemptedRevision: 'main@sha1:old',
          conditions: [
            {
              type: 'Reconciling',
              status: 'True',
              reason: 'Progressing',
              message: `Detecting drift for revision ${rev} with a timeout of 50s`,
            },
          ],
        },
      }),
      rev,
    );
    assert.equal(
      engineRevision('flux', {
        status: {
          lastAttemptedRevision: rev,
          conditions: [{ type: 'Ready', status: 'True', message: `Applied revision: ${rev}` }],
        },
      }),
      rev,
    );
  });
});
