/**
 * The workload simulator against a real kube-apiserver: Deployment and Job status written
 * through the status subresource (validated by the apiserver), the revision annotation, and
 * Events recorded and deduplicated through the API. Each test uses its own namespace and its
 * own simulator, so tests neither see nor race each other's settings.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeRest } from '../../../src/lib/kube/rest.js';
import {
  startWorkloadSimulator,
  type FaultRule,
  type WorkloadSimulator,
} from '../../../src/sandbox/workloads/index.js';
import { startKube, type KubeWorld } from '../../../src/sandbox/world/kube.js';
import { waitFor } from './helpers.js';

type Obj = Record<string, any>;

describe('workload simulator on a real API server', () => {
  let dir: string, world: KubeWorld, rest: KubeRest;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-workloads-'));
    world = await startKube({ dir: path.join(dir, 'kube') });
    rest = await KubeRest.create(world.kc);
  });
  after(async () => {
    rest?.close();
    await world?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const deployment = (ns: string, o: { replicas?: number; deadline?: number; image?: string } = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: o.replicas ?? 2,
      progressDeadlineSeconds: o.deadline ?? 600,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: o.image ?? 'ghcr.io/acme/web:1.0.0',
              envFrom: [{ configMapRef: { name: 'web-env' } }],
            },
          ],
        },
      },
    },
  });
  async function setup(ns: string, dbHost: string, o: Parameters<typeof deployment>[1] = {}): Promise<void> {
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
    await rest.request('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { metadata: { name: 'web-env' }, data: { DB_HOST: dbHost } },
    });
    await rest.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: deployment(ns, o) });
  }
  const get = (ns: string) => rest.request<Obj>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`);
  const events = async (ns: string, name = 'web') =>
    await rest.list<Obj>(`/api/v1/namespaces/${ns}/events`, { fieldSelector: `involvedObject.name=${name}` });
  const cond = (d: Obj, type: string) => (d.status?.conditions ?? []).find((c: Obj) => c.type === type);
  const start = (faults: FaultRule[] = [], backoffScale = 0.05) =>
    startWorkloadSimulator({ kc: world.kc, faults, tickMs: 100, podStartMs: 300, backoffScale });

  it(
    'rolls out a new Deployment: status, revision annotation ' +
      'and ScalingReplicaSet event, as the controller writes them',
    async () => {
      await setup('sim-rollout', 'db-prod.internal');
      const sim = await start();
      try {
        const d = await waitFor(
          () => get('sim-rollout'),
          (x) => cond(x, 'Progressing')?.reason === 'NewReplicaSetAvailable',
          10_000,
          'rollout complete',
        );
        const { conditions, ...counters } = d.status;
        assert.deepEqual(counters, {
          observedGeneration: 1,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
        });
        const rs = /^ReplicaSet "(web-[bcdfghjklmnpqrstvwxz2456789]{10})" has successfully progressed\.$/.exec(
          cond(d, 'Progressing').message,
        )?.[1];
        assert.ok(rs, cond(d, 'Progressing').message);
        assert.deepEqual(
          conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]),
          [
            ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
            ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rs}" has successfully progressed.`],
          ],
        );
        for (const c of conditions)
          assert.match(
            `${c.lastUpdateTime} ${c.lastTransitionTime}`,
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
          );
        assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '1');
        assert.ok(
          d.metadata.managedFields.some(
            (f: Obj) => f.manager === 'sandbox-workload-simulator' && f.subresource === 'status',
          ),
        );
        const recorded = await events('sim-rollout');
        assert.equal(recorded.length, 1);
        const e = recorded[0]!;
        assert.deepEqual(
          [
            e.type,
            e.reason,
            e.message,
            e.count,
            e.source.component,
            e.reportingComponent,
            e.involvedObject.kind,
            e.involvedObject.uid,
          ],
          [
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${rs} from 0 to 2`,
            1,
            'deployment-controller',
            'sandbox-deployment-controller',
            'Deployment',
            d.metadata.uid,
          ],
        );
        assert.match(e.metadata.name, /^web\.[0-9a-f]+$/);
      } finally {
        await sim.stop();
      }
    },
  );

  it(
    'a wrong DB_HOST crash-loops the pods; the ConfigMap ' + 'fix reaches them only at the next crash restart',
    async () => {
      // Back-off 10 s × 0.3: restarts 3 s, then 6 s after a crash, leaving room to look in between.
      const rule: FaultRule = {
        name: 'primary',
        env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
        message: 'dial tcp: lookup db-staging.internal: connection refused',
      };
      await setup('sim-fault', 'db-staging.internal', { replicas: 1, deadline: 2 });
      const sim = await start([rule], 0.3);
      try {
        let d = await waitFor(
          () => get('sim-fault'),
          (x) => cond(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded',
          10_000,
          'past the 2 s progress deadline',
        );
        assert.deepEqual(
          [d.status.replicas, d.status.updatedReplicas, d.status.availableReplicas, d.status.unavailableReplicas],
          [1, 1, undefined, 1],
        );
        assert.deepEqual(
          [cond(d, 'Available').status, cond(d, 'Available').message],
          ['False', 'Deployment does not have minimum availability.'],
        );
        const backOff = await waitFor(
          () => events('sim-fault'),
          (es) => es.some((e) => e.reason === 'BackOff' && e.count >= 2),
          10_000,
          'a second crash, counted on the same Event',
        );
        const e = backOff.find((x) => x.reason === 'BackOff')!;
        assert.match(
          e.message,
          /^Back-off restarting failed container web in pod web-\w{10}-\w{5}: dial tcp: lookup db-staging\.internal: connection refused$/,
        );
        assert.deepEqual(
          [e.type, e.source.component, e.reportingComponent, e.involvedObject.kind],
          ['Warning', 'kubelet', 'sandbox-kubelet', 'Deployment'],
        );

        await rest.mergePatch('/api/v1/namespaces/sim-fault/configmaps/web-env', {
          data: { DB_HOST: 'db-prod.internal' },
        });
        const fixedAt = Date.now();
        await sim.waitTicks(15);
        d = await get('sim-fault');
        assert.equal(d.status.availableReplicas, undefined, 'the container in back-off has not read the fix yet');
        d = await waitFor(
          () => get('sim-fault'),
          (x) => x.status?.availableReplicas === 1,
          10_000,
          'recovery at the restart',
        );
        assert.ok(Date.now() - fixedAt >= 1_500, 'recovered at the restart, not at the ConfigMap edit');
        assert.deepEqual(
          [cond(d, 'Available').status, cond(d, 'Progressing').status, cond(d, 'Progressing').reason],
          ['True', 'True', 'NewReplicaSetAvailable'],
        );
      } finally {
        await sim.stop();
      }
    },
  );

  it(
    'a ConfigMap change leaves healthy pods alone; restartedAt ' +
      'rolls new pods that read it, the old ones keep serving',
    async () => {
      const rule: FaultRule = {
        name: 'primary',
        env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
        message: 'wrong database',
      };
      await setup('sim-restart', 'db-prod.internal', { replicas: 2, deadline: 2 });
      const sim = await start([rule]);
      try {
        await waitFor(
          () => get('sim-restart'),
          (x) => cond(x, 'Progressing')?.reason === 'NewReplicaSetAvailable',
          10_000,
          'rollout complete',
        );
        await rest.mergePatch('/api/v1/namespaces/sim-restart/configmaps/web-env', {
          data: { DB_HOST: 'db-staging.internal' },
        });
        await sim.waitTicks(10);
        let d = await get('sim-restart');
        assert.deepEqual([d.status.availableReplicas, cond(d, 'Progressing').reason], [2, 'NewReplicaSetAvailable']);
        assert.equal((await events('sim-restart')).filter((e) => e.reason === 'BackOff').length, 0);

        await rest.mergePatch('/apis/apps/v1/namespaces/sim-restart/deployments/web', {
          spec: {
            template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
          },
        });
        d = await waitFor(
          () => get('sim-restart'),
          (x) => cond(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded',
          10_000,
          'the restarted pods failing past the deadline',
        );
        assert.deepEqual(
          [
            d.status.observedGeneration,
            d.status.replicas,
            d.status.updatedReplicas,
            d.status.availableReplicas,
            d.status.unavailableReplicas,
          ],
          [2, 3, 1, 2, 1],
        );
        assert.deepEqual(
          [cond(d, 'Available').status, d.metadata.annotations['deployment.kubernetes.io/revision']],
          ['True', '2'],
        );
        assert.ok(
          (await events('sim-restart')).some((e) => e.reason === 'BackOff' && / wrong database$/.test(e.message)),
        );
      } finally {
        await sim.stop();
      }
    },
  );

  it(
    'Jobs: Complete, and Failed after the backoff limit, ' + "accepted by the apiserver's Job status validation",
    async () => {
      await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'sim-jobs' } } });
      const job = (name: string, image: string) => ({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, annotations: { 'sandbox.rewind.dev/run-ms': '300' } },
        spec: {
          backoffLimit: 1,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } },
        },
      });
      await rest.request('POST', '/apis/batch/v1/namespaces/sim-jobs/jobs', {
        body: job('ok', 'ghcr.io/acme/migrate:1'),
      });
      await rest.request('POST', '/apis/batch/v1/namespaces/sim-jobs/jobs', {
        body: job('bad', 'ghcr.io/acme/migrate:bad'),
      });
      const sim = await start([
        { name: 'bad migration', image: 'ghcr.io/acme/migrate:bad', message: 'relation "users" does not exist' },
      ]);
      try {
        const get = (name: string) => rest.request<Obj>('GET', `/apis/batch/v1/namespaces/sim-jobs/jobs/${name}`);
        const finished = (x: Obj) =>
          (x.status?.conditions ?? []).some(
            (c: Obj) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
          );
        const ok = await waitFor(() => get('ok'), finished, 10_000, 'Job ok finished');
        assert.deepEqual(
          ok.status.conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]),
          [
            ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
            ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
          ],
        );
        assert.deepEqual(
          [
            ok.status.succeeded,
            ok.status.active,
            ok.status.ready,
            typeof ok.status.startTime,
            typeof ok.status.completionTime,
          ],
          [1, undefined, 0, 'string', 'string'],
        );
        const bad = await waitFor(() => get('bad'), finished, 10_000, 'Job bad finished');
        assert.deepEqual(
          bad.status.conditions.map((c: Obj) => [c.type, c.reason]),
          [
            ['FailureTarget', 'BackoffLimitExceeded'],
            ['Failed', 'BackoffLimitExceeded'],
          ],
        );
        assert.deepEqual([bad.status.failed, bad.status.completionTime], [2, undefined]);
        assert.deepEqual(
          (await events('sim-jobs', 'bad'))
            .filter((e) => e.source.component === 'job-controller')
            .map((e) => e.reason)
            .sort(),
          ['BackoffLimitExceeded', 'SuccessfulCreate', 'SuccessfulCreate'],
        );
      } finally {
        await sim.stop();
      }
    },
  );

  it('leaves kube-* namespaces alone and stops cleanly (idempotent, waitTicks refused after)', async () => {
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'kube-sim' } } });
    await rest.request('POST', '/api/v1/namespaces/kube-sim/configmaps', {
      body: { metadata: { name: 'web-env' }, data: {} },
    });
    await rest.request('POST', '/apis/apps/v1/namespaces/kube-sim/deployments', { body: deployment('kube-sim') });
    const sim: WorkloadSimulator = await start();
    await sim.waitTicks(5);
    assert.ok(sim.tickCount >= 5);
    assert.equal((await get('kube-sim')).status?.observedGeneration, undefined);
    await sim.stop();
    await sim.stop();
    await assert.rejects(sim.waitTicks(1), /stopped/);
    const count = sim.tickCount;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.tickCount, count, 'no tick after stop');
  });
});
