/**
 * The deployment controller and the kubelets over time, one scenario per state: each starts from
 * a fixture under test/fixtures/workloads/, ticks every 250 ms (pods start 1 s after creation,
 * back-off scaled by 0.1: 1 s, 2 s, 4 s…) and checks the exact status the controller writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { templateHash } from '../../../../src/sandbox/workloads/names.js';
import type { DeploymentObject } from '../../../../src/sandbox/workloads/types.js';
import { at, FakeDeployment, fixture } from './harness.js';

const rsOf = (c: FakeDeployment) => `web-${templateHash(c.d.spec?.template)}`;

/** A condition as the controller writes it; times in seconds after T0. */
const cond = (
  type: string,
  status: string,
  reason: string,
  message: string,
  updated: number,
  transitioned: number,
) => ({ type, status, lastUpdateTime: at(updated), lastTransitionTime: at(transitioned), reason, message });
const available = (u: number, t = u) =>
  cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', u, t);
const unavailable = (u: number, t = u) =>
  cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', u, t);
const progressing = (rs: string, u: number, t: number) =>
  cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rs}" is progressing.`, u, t);
const progressed = (rs: string, u: number, t: number) =>
  cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rs}" has successfully progressed.`, u, t);
const timedOut = (rs: string, u: number) =>
  cond('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rs}" has timed out progressing.`, u, u);

/** The rolling fixture, rolled out and complete at 1 s. */
function rolledOut(name = 'web-rolling', edit?: (spec: NonNullable<DeploymentObject['spec']>) => void): FakeDeployment {
  const c = new FakeDeployment(fixture(name));
  if (edit) {
    c.edit(edit);
    c.d.metadata.generation = 1;
  }
  c.run(1);
  return c;
}

describe('deployment controller + kubelets', () => {
  it('a new Deployment: Created new replica set, then progressing, then complete', () => {
    const c = new FakeDeployment(fixture('web-rolling'));
    const rs = rsOf(c);
    c.run(0);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      unavailableReplicas: 3,
      conditions: [
        cond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rs}"`, 0, 0),
        unavailable(0),
      ],
    });
    c.run(0.25);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
      conditions: [unavailable(0), progressing(rs, 0, 0)],
    });
    c.run(0.75);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [available(1), progressed(rs, 1, 0)],
    });
    assert.deepEqual(c.eventLines(), [`ScalingReplicaSet: Scaled up replica set ${rs} from 0 to 3`]);
    assert.equal(c.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  });

  it('rollout in progress with surge: one extra pod, old ones kept until new ones are available', () => {
    const c = rolledOut();
    const old = rsOf(c);
    c.run(2);
    c.image('ghcr.io/acme/web:2.0.0');
    const rs = rsOf(c);
    c.run(0);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 1,
      conditions: [
        available(1),
        cond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rs}"`, 3, 0),
      ],
    });
    c.run(0.25);
    assert.deepEqual(c.counters(), { replicas: 4, updated: 1, ready: 3, available: 3, unavailable: 1 });
    assert.deepEqual(c.status.conditions, [available(1), progressing(rs, 3, 0)]);
    assert.deepEqual(c.replicaSets(), [`${old}:3`, `${rs}:1`]);
    c.run(1);
    assert.deepEqual(
      c.replicaSets(),
      [`${old}:2`, `${rs}:2`],
      'one new pod available: one old one goes, one more new one comes',
    );
  });

  it('rollout complete: all old pods gone, NewReplicaSetAvailable, revision 2', () => {
    const c = rolledOut();
    const old = rsOf(c);
    c.run(2);
    c.image('ghcr.io/acme/web:2.0.0');
    const rs = rsOf(c);
    c.run(5);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [available(1), progressed(rs, 6, 0)],
    });
    assert.deepEqual(c.replicaSets(), [`${old}:0`, `${rs}:3`]);
    assert.equal(c.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.deepEqual(c.eventLines().slice(1), [
      `ScalingReplicaSet: Scaled up replica set ${rs} from 0 to 1`,
      `ScalingReplicaSet: Scaled down replica set ${old} from 3 to 2`,
      `ScalingReplicaSet: Scaled up replica set ${rs} from 1 to 2`,
      `ScalingReplicaSet: Scaled down replica set ${old} from 2 to 1`,
      `ScalingReplicaSet: Scaled up replica set ${rs} from 2 to 3`,
      `ScalingReplicaSet: Scaled down replica set ${old} from 1 to 0`,
    ]);
  });

  it(
    'crash-looping new pods: old pods stay, Available True; ' +
      'ProgressDeadlineExceeded after the deadline without progress',
    () => {
      const c = rolledOut();
      c.run(2);
      c.faults = [
        { name: 'bad tag', image: 'ghcr.io/acme/web:1.1.0', message: 'panic: assignment to entry in nil map' },
      ];
      c.image('ghcr.io/acme/web:1.1.0');
      const rs = rsOf(c);
      c.run(20); // last progress at 3.25 s (the new pod counted): deadline passes at 23 s (whole seconds)
      assert.deepEqual(c.status, {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        readyReplicas: 3,
        availableReplicas: 3,
        unavailableReplicas: 1,
        conditions: [available(1), progressing(rs, 3, 0)],
      });
      c.run(0.25);
      assert.deepEqual(c.status.conditions, [available(1), timedOut(rs, 23)]);
      const pod = c.model!.replicaSets.find((x) => x.name === rs)!.pods[0]!;
      assert.deepEqual(
        c.eventLines('kubelet'),
        [4, 5, 7, 11, 19].map(
          () =>
            `BackOff: Back-off restarting failed container web in ` +
            `pod ${pod.name}: panic: assignment to entry in nil map`,
        ),
      );
      assert.equal(pod.restartCount, 4);
    },
  );

  it('recovery after the deadline: the ConfigMap fix reaches the pods at their next crash restart', () => {
    const c = new FakeDeployment(fixture('web-rolling'));
    c.faults = [
      {
        name: 'primary',
        env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
        message: 'dial tcp: connection refused',
      },
    ];
    c.configMaps.get('web-env')!['DB_HOST'] = 'db-staging.internal';
    const rs = rsOf(c);
    c.run(21);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
      conditions: [unavailable(0), timedOut(rs, 20)],
    });
    c.configMaps.get('web-env')!['DB_HOST'] = 'db-prod.internal';
    c.run(10.75); // crashes at 1 s, restarts at 2, 4, 8, 16, 32 s: the one at 32 s reads the fix
    assert.equal(c.status.availableReplicas, undefined);
    c.run(0.25);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [available(32), progressed(rs, 32, 32)],
    });
    assert.deepEqual(
      c.model!.replicaSets[0]!.pods.map((p) => [p.restartCount, p.env[0]!['DB_HOST']]),
      [
        [5, 'db-prod.internal'],
        [5, 'db-prod.internal'],
        [5, 'db-prod.internal'],
      ],
    );
  });

  it('a ConfigMap change does not reach healthy pods; a restartedAt annotation rolls new pods that read it', () => {
    const c = rolledOut();
    const old = rsOf(c);
    c.faults = [
      {
        name: 'primary',
        env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
        message: 'dial tcp: connection refused',
      },
    ];
    c.configMaps.set('web-env', { DB_HOST: 'db-staging.internal', LOG_LEVEL: 'debug' });
    c.run(60);
    assert.deepEqual(
      c.counters(),
      { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: undefined },
      'the bad value sits unnoticed',
    );
    assert.deepEqual(
      c.model!.replicaSets[0]!.pods.map((p) => p.env[0]),
      Array(3).fill({ DB_HOST: 'db-prod.internal', LOG_LEVEL: 'info' }),
    );
    assert.deepEqual(c.eventLines('kubelet'), []);

    c.edit((s) => {
      s.template!.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': at(61) };
    });
    const rs = rsOf(c);
    c.run(30);
    const fresh = c.model!.replicaSets.find((x) => x.name === rs)!;
    assert.deepEqual(
      fresh.pods.map((p) => p.env[0]),
      [{ DB_HOST: 'db-staging.internal', LOG_LEVEL: 'debug' }],
      'the restart reads the current ConfigMap',
    );
    assert.deepEqual(c.replicaSets(), [`${old}:3`, `${rs}:1`]);
    assert.deepEqual(c.status.conditions, [available(1), timedOut(rs, 81)]);
  });

  it(
    'crash after ready: the rollout completes, then Available ' +
      'goes False while Progressing stays NewReplicaSetAvailable',
    () => {
      const c = new FakeDeployment(fixture('web-rolling'));
      c.faults = [
        {
          name: 'primary',
          env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
          crashAfterReadyMs: 4000,
          message: 'panic: dial tcp: connection refused',
        },
      ];
      c.configMaps.get('web-env')!['DB_HOST'] = 'db-staging.internal';
      const rs = rsOf(c);
      c.run(4.75);
      assert.deepEqual(c.status, {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [available(1), progressed(rs, 1, 0)],
      });
      c.run(0.25);
      assert.deepEqual(c.status, {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        unavailableReplicas: 3,
        conditions: [progressed(rs, 1, 0), unavailable(5)],
      });
      c.run(60); // far past the 20 s deadline: a complete rollout is not judged against it
      assert.equal(c.condition('Progressing')?.reason, 'NewReplicaSetAvailable');
      assert.equal(
        c.eventLines('kubelet')[0],
        `BackOff: Back-off restarting failed container web in ` +
          `pod ${c.model!.replicaSets[0]!.pods[0]!.name}: panic: dial tcp: connection refused`,
      );
    },
  );

  it(
    'rollback to the previous template re-adopts that ReplicaSet ' +
      'and its pods (env snapshots, readiness), revision 3',
    () => {
      const c = rolledOut();
      const good = rsOf(c);
      const goodPods = c.model!.replicaSets[0]!.pods.map((p) => ({ ...p }));
      c.faults = [{ name: 'bad tag', image: 'ghcr.io/acme/web:1.1.0', message: 'panic' }];
      c.configMaps.get('web-env')!['LOG_LEVEL'] = 'debug';
      c.image('ghcr.io/acme/web:1.1.0');
      const bad = rsOf(c);
      c.run(30);
      assert.equal(c.condition('Progressing')?.reason, 'ProgressDeadlineExceeded');
      c.image('ghcr.io/acme/web:1.0.0');
      c.run(0);
      assert.deepEqual(c.replicaSets(), [`${good}:3`, `${bad}:0`]);
      assert.deepEqual(c.model!.replicaSets[0]!.pods, goodPods, 'the same pods, still reading LOG_LEVEL=info');
      assert.deepEqual(c.status.conditions, [available(1), progressing(good, 31, 31)]);
      c.run(0.25);
      assert.deepEqual(c.status, {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [available(1), progressed(good, 31, 31)],
      });
      assert.equal(c.d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
      assert.equal(c.eventLines().at(-1), `ScalingReplicaSet: Scaled down replica set ${bad} from 1 to 0`);
    },
  );

  it('scaling adds or removes pods in the same ReplicaSet; the rollout verdict is left alone', () => {
    const c = rolledOut();
    const rs = rsOf(c);
    c.edit((s) => {
      s.replicas = 5;
    });
    c.run(0);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 2,
      conditions: [progressed(rs, 1, 0), unavailable(1)],
    });
    c.run(1);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      replicas: 5,
      updatedReplicas: 5,
      readyReplicas: 5,
      availableReplicas: 5,
      conditions: [progressed(rs, 1, 0), available(2)],
    });
    c.edit((s) => {
      s.replicas = 2;
    });
    c.run(0.25);
    assert.deepEqual(c.counters(), { replicas: 2, updated: 2, ready: 2, available: 2, unavailable: undefined });
    assert.deepEqual(c.replicaSets(), [`${rs}:2`]);
    assert.deepEqual(c.eventLines().slice(1), [
      `ScalingReplicaSet: Scaled up replica set ${rs} from 3 to 5`,
      `ScalingReplicaSet: Scaled down replica set ${rs} from 5 to 2`,
    ]);
  });

  it(
    'paused: Progressing Unknown DeploymentPaused, no new ReplicaSet ' +
      'for a new template; resumed: DeploymentResumed, then the rollout',
    () => {
      const c = rolledOut();
      const old = rsOf(c);
      c.edit((s) => {
        s.paused = true;
      });
      c.run(0);
      assert.deepEqual(c.status.conditions, [
        available(1),
        cond('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', 1, 1),
      ]);
      c.image('ghcr.io/acme/web:2.0.0');
      c.run(5);
      assert.deepEqual(c.counters(), {
        replicas: 3,
        updated: undefined,
        ready: 3,
        available: 3,
        unavailable: undefined,
      });
      assert.equal(c.status.observedGeneration, 3);
      assert.deepEqual(c.replicaSets(), [`${old}:3`]);
      c.edit((s) => {
        s.paused = false;
      });
      c.run(0);
      // Resumed (Unknown DeploymentResumed), then the new ReplicaSet in the same sync: a new transition.
      assert.deepEqual(
        c.status.conditions?.[1],
        cond('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsOf(c)}"`, 6, 6),
      );
      c.run(5);
      assert.equal(c.condition('Progressing')?.reason, 'NewReplicaSetAvailable');
    },
  );

  it('Recreate: every old pod goes first, then the new ReplicaSet comes up', () => {
    const c = new FakeDeployment(fixture('web-recreate'));
    const old = rsOf(c);
    c.run(2);
    c.image('ghcr.io/acme/web:2.0.0');
    const rs = rsOf(c);
    c.run(0);
    assert.deepEqual(c.replicaSets(), [`${old}:0`]);
    c.run(0.25);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      unavailableReplicas: 2,
      conditions: [unavailable(2), progressing(rs, 2, 0)],
    });
    c.run(1);
    assert.deepEqual(c.status, {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [available(3), progressed(rs, 3, 0)],
    });
    assert.deepEqual(c.eventLines().slice(1), [
      `ScalingReplicaSet: Scaled down replica set ${old} from 2 to 0`,
      `ScalingReplicaSet: Scaled up replica set ${rs} from 0 to 2`,
    ]);
  });

  it('minReadySeconds: ready pods count as available only after that long', () => {
    const c = new FakeDeployment(fixture('web-rolling'));
    c.d.spec!.minReadySeconds = 5;
    const rs = rsOf(c);
    c.run(6);
    assert.deepEqual(c.status, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      unavailableReplicas: 3,
      conditions: [unavailable(0), progressing(rs, 1, 0)],
    });
    c.run(0.25);
    assert.deepEqual(c.counters(), { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: undefined });
    assert.equal(c.condition('Progressing')?.reason, 'NewReplicaSetAvailable');
  });

  it(
    'Secret-based env: secretRef with prefix and secretKeyRef; ' + 'a fixed Secret heals the pod at its next restart',
    () => {
      const c = new FakeDeployment(fixture('web-secret-env'));
      c.faults = [
        {
          name: 'default password',
          env: { name: 'DB_PASSWORD', mustNotEqual: 'changeme' },
          message: 'refusing the default password',
        },
      ];
      c.run(3);
      const pod = () => c.model!.replicaSets[0]!.pods[0]!;
      assert.deepEqual(pod().env, [
        { DB_password: 'changeme', DB_user: 'web', DB_PASSWORD: 'changeme', DSN: 'postgres://web@db-prod.internal' },
      ]);
      assert.deepEqual(c.counters(), {
        replicas: 1,
        updated: 1,
        ready: undefined,
        available: undefined,
        unavailable: 1,
      });
      c.secrets.set('web-db', { password: 's3cret', user: 'web' });
      c.run(1);
      assert.equal(c.status.availableReplicas, 1);
      assert.deepEqual([pod().restartCount, pod().env[0]!['DB_PASSWORD']], [2, 's3cret']);
    },
  );

  it(
    'adopts a finished rollout it sees for the first time ' + '(the simulator restarted) without restarting its pods',
    () => {
      const c = rolledOut();
      const status = c.status;
      c.model = undefined;
      c.run(0);
      assert.deepEqual(c.status, status);
      assert.deepEqual(c.eventLines(), [`ScalingReplicaSet: Scaled up replica set ${rsOf(c)} from 0 to 3`]);
    },
  );
});
