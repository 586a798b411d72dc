import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  calculateStatus,
  deploymentTimedOut,
  fenceposts,
  maxUnavailable,
  rolloutStatus,
  setCondition,
  toApiStatus,
} from '../../../../src/sandbox/workloads/deployment-status.js';
import type { DeploymentObject, DeploymentStatus } from '../../../../src/sandbox/workloads/types.js';

const T = Date.parse('2026-03-02T10:00:00Z');
const dep = (spec: DeploymentObject['spec'], status?: DeploymentStatus): DeploymentObject => ({
  metadata: { name: 'web', generation: 2 },
  spec,
  ...(status ? { status } : {}),
});

describe('deployment status rules', () => {
  it('fenceposts: percentages of replicas, surge rounded up, unavailable down; both 0 makes unavailable 1', () => {
    assert.deepEqual(fenceposts(dep({ replicas: 3 })), { surge: 1, unavailable: 0 }, 'apiserver defaults 25%/25%');
    assert.deepEqual(
      fenceposts(dep({ replicas: 10, strategy: { rollingUpdate: { maxSurge: '30%', maxUnavailable: '30%' } } })),
      { surge: 3, unavailable: 3 },
    );
    assert.deepEqual(
      fenceposts(dep({ replicas: 5, strategy: { rollingUpdate: { maxSurge: 2, maxUnavailable: '10%' } } })),
      { surge: 2, unavailable: 0 },
    );
    assert.deepEqual(
      fenceposts(dep({ replicas: 1, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '25%' } } })),
      { surge: 0, unavailable: 1 },
    );
    assert.equal(maxUnavailable(dep({ replicas: 2, strategy: { type: 'Recreate' } })), 0);
    assert.equal(
      maxUnavailable(dep({ replicas: 2, strategy: { rollingUpdate: { maxUnavailable: 5 } } })),
      2,
      'at most replicas',
    );
  });

  it('setCondition keeps an unchanged condition as it is, and lastTransitionTime when only the reason changes', () => {
    const st: DeploymentStatus = {
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: 'old',
          lastUpdateTime: 'u0',
          lastTransitionTime: 't0',
        },
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'm',
          lastUpdateTime: 'u0',
          lastTransitionTime: 't0',
        },
      ],
    };
    setCondition(st, {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: 'new',
      lastUpdateTime: 'u1',
      lastTransitionTime: 't1',
    });
    assert.equal(st.conditions![0]!.message, 'old');
    setCondition(st, {
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: 'p',
      lastUpdateTime: 'u2',
      lastTransitionTime: 't2',
    });
    assert.deepEqual(
      st.conditions!.map((c) => [c.type, c.reason, c.lastUpdateTime, c.lastTransitionTime]),
      [
        ['Available', 'MinimumReplicasAvailable', 'u0', 't0'],
        ['Progressing', 'ReplicaSetUpdated', 'u2', 't0'],
      ],
    );
  });

  it('times out strictly after progressDeadlineSeconds since lastUpdateTime; never once NewReplicaSetAvailable', () => {
    const st = (reason: string): DeploymentStatus => ({
      conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: '2026-03-02T10:00:00Z' }],
    });
    const d = dep({ replicas: 1, progressDeadlineSeconds: 10 });
    assert.equal(deploymentTimedOut(d, st('ReplicaSetUpdated'), T + 10_000), false);
    assert.equal(deploymentTimedOut(d, st('ReplicaSetUpdated'), T + 10_001), true);
    assert.equal(deploymentTimedOut(d, st('NewReplicaSetAvailable'), T + 999_000), false);
    assert.equal(
      deploymentTimedOut(
        dep({ replicas: 1, progressDeadlineSeconds: 2147483647 }),
        st('ReplicaSetUpdated'),
        T + 999_000_000,
      ),
      false,
    );
  });

  it('calculateStatus: unavailable counts ReplicaSet specs against available pods; zero counters are omitted', () => {
    const rs = (name: string, replicas: number, seen: number, ready: number, available: number) => ({
      name,
      replicas,
      status: { replicas: seen, ready, available },
    });
    const d = dep({ replicas: 3 });
    const st = calculateStatus(d, [rs('web-old', 3, 3, 3, 3), rs('web-new', 1, 0, 0, 0)], rs('web-new', 1, 0, 0, 0), T);
    assert.deepEqual(toApiStatus(st), {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          lastUpdateTime: '2026-03-02T10:00:00Z',
          lastTransitionTime: '2026-03-02T10:00:00Z',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
      ],
    });
  });

  it('a complete rollout is not checked for progress any more: Progressing stays, whatever the pods do', () => {
    const done: DeploymentStatus = {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: 'ReplicaSet "web-new" has successfully progressed.',
          lastUpdateTime: '2026-03-02T09:00:00Z',
          lastTransitionTime: '2026-03-02T09:00:00Z',
        },
      ],
    };
    const crashed = { name: 'web-new', replicas: 3, status: { replicas: 3, ready: 0, available: 0 } };
    const st = rolloutStatus(dep({ replicas: 3, progressDeadlineSeconds: 10 }, done), [crashed], crashed, T);
    assert.deepEqual(
      st.conditions!.map((c) => `${c.type}=${c.status}/${c.reason}`),
      ['Progressing=True/NewReplicaSetAvailable', 'Available=False/MinimumReplicasUnavailable'],
    );
    assert.equal(st.conditions![0]!.lastUpdateTime, '2026-03-02T09:00:00Z');
  });
});
