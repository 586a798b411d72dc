/**
 * The sandbox controller as Argo CD, against a real kube-apiserver and real Git repos over HTTP.
 * Each test gets its own Argo namespace, destination namespace, repo and controller, so tests
 * neither see nor race each other's Applications. One workload simulator runs beside them for
 * the whole file (the kubelets' stand-in), its fault rules set per test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { after, before, describe, it } from 'node:test';
import {
  startSandboxController,
  type SandboxController,
  type SandboxControllerOptions,
} from '../../../src/sandbox/controller/index.js';
import {
  startWorkloadSimulator,
  type FaultRule,
  type WorkloadSimulator,
} from '../../../src/sandbox/workloads/index.js';
import { startKube, type KubeWorld } from '../../../src/sandbox/world/kube.js';
import { Api, imageOf, RepoHost, under, waitFor, workloadYaml, type TestRepo } from './helpers.js';

type Obj = Record<string, any>;

describe('sandbox controller as Argo CD', () => {
  let dir: string, world: KubeWorld, repos: RepoHost, api: Api, workloads: WorkloadSimulator;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-argo-'));
    [world, repos] = await Promise.all([startKube({ dir: path.join(dir, 'kube') }), RepoHost.start()]);
    api = new Api(world.kc);
    workloads = await startWorkloadSimulator({ kc: world.kc, tickMs: 100, podStartMs: 300, backoffScale: 0.05 });
  });
  after(async () => {
    await workloads?.stop();
    await repos?.stop();
    await world?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  interface Scenario {
    name: string;
    argoNs: string;
    ns: string;
    repo: TestRepo;
    ctl: SandboxController;
    app(): Promise<Obj>;
  }

  /** A repo with one workload under app/, an Application for it, and a running controller. */
  async function scenario(
    name: string,
    o: {
      automated?: Obj | null;
      createNamespace?: boolean;
      ignoreDifferences?: Obj[];
      ctl?: Partial<SandboxControllerOptions>;
      files?: Record<string, string>;
      faults?: FaultRule[];
    } = {},
  ): Promise<Scenario> {
    const argoNs = `argo-${name}`,
      ns = name;
    const repo = await repos.create(name, o.files ?? under('app', workloadYaml({ ns, image: 'nginx:1.0' })));
    await api.ensureNamespace(argoNs);
    workloads.setFaults(o.faults ?? []);
    const ctl = await startSandboxController({
      kc: world.kc,
      workDir: path.join(dir, `ctl-${name}`),
      argoNamespace: argoNs,
      pollIntervalMs: 1000,
      selfHealDelayMs: 500,
      ...o.ctl,
    });
    await api.createApp(argoNs, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: argoNs },
      spec: {
        project: 'default',
        source: { repoURL: repo.url, targetRevision: 'HEAD', path: 'app' },
        destination: { server: 'https://kubernetes.default.svc', namespace: ns },
        // Argo CD creates the destination namespace only when asked to, as bootstrap does.
        syncPolicy: {
          ...(o.automated === null ? {} : { automated: o.automated ?? { prune: true, selfHeal: true } }),
          ...(o.createNamespace === false ? {} : { syncOptions: ['CreateNamespace=true'] }),
        },
        ...(o.ignoreDifferences ? { ignoreDifferences: o.ignoreDifferences } : {}),
      },
    });
    return { name, argoNs, ns, repo, ctl, app: () => api.app(argoNs, name) };
  }

  const synced =
    (sha: string, health = 'Healthy') =>
    (a: Obj) =>
      a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha && a.status.health?.status === health;

  it('auto-sync applies the first and then a newly pushed commit, with tracking and history', async () => {
    const s = await scenario('autosync');
    try {
      let app = await waitFor(s.app, synced(s.repo.first), 20_000, 'first auto-sync, Synced and Healthy');
      assert.equal(app.status.operationState.phase, 'Succeeded');
      assert.equal(app.status.operationState.syncResult.revision, s.repo.first);
      assert.deepEqual(
        app.status.history.map((h: Obj) => [h.id, h.revision, h.initiatedBy]),
        [[0, s.repo.first, { automated: true }]],
      );
      assert.equal(app.status.sourceType, 'Directory');
      // Argo CD 3 keeps resource health in its resource tree, not in status.resources; an empty group is omitted.
      assert.deepEqual(
        app.status.resources.map((r: Obj) => [r.group, r.kind, r.status, r.health]),
        [
          [undefined, 'ConfigMap', 'Synced', undefined],
          ['apps', 'Deployment', 'Synced', undefined],
        ],
      );
      assert.equal(app.status.resourceHealthSource, 'appTree');
      // The first sync created the destination namespace (CreateNamespace=true) as a PreSync task.
      assert.deepEqual(
        app.status.operationState.syncResult.resources.map((r: Obj) => [r.kind, r.syncPhase, r.message, r.images]),
        [
          ['Namespace', 'PreSync', 'namespace/autosync created', undefined],
          ['ConfigMap', 'Sync', 'configmap/web-env created', undefined],
          ['Deployment', 'Sync', 'deployment.apps/web created', ['nginx:1.0']],
        ],
      );
      assert.deepEqual(app.status.operationState.operation, {
        initiatedBy: { automated: true },
        retry: { limit: 5 },
        sync: {
          prune: true,
          revision: s.repo.first,
          source: { repoURL: s.repo.url, targetRevision: 'HEAD', path: 'app' },
          syncOptions: ['CreateNamespace=true'],
        },
      });
      const live = await api.deployment(s.ns, 'web');
      assert.equal(
        live?.metadata?.annotations?.['argocd.argoproj.io/tracking-id'],
        'autosync:apps/Deployment:autosync/web',
      );
      assert.ok(
        live?.metadata?.managedFields?.some((f) => f.manager === 'argocd-controller' && f.operation === 'Apply'),
        'applied server-side as argocd-controller',
      );

      const sha2 = await s.repo.commit(under('app', workloadYaml({ ns: s.ns, image: 'nginx:1.1' })), 'bump to 1.1');
      app = await waitFor(s.app, synced(sha2), 20_000, 'auto-sync of the new commit');
      assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'nginx:1.1');
      assert.deepEqual(
        app.status.history.map((h: Obj) => [h.id, h.revision]),
        [
          [0, s.repo.first],
          [1, sha2],
        ],
      );
      assert.ok(Date.parse(app.status.history[1].deployedAt) >= Date.parse(app.status.history[1].deployStartedAt));
    } finally {
      await s.ctl.stop();
    }
  });

  it('self-heal takes a live edit back; the heal is a new automated history entry', async () => {
    const s = await scenario('selfheal');
    try {
      await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
      await api.patchDeployment(s.ns, 'web', {
        spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:hand-edit' }] } } },
      });
      await waitFor(
        () => api.deployment(s.ns, 'web'),
        (d) => imageOf(d) === 'nginx:1.0',
        15_000,
        'self-heal to restore nginx:1.0',
      );
      const app = await waitFor(
        s.app,
        (a) => synced(s.repo.first)(a) && a.status.history.length === 2,
        15_000,
        'Synced again with a second history entry',
      );
      assert.deepEqual(app.status.history[1].initiatedBy, { automated: true });
      assert.equal(app.status.history[1].id, 1);
    } finally {
      await s.ctl.stop();
    }
  });

  it('with automated removed, neither a new commit nor a live edit is synced: both stay OutOfSync', async () => {
    const s = await scenario('paused');
    try {
      await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
      await api.patchApp(s.argoNs, s.name, { spec: { syncPolicy: { automated: null } } });
      await api.patchDeployment(s.ns, 'web', {
        spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:emergency' }] } } },
      });
      let app = await waitFor(
        s.app,
        (a) => a.status?.sync?.status === 'OutOfSync',
        10_000,
        'OutOfSync after the live edit',
      );
      assert.deepEqual(
        app.status.resources.filter((r: Obj) => r.status === 'OutOfSync').map((r: Obj) => r.kind),
        ['Deployment'],
      );
      const sha2 = await s.repo.commit(under('app', workloadYaml({ ns: s.ns, image: 'nginx:2.0' })), 'bump to 2.0');
      app = await waitFor(
        s.app,
        (a) => a.status?.sync?.revision === sha2,
        10_000,
        'the new commit compared (poll 1 s)',
      );
      await s.ctl.waitTicks(5);
      app = await s.app();
      assert.equal(app.status.sync.status, 'OutOfSync');
      assert.equal(app.status.history.length, 1, 'no sync happened');
      assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'nginx:emergency', 'the live edit stays');
    } finally {
      await s.ctl.stop();
    }
  });

  it('`enabled: false` pauses auto-sync while keeping prune/selfHeal', async () => {
    const s = await scenario('disabled', { automated: { prune: true, selfHeal: true, enabled: false } });
    try {
      const app = await waitFor(
        s.app,
        (a) => a.status?.sync?.status === 'OutOfSync' && a.status.health?.status === 'Missing',
        10_000,
        'compared, never synced',
      );
      await s.ctl.waitTicks(3);
      assert.equal((await s.app()).status.operationState, undefined);
      assert.equal(app.status.history, undefined);
      assert.equal(await api.deployment(s.ns, 'web'), undefined);
    } finally {
      await s.ctl.stop();
    }
  });

  it(
    '.operation.sync to an older revision: taken, cleared, Running ' +
      '→ Succeeded, history with a higher id and the initiator',
    async () => {
      const s = await scenario('opsync');
      try {
        await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
        const sha2 = await s.repo.commit(under('app', workloadYaml({ ns: s.ns, image: 'nginx:2.0' })), 'bump to 2.0');
        await waitFor(s.app, synced(sha2), 20_000, 'auto-sync to 2.0');
        await api.patchApp(s.argoNs, s.name, { spec: { syncPolicy: { automated: null } } });
        const phases: string[] = [];
        const watch = await new k8s.Watch(world.kc).watch(
          `/apis/argoproj.io/v1alpha1/namespaces/${s.argoNs}/applications`,
          {},
          (_t: string, o: Obj) => {
            const p = o.status?.operationState?.phase;
            // As in Argo CD, `.operation` stays on the app while its operation runs.
            const seen = p === 'Running' ? `Running${o.operation ? ' with .operation' : ''}` : p;
            if (seen && phases.at(-1) !== seen) phases.push(seen);
          },
          () => undefined,
        );
        try {
          await api.patchApp(s.argoNs, s.name, {
            operation: { initiatedBy: { username: 'dana' }, sync: { revision: s.repo.first, prune: false } },
          });
          const app = await waitFor(
            s.app,
            (a) =>
              a.status?.operationState?.syncResult?.revision === s.repo.first &&
              a.status.operationState.phase === 'Succeeded',
            15_000,
            'manual sync to the first commit',
          );
          assert.equal(app.operation, undefined, '.operation is removed when the operation completes');
          assert.deepEqual(app.status.operationState.operation.initiatedBy, { username: 'dana' });
          assert.equal(app.status.operationState.operation.sync.revision, s.repo.first);
          const last = app.status.history.at(-1);
          assert.deepEqual([last.id, last.revision, last.initiatedBy], [2, s.repo.first, { username: 'dana' }]);
          assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'nginx:1.0', 'the older revision is live');
          await waitFor(
            async () => phases,
            (p) => p.includes('Succeeded'),
            5_000,
            'watch to see Succeeded',
          );
          assert.deepEqual(phases.slice(phases.lastIndexOf('Running with .operation')), [
            'Running with .operation',
            'Succeeded',
          ]);
          assert.equal(app.status.operationState.message, 'successfully synced (all tasks run)');
          // The target is still HEAD, so the app reports OutOfSync against it.
          await waitFor(
            s.app,
            (a) => a.status.sync.status === 'OutOfSync' && a.status.sync.revision === sha2,
            10_000,
            'OutOfSync against HEAD',
          );
        } finally {
          watch.abort();
        }
      } finally {
        await s.ctl.stop();
      }
    },
  );

  it('the refresh annotation resolves at once with a 180 s poll interval, and is removed', async () => {
    const s = await scenario('refresh', { ctl: { pollIntervalMs: 180_000 } });
    try {
      await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
      const sha2 = await s.repo.commit(under('app', workloadYaml({ ns: s.ns, image: 'nginx:3.0' })), 'bump to 3.0');
      await s.ctl.waitTicks(4);
      assert.equal((await s.app()).status.sync.revision, s.repo.first, 'not polled yet');
      const t0 = Date.now();
      await api.patchApp(s.argoNs, s.name, { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
      const app = await waitFor(
        s.app,
        (a) => a.status?.sync?.revision === sha2,
        3_000,
        'the refresh to resolve the new commit',
      );
      assert.ok(Date.now() - t0 < 3_000, `handled in ${Date.now() - t0} ms`);
      assert.equal(
        app.metadata.annotations?.['argocd.argoproj.io/refresh'],
        undefined,
        'annotation removed in the same write',
      );
      await waitFor(s.app, synced(sha2), 10_000, 'auto-sync of the refreshed commit');
      assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'nginx:3.0');
      // A hard refresh works the same way.
      await api.patchApp(s.argoNs, s.name, { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } });
      await waitFor(
        s.app,
        (a) => a.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined,
        5_000,
        'hard refresh handled',
      );
    } finally {
      await s.ctl.stop();
    }
  });

  it('prune deletes an object removed from Git; without prune it stays and is reported', async () => {
    const pruning = await scenario('prune');
    try {
      await waitFor(pruning.app, synced(pruning.repo.first), 20_000, 'first sync');
      const sha2 = await pruning.repo.commit({ 'app/configmap.yaml': null }, 'drop the configmap');
      await waitFor(
        () => api.configMap(pruning.ns, 'web-env'),
        (c) => c === undefined,
        15_000,
        'the ConfigMap to be pruned',
      );
      const app = await waitFor(pruning.app, synced(sha2), 10_000, 'Synced after prune');
      assert.ok(
        app.status.operationState.syncResult.resources.some(
          (r: Obj) => r.kind === 'ConfigMap' && r.status === 'Pruned',
        ),
      );
    } finally {
      await pruning.ctl.stop();
    }

    const keeping = await scenario('noprune', { automated: { prune: false, selfHeal: true } });
    try {
      await waitFor(keeping.app, synced(keeping.repo.first), 20_000, 'first sync');
      const sha2 = await keeping.repo.commit({ 'app/configmap.yaml': null }, 'drop the configmap');
      const app = await waitFor(
        keeping.app,
        (a) => a.status?.sync?.revision === sha2 && a.status.sync.status === 'OutOfSync',
        10_000,
        'OutOfSync with the orphan',
      );
      const orphan = app.status.resources.find((r: Obj) => r.kind === 'ConfigMap');
      assert.deepEqual([orphan.status, orphan.requiresPruning], ['OutOfSync', true]);
      await keeping.ctl.waitTicks(4);
      assert.ok(await api.configMap(keeping.ns, 'web-env'), 'not pruned');
    } finally {
      await keeping.ctl.stop();
    }
  });

  it('a fault rule (bad image) makes the app Degraded; a fixing commit makes it Healthy', async () => {
    const s = await scenario('fault', {
      faults: [{ name: 'bad tag', image: 'nginx:1.1-bad', message: 'CrashLoopBackOff: exit 1' }],
    });
    try {
      await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
      const bad = await s.repo.commit(
        under('app', workloadYaml({ ns: s.ns, image: 'nginx:1.1-bad' })),
        'promote 1.1-bad',
      );
      const app = await waitFor(s.app, synced(bad, 'Degraded'), 20_000, 'Degraded after the progress deadline (4 s)');
      // Argo CD 3 names the resource behind the app's health, as the real one recorded in test/fixtures/engines.
      assert.equal(app.status.health.message, 'Caused by apps/Deployment:fault/web');
      // As in a cluster: the surge pod crash-loops while the old pod keeps serving (maxUnavailable 0).
      const d = await api.deployment(s.ns, 'web');
      assert.deepEqual(
        [d?.status?.replicas, d?.status?.updatedReplicas, d?.status?.availableReplicas, d?.status?.unavailableReplicas],
        [2, 1, 1, 1],
      );
      const available = d?.status?.conditions?.find((c) => c.type === 'Available');
      assert.deepEqual(
        [available?.status, available?.reason, available?.message],
        ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      );
      assert.equal(d?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'ProgressDeadlineExceeded');
      const events = await api.core.listNamespacedEvent({
        namespace: s.ns,
        fieldSelector: 'involvedObject.name=web,reason=BackOff',
      });
      assert.match(
        events.items[0]?.message ?? '',
        /^Back-off restarting failed container web in pod web-\w+-\w+: CrashLoopBackOff: exit 1$/,
      );
      // The transitions as Events on the Application, in Argo CD's words, signed by the stand-in.
      const appEvents = (
        await api.core.listNamespacedEvent({ namespace: s.argoNs, fieldSelector: `involvedObject.name=${s.name}` })
      ).items;
      assert.ok(
        appEvents.every(
          (e) =>
            e.reportingComponent === 'sandbox-argocd-standin' &&
            e.source?.component === 'sandbox-argocd-standin' &&
            e.involvedObject.kind === 'Application',
        ),
      );
      const said = appEvents.map((e) => `${e.type} ${e.reason} ${e.message}`);
      for (const want of [
        `Normal OperationStarted Initiated automated sync to '${bad}'`,
        `Normal OperationCompleted Sync operation to ${bad} succeeded`,
        'Normal ResourceUpdated Updated sync status:  -> OutOfSync',
        'Normal ResourceUpdated Updated health status: Progressing -> Degraded (Caused by apps/Deployment:fault/web)',
      ]) {
        assert.ok(said.includes(want), `expected event "${want}" among:\n${said.join('\n')}`);
      }
      const fix = await s.repo.commit(under('app', workloadYaml({ ns: s.ns, image: 'nginx:1.2' })), 'fix: 1.2');
      await waitFor(s.app, synced(fix), 20_000, 'Healthy after the fix');
    } finally {
      await s.ctl.stop();
    }
  });

  it('without CreateNamespace=true a missing destination namespace fails the sync, as in Argo CD', async () => {
    const s = await scenario('nonamespace', { createNamespace: false });
    try {
      const app = await waitFor(
        s.app,
        (a) => a.status?.operationState?.phase === 'Failed',
        20_000,
        'the first auto-sync to fail',
      );
      assert.match(app.status.operationState.message, /namespaces "nonamespace" not found/);
      assert.equal(app.status.history, undefined);
      await assert.rejects(api.core.readNamespace({ name: 'nonamespace' }), 'the namespace was not created');
    } finally {
      await s.ctl.stop();
    }
  });

  it('ignoreDifferences on /spec/replicas: an HPA-style scale is neither drift nor healed', async () => {
    const s = await scenario('ignore', {
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    });
    try {
      await waitFor(s.app, synced(s.repo.first), 20_000, 'first sync');
      await api.patchDeployment(s.ns, 'web', { spec: { replicas: 3 } });
      await waitFor(
        () => api.deployment(s.ns, 'web'),
        (d) => d?.status?.availableReplicas === 3,
        10_000,
        'scaled to 3',
      );
      await s.ctl.waitTicks(4);
      const app = await s.app();
      assert.equal(app.status.sync.status, 'Synced');
      assert.equal(app.status.history.length, 1, 'no self-heal sync');
      assert.deepEqual(app.status.sync.comparedTo.ignoreDifferences, [
        { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
      ]);
      assert.equal((await api.deployment(s.ns, 'web'))?.spec?.replicas, 3);
    } finally {
      await s.ctl.stop();
    }
  });
});
