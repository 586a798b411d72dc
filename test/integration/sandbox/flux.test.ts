/**
 * The sandbox controller as Flux (source-controller + kustomize-controller), against a real
 * kube-apiserver (upstream CRDs with status subresources) and real Git repos over HTTP. Each
 * test gets its own Flux namespace, workload namespace, repo and controller; one workload
 * simulator runs beside them for the whole file, its fault rules set per test.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
import { waitFor as waitForValue } from '../../support/wait.js';
import {
  Api,
  imageOf,
  namespaceYaml,
  ready,
  RepoHost,
  under,
  waitFor,
  workloadYaml,
  type TestRepo,
} from './helpers.js';

type Obj = Record<string, any>;

describe('sandbox controller as Flux', () => {
  let dir: string, world: KubeWorld, repos: RepoHost, api: Api, workloads: WorkloadSimulator;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-flux-'));
    [world, repos] = await Promise.all([startKube({ dir: path.join(dir, 'kube') }), RepoHost.start()]);
    api = new Api(world.kc);
    // Back-off 10 s × 0.02: restarts after 0.2 s, 0.4 s, 0.8 s… so a fix is read within seconds.
    workloads = await startWorkloadSimulator({ kc: world.kc, tickMs: 100, podStartMs: 300, backoffScale: 0.02 });
  });
  after(async () => {
    await workloads?.stop();
    await repos?.stop();
    await world?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  interface Scenario {
    name: string;
    fluxNs: string;
    ns: string;
    repo: TestRepo;
    ctl: SandboxController;
    ks(): Promise<Obj>;
    source(): Promise<Obj>;
  }

  async function scenario(
    name: string,
    o: {
      interval?: string;
      wait?: boolean;
      timeout?: string;
      ctl?: Partial<SandboxControllerOptions>;
      dbHost?: string;
      faults?: FaultRule[];
    } = {},
  ): Promise<Scenario> {
    const fluxNs = `flux-${name}`,
      ns = name;
    // Flux creates no namespaces: the app carries its own, as the seeded billing-worker does.
    const repo = await repos.create(
      name,
      under(`apps/${name}`, {
        ...namespaceYaml(ns),
        ...workloadYaml({ ns, image: 'busybox:1.0', dbHost: o.dbHost ?? 'db-prod.internal', deadline: 3 }),
      }),
    );
    await api.ensureNamespace(fluxNs);
    workloads.setFaults(o.faults ?? []);
    const ctl = await startSandboxController({
      kc: world.kc,
      workDir: path.join(dir, `ctl-${name}`),
      fluxNamespace: fluxNs,
      ...o.ctl,
    });
    await api.createFlux('gitrepositories', fluxNs, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'config', namespace: fluxNs },
      spec: { url: repo.url, interval: o.interval ?? '1h', ref: { branch: 'main' } },
    });
    await api.createFlux('kustomizations', fluxNs, {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: fluxNs },
      spec: {
        sourceRef: { kind: 'GitRepository', name: 'config' },
        path: `./apps/${name}`,
        interval: o.interval ?? '1h',
        prune: true,
        wait: o.wait ?? true,
        timeout: o.timeout ?? '1m',
      },
    });
    return {
      name,
      fluxNs,
      ns,
      repo,
      ctl,
      ks: () => api.flux('kustomizations', fluxNs, name),
      source: () => api.flux('gitrepositories', fluxNs, 'config'),
    };
  }

  const applied = (sha: string) => (k: Obj) =>
    k.status?.lastAppliedRevision === `main@sha1:${sha}` && ready(k)?.status === 'True';
  const requestFetch = (s: Scenario, token: string) =>
    api.patchFlux('gitrepositories', s.fluxNs, 'config', {
      metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } },
    });

  it('applies the artifact revision: Ready, lastAppliedRevision main@sha1:<sha>, inventory, owner labels', async () => {
    const s = await scenario('apply');
    try {
      const src = await waitFor(s.source, (g) => ready(g)?.status === 'True', 15_000, 'GitRepository Ready');
      assert.equal(src.status.artifact.revision, `main@sha1:${s.repo.first}`);
      assert.equal(ready(src).message, `stored artifact for revision 'main@sha1:${s.repo.first}'`);
      const ks = await waitFor(s.ks, applied(s.repo.first), 20_000, 'Kustomization Ready at the first commit');
      assert.deepEqual(
        [ready(ks).reason, ready(ks).message],
        ['ReconciliationSucceeded', `Applied revision: main@sha1:${s.repo.first}`],
      );
      assert.equal(ks.status.lastAttemptedRevision, `main@sha1:${s.repo.first}`);
      assert.equal(ks.status.observedGeneration, ks.metadata.generation);
      assert.deepEqual(ks.status.inventory.entries, [
        { id: '_apply__Namespace', v: 'v1' },
        { id: 'apply_web-env__ConfigMap', v: 'v1' },
        { id: 'apply_web_apps_Deployment', v: 'v1' },
      ]);
      assert.deepEqual(
        ks.status.history.map((h: Obj) => [h.lastReconciledStatus, h.metadata, h.totalReconciliations]),
        [['ReconciliationSucceeded', { revision: `main@sha1:${s.repo.first}` }, 1]],
      );
      // The stand-in, as Flux, records its events after the status it reports: read them once the last one is there.
      const listEvents = async () =>
        (await api.core.listNamespacedEvent({ namespace: s.fluxNs })).items.map(
          (e) => `${e.involvedObject.kind} ${e.type} ${e.reason} ${e.message} [${e.reportingComponent}]`,
        );
      const said = await waitForValue(
        'the ReconciliationSucceeded event',
        async () => {
          const all = await listEvents();
          return all.some((e) => e.startsWith('Kustomization Normal ReconciliationSucceeded ')) ? all : undefined;
        },
        15_000,
        100,
      ).catch(listEvents);
      for (const want of [
        `GitRepository Normal NewArtifact stored artifact for commit 'initial' [sandbox-flux-standin]`,
        'Kustomization Normal Progressing Namespace/apply created\n' +
          'ConfigMap/apply/web-env created\nDeployment/apply/web created [sandbox-flux-standin]',
      ]) {
        assert.ok(said.includes(want), `expected event "${want}" among:\n${said.join('\n')}`);
      }
      assert.ok(
        said.some((e) =>
          /^Kustomization Normal ReconciliationSucceeded Reconciliation finished in [\d.]+m?s, next run in 1h0m0s /.test(
            e,
          ),
        ),
        said.join('\n'),
      );
      assert.equal(
        ks.status.conditions.find((c: Obj) => c.type === 'Healthy')?.status,
        'True',
        'wait: true ran health checks',
      );
      assert.equal(
        ks.status.conditions.find((c: Obj) => c.type === 'Reconciling'),
        undefined,
      );
      const d = await api.deployment(s.ns, 'web');
      assert.deepEqual(
        [
          d?.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name'],
          d?.metadata?.labels?.['kustomize.toolkit.fluxcd.io/namespace'],
        ],
        ['apply', 'flux-apply'],
      );
      assert.ok(
        d?.metadata?.managedFields?.some((f) => f.manager === 'kustomize-controller' && f.operation === 'Apply'),
      );
      assert.equal(d?.status?.availableReplicas, 1);

      // prune: a file removed from Git is garbage-collected once the source is fetched.
      const sha2 = await s.repo.commit({ [`apps/${s.name}/configmap.yaml`]: null }, 'drop configmap');
      await requestFetch(s, 'fetch-1');
      const after = await waitFor(s.ks, applied(sha2), 15_000, 'the commit without the ConfigMap applied');
      assert.deepEqual(
        after.status.inventory.entries.map((e: Obj) => e.id),
        ['_apply__Namespace', 'apply_web_apps_Deployment'],
      );
      assert.equal(await api.configMap(s.ns, 'web-env'), undefined);
    } finally {
      await s.ctl.stop();
    }
  });

  it(
    'corrects drift every interval; suspend stops that (a requestedAt ' +
      'is echoed, nothing applied); resume reconciles at once',
    async () => {
      const s = await scenario('suspend', { interval: '2s', wait: false });
      try {
        await waitFor(s.ks, applied(s.repo.first), 15_000, 'first apply');
        const edit = { spec: { template: { spec: { containers: [{ name: 'web', image: 'busybox:hand-edit' }] } } } };
        await api.patchDeployment(s.ns, 'web', edit);
        await waitFor(
          () => api.deployment(s.ns, 'web'),
          (d) => imageOf(d) === 'busybox:1.0',
          10_000,
          'drift corrected within the 2 s interval',
        );

        await api.patchFlux('kustomizations', s.fluxNs, s.name, { spec: { suspend: true } });
        await s.ctl.waitTicks(2);
        await api.patchDeployment(s.ns, 'web', edit);
        await api.patchFlux('kustomizations', s.fluxNs, s.name, {
          metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'while-suspended' } },
        });
        const before = Date.now();
        await waitFor(
          async () => Date.now(),
          (t) => t - before > 3_000,
          5_000,
          'more than one interval to pass',
        );
        assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'busybox:hand-edit', 'drift stays while suspended');
        // Real Flux echoes the token even while suspended (its deferred status patch runs anyway):
        // the echo proves no reconcile.
        assert.equal((await s.ks()).status.lastHandledReconcileAt, 'while-suspended');

        await api.patchFlux('kustomizations', s.fluxNs, s.name, { spec: { suspend: false } });
        await waitFor(
          () => api.deployment(s.ns, 'web'),
          (d) => imageOf(d) === 'busybox:1.0',
          5_000,
          'resume to reconcile at once',
        );
        const ks = await waitFor(
          s.ks,
          (k) => k.status?.observedGeneration === k.metadata.generation && ready(k)?.status === 'True',
          5_000,
          'Ready at the resumed generation',
        );
        assert.equal(ks.status.lastHandledReconcileAt, 'while-suspended');
      } finally {
        await s.ctl.stop();
      }
    },
  );

  it('requestedAt is handled at once with a 1 h interval and echoed in lastHandledReconcileAt', async () => {
    const s = await scenario('requested');
    try {
      await waitFor(s.ks, applied(s.repo.first), 20_000, 'first apply');
      const sha2 = await s.repo.commit(
        under(
          `apps/${s.name}`,
          workloadYaml({ ns: s.ns, image: 'busybox:2.0', dbHost: 'db-prod.internal', deadline: 3 }),
        ),
        'bump',
      );
      await s.ctl.waitTicks(3);
      assert.equal(
        (await s.source()).status.artifact.revision,
        `main@sha1:${s.repo.first}`,
        'not fetched before its interval',
      );
      const t0 = Date.now();
      await requestFetch(s, '2026-11-21T10:00:00Z');
      const src = await waitFor(
        s.source,
        (g) => g.status?.artifact?.revision === `main@sha1:${sha2}`,
        3_000,
        'the source fetched at once',
      );
      assert.equal(src.status.lastHandledReconcileAt, '2026-11-21T10:00:00Z');
      await waitFor(
        s.ks,
        (k) => k.status?.lastAttemptedRevision === `main@sha1:${sha2}`,
        3_000,
        'the Kustomization to follow the new artifact',
      );
      assert.ok(Date.now() - t0 < 4_000);
      await waitFor(s.ks, applied(sha2), 10_000, 'the new revision applied and healthy');
      assert.equal(imageOf(await api.deployment(s.ns, 'web')), 'busybox:2.0');

      await api.patchFlux('kustomizations', s.fluxNs, s.name, {
        metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'token-2' } },
      });
      await waitFor(
        s.ks,
        (k) => k.status?.lastHandledReconcileAt === 'token-2' && ready(k)?.status === 'True',
        5_000,
        'token-2 echoed',
      );
    } finally {
      await s.ctl.stop();
    }
  });

  it(
    'an env fault through a ConfigMap fails the health check; a live ' +
      'ConfigMap patch (while suspended) recovers it at the next restart',
    async () => {
      const s = await scenario('envfault', {
        dbHost: 'db-staging.internal',
        timeout: '4s',
        faults: [
          {
            name: 'needs primary',
            namespace: 'envfault',
            deployment: 'web',
            env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
            message: 'panic: wrong database',
          },
        ],
      });
      try {
        const failed = await waitFor(
          s.ks,
          (k) => ready(k)?.reason === 'HealthCheckFailed',
          20_000,
          'HealthCheckFailed: the progress deadline (3 s) ends the wait early',
        );
        assert.equal(ready(failed).status, 'False');
        assert.match(
          ready(failed).message,
          /^health check failed after [\d.]+s: failed early due to stalled resources: \[Deployment\/envfault\/web status: 'Failed'\]$/,
        );
        assert.deepEqual(
          [
            failed.status.conditions.find((c: Obj) => c.type === 'Reconciling')?.reason,
            failed.status.history[0].lastReconciledStatus,
          ],
          ['ProgressingWithRetry', 'HealthCheckFailed'],
        );
        const warnings = (
          await api.core.listNamespacedEvent({ namespace: s.fluxNs, fieldSelector: 'reason=HealthCheckFailed' })
        ).items;
        assert.deepEqual(
          warnings.map((e) => [e.type, e.message]),
          [['Warning', ready(failed).message]],
        );
        assert.equal(failed.status.lastAppliedRevision, undefined, 'never applied successfully');
        assert.equal(failed.status.lastAttemptedRevision, `main@sha1:${s.repo.first}`);
        const d = await waitFor(
          () => api.deployment(s.ns, 'web'),
          (x) => x?.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded') === true,
          10_000,
          'the Deployment past its deadline',
        );
        assert.equal(d?.status?.conditions?.find((c) => c.type === 'Available')?.status, 'False');
        const events = await api.core.listNamespacedEvent({
          namespace: s.ns,
          fieldSelector: 'involvedObject.name=web,reason=BackOff',
        });
        assert.match(events.items[0]?.message ?? '', /: panic: wrong database$/);

        // The emergency path: suspend, patch live, see it recover, commit the same change, resume.
        await api.patchFlux('kustomizations', s.fluxNs, s.name, { spec: { suspend: true } });
        await api.patchConfigMap(s.ns, 'web-env', { data: { DB_HOST: 'db-prod.internal' } });
        await waitFor(
          () => api.deployment(s.ns, 'web'),
          (x) =>
            x?.status?.availableReplicas === 1 &&
            x.status.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable',
          20_000,
          'the Deployment to recover when the crash-looping container restarts and reads the fix',
        );
        const fix = await s.repo.commit(
          under(
            `apps/${s.name}`,
            workloadYaml({ ns: s.ns, image: 'busybox:1.0', dbHost: 'db-prod.internal', deadline: 3 }),
          ),
          'fix DB_HOST',
        );
        await requestFetch(s, 'after-fix');
        await waitFor(s.source, (g) => g.status?.artifact?.revision === `main@sha1:${fix}`, 5_000, 'the fix fetched');
        await api.patchFlux('kustomizations', s.fluxNs, s.name, { spec: { suspend: false } });
        const ks = await waitFor(s.ks, applied(fix), 15_000, 'Ready at the fix after resume');
        assert.equal(ks.status.conditions.find((c: Obj) => c.type === 'Healthy')?.status, 'True');
        assert.equal((await api.configMap(s.ns, 'web-env'))?.data?.['DB_HOST'], 'db-prod.internal');
      } finally {
        await s.ctl.stop();
      }
    },
  );
});
