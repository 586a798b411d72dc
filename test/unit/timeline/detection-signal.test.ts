import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDetectionSignal, kubeEventEntry } from '../../../src/lib/timeline/kube-events.js';

describe('detection signals among Kubernetes Events', () => {
  // As real Argo CD v3.6.1 writes them on the Application (recorded in the conformance runs).
  const argo = (message: string) => ({
    type: 'Normal',
    reason: 'ResourceUpdated',
    message,
    involvedObject: { kind: 'Application', name: 'users-api-prod', namespace: 'argocd' },
    firstTimestamp: '2026-12-01T10:02:03Z',
  });

  it('a Warning is one', () =>
    assert.equal(isDetectionSignal({ type: 'Warning', message: 'Back-off restarting failed container' }), true));
  it("Argo CD's Normal health transition into Degraded or Missing is one", () => {
    assert.equal(isDetectionSignal(argo('Updated health status: Progressing -> Degraded')), true);
    assert.equal(isDetectionSignal(argo('Updated health status: Healthy -> Missing')), true);
    assert.equal(kubeEventEntry(argo('Updated health status: Progressing -> Degraded'))?.severity, 'warning');
  });
  it('recovery and sync transitions are not', () => {
    assert.equal(isDetectionSignal(argo('Updated health status: Degraded -> Healthy')), false);
    assert.equal(
      isDetectionSignal(
        argo('Updated health status: Healthy -> Progressing (Caused by apps/Deployment:users-api-prod/users-api)'),
      ),
      false,
    );
    assert.equal(isDetectionSignal(argo('Updated sync status: Synced -> OutOfSync')), false);
  });
});
