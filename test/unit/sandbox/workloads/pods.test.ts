import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultRule } from '../../../../src/sandbox/workloads/faults.js';
import {
  advancePod,
  deletionOrder,
  isAvailable,
  isReady,
  newPod,
  type KubeletSettings,
  type Pod,
  type PodSpecView,
} from '../../../../src/sandbox/workloads/pods.js';

const spec: PodSpecView = {
  namespace: 'shop',
  owner: { kind: 'Deployment', name: 'web' },
  restartPolicy: 'Always',
  containers: [{ name: 'web', image: 'web:1', envFrom: [{ configMapRef: { name: 'web-env' } }] }],
};
const needsPrimary: FaultRule = {
  name: 'primary',
  env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
  message: 'dial tcp: refused',
};

function kubelet(cm: Record<string, string> | undefined, faults: FaultRule[] = []): KubeletSettings {
  return {
    sources: { configMap: (n) => (n === 'web-env' ? cm : undefined), secret: () => undefined },
    faults,
    podStartMs: 1000,
    backoffScale: 1,
  };
}

/** Advances `pod` in 1 s steps up to `until` ms, collecting event reasons. */
function runTo(pod: Pod, until: number, k: KubeletSettings, from = 0): { pod: Pod; events: string[] } {
  const events: string[] = [];
  for (let t = from; t <= until; t += 1000) {
    const r = advancePod(pod, spec, k, t);
    pod = r.pod;
    events.push(...r.events.map((e) => `${t / 1000}s ${e.reason}`));
  }
  return { pod, events };
}

describe('pods (the kubelet)', () => {
  it('a healthy container starts podStartMs after creation, reads its env then, and is ready', () => {
    const k = kubelet({ DB_HOST: 'db-prod.internal' });
    const p0 = newPod('web-1', 0, k);
    assert.equal(advancePod(p0, spec, k, 999).pod.phase, 'Pending');
    const { pod } = advancePod(p0, spec, k, 1000);
    assert.deepEqual(
      [pod.phase, pod.startedAt, pod.readyAt, pod.env],
      ['Running', 1000, 1000, [{ DB_HOST: 'db-prod.internal' }]],
    );
    assert.equal(isReady(pod, 1000), true);
    assert.deepEqual(
      [isAvailable(pod, 5, 6000), isAvailable(pod, 5, 6001)],
      [false, true],
      'minReadySeconds: available strictly after',
    );
  });

  it('a running container never re-reads its env: a ConfigMap change does not reach it', () => {
    const started = advancePod(
      newPod('web-1', 0, kubelet({ DB_HOST: 'db-prod.internal' })),
      spec,
      kubelet({ DB_HOST: 'db-prod.internal' }),
      1000,
    ).pod;
    const later = advancePod(started, spec, kubelet({ DB_HOST: 'db-staging.internal' }, [needsPrimary]), 60_000);
    assert.deepEqual(
      [later.pod.phase, later.pod.env, later.events],
      ['Running', [{ DB_HOST: 'db-prod.internal' }], []],
    );
  });

  it(
    'a matching pod crash-loops with back-off 10 s, 20 s, 40 s…; each ' +
      'restart re-reads env; a fixed value heals it at the next restart',
    () => {
      const bad = kubelet({ DB_HOST: 'db-staging.internal' }, [needsPrimary]);
      let { pod, events } = runTo(newPod('web-1', 0, bad), 60_000, bad);
      // Crashes at 1 s (start), restarts at 11 s, 31 s: back-off 10 s then 20 s; next at 71 s.
      assert.deepEqual(events, ['1s BackOff', '11s BackOff', '31s BackOff']);
      assert.deepEqual([pod.phase, pod.restartCount, pod.startAt, pod.readyAt], ['BackOff', 2, 71_000, undefined]);
      const good = kubelet({ DB_HOST: 'db-prod.internal' }, [needsPrimary]);
      ({ pod } = runTo(pod, 70_000, good, 61_000));
      assert.equal(pod.phase, 'BackOff', 'the fix waits for the restart');
      ({ pod } = runTo(pod, 71_000, good, 71_000));
      assert.deepEqual(
        [pod.phase, pod.restartCount, pod.readyAt, pod.env],
        ['Running', 3, 71_000, [{ DB_HOST: 'db-prod.internal' }]],
      );
    },
  );

  it("the BackOff event names the container, the pod and the rule's message", () => {
    const bad = kubelet({ DB_HOST: 'x' }, [needsPrimary]);
    const { events } = advancePod(newPod('web-1', 0, bad), spec, bad, 1000);
    assert.deepEqual(events, [
      {
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container web in pod web-1: dial tcp: refused',
      },
    ]);
  });

  it('back-off is capped at 300 s and scaled by backoffScale', () => {
    const bad = { ...kubelet({}, [{ name: 'all', message: 'x' }]), backoffScale: 0.1 };
    const { pod, events } = runTo(newPod('web-1', 0, bad), 400_000, bad);
    const starts = events.map((e) => Number.parseFloat(e));
    assert.deepEqual(
      starts.slice(0, 7).map((s, i) => (i ? s - starts[i - 1]! : s)),
      [1, 1, 2, 4, 8, 16, 30],
    );
    assert.ok(pod.restartCount > 10);
  });

  it('crashAfterReadyMs: ready, serving, then a crash that long after becoming ready', () => {
    const k = kubelet({}, [{ name: 'db', crashAfterReadyMs: 4000, message: 'panic: db' }]);
    const { pod, events } = runTo(newPod('web-1', 0, k), 5000, k);
    assert.deepEqual(events, ['5s BackOff']);
    assert.deepEqual([pod.phase, pod.restartCount, pod.startAt], ['BackOff', 0, 15_000]);
    assert.equal(isReady(runTo(newPod('web-1', 0, k), 4000, k).pod, 4000), true);
  });

  it('startDelayMs alone: a slow start that becomes ready (with a readiness-probe event)', () => {
    const k = kubelet({}, [{ name: 'slow', startDelayMs: 3000, message: 'warming caches' }]);
    const { pod, events } = advancePod(newPod('web-1', 0, k), spec, k, 1000);
    assert.deepEqual([pod.phase, pod.readyAt, isReady(pod, 3999), isReady(pod, 4000)], ['Running', 4000, false, true]);
    assert.deepEqual(
      events.map((e) => `${e.reason}: ${e.message}`),
      ['Unhealthy: Readiness probe failed: warming caches'],
    );
  });

  it(
    "a rule that starts matching a running pod's snapshot crashes " +
      'it (the world changed); removing it before the crash spares it',
    () => {
      const ok = kubelet({ DB_HOST: 'db-prod.internal' });
      const running = advancePod(newPod('web-1', 0, ok), spec, ok, 1000).pod;
      const moved = kubelet({ DB_HOST: 'db-prod.internal' }, [
        { name: 'moved', env: { name: 'DB_HOST', mustEqual: 'db-prod-2.internal' }, message: 'read-only' },
      ]);
      assert.equal(advancePod(running, spec, moved, 20_000).pod.phase, 'BackOff');
      const later = kubelet({}, [{ name: 'db', crashAfterReadyMs: 30_000, message: 'x' }]);
      const doomed = advancePod(running, spec, later, 2000).pod;
      assert.equal(doomed.crashAt, 31_000);
      assert.equal(advancePod(doomed, spec, ok, 3000).pod.crashAt, undefined);
    },
  );

  it('a missing ConfigMap keeps the container from starting (CreateContainerConfigError) until it exists', () => {
    const none = kubelet(undefined);
    const r1 = advancePod(newPod('web-1', 0, none), spec, none, 1000);
    assert.deepEqual(
      [r1.pod.phase, r1.pod.configError, r1.events.map((e) => e.message)],
      ['Pending', 'Error: configmap "web-env" not found', ['Error: configmap "web-env" not found']],
    );
    assert.deepEqual(advancePod(r1.pod, spec, none, 2000).events, [], 'reported once');
    const r2 = advancePod(r1.pod, spec, kubelet({ DB_HOST: 'db-prod.internal' }), 3000);
    assert.deepEqual([r2.pod.phase, r2.pod.startedAt, r2.pod.configError], ['Running', 3000, undefined]);
  });

  it('restartPolicy Never (Job pods): a crash fails the pod; a healthy one exits 0 after runMs', () => {
    const job: PodSpecView = { ...spec, owner: { kind: 'Job', name: 'migrate' }, restartPolicy: 'Never', runMs: 2000 };
    const ok = kubelet({ DB_HOST: 'db-prod.internal' });
    assert.equal(advancePod(newPod('m-1', 0, ok), job, ok, 2999).pod.phase, 'Running');
    assert.equal(advancePod(newPod('m-1', 0, ok), job, ok, 3000).pod.phase, 'Succeeded');
    const bad = kubelet({}, [needsPrimary]);
    const r = advancePod(newPod('m-1', 0, bad), job, bad, 1000);
    assert.deepEqual(
      [r.pod.phase, r.events.map((e) => `${e.reason}: ${e.message}`)],
      ['Failed', ['Failed: Error: container web in pod m-1 exited: dial tcp: refused']],
    );
  });

  it('scale-down deletes not-started, then not-ready, then the most recently ready pods first', () => {
    const p = (name: string, o: Partial<Pod>): Pod => ({
      name,
      createdAt: 0,
      phase: 'Running',
      env: [],
      restartCount: 0,
      backoffs: 0,
      ...o,
    });
    const pods = [
      p('ready-long', { readyAt: 1 }),
      p('ready-recent', { readyAt: 50 }),
      p('pending', { phase: 'Pending' }),
      p('crashing', { phase: 'BackOff', restartCount: 3 }),
      p('crashing-less', { phase: 'BackOff', restartCount: 1 }),
    ];
    assert.deepEqual(
      [...pods].sort(deletionOrder(100)).map((x) => x.name),
      ['pending', 'crashing', 'crashing-less', 'ready-recent', 'ready-long'],
    );
  });
});
