/**
 * deploy/'s RBAC is enough, and no more, against the real kube-apiserver: rewind's worker runs as a
 * token user bound only to the roles rendered from deploy/base (kustomize build), performs a real
 * rollback and a real emergency change to `restored`, and the API server refuses that identity
 * everything outside the policy. The namespace-scoped overlay (deploy/overlays/example) is proven
 * the same way: a second worker bound only by it runs an emergency change in users-api-prod and is
 * refused in every other namespace and Application.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { GitSourceCache } from '../../../src/lib/gitops/git-source.js';
import { KubeApiError, KubeRest } from '../../../src/lib/kube/rest.js';
import { decide, person, startRun, type Rewind } from '../../../src/lib/runs.js';
import { appKubeEvents } from '../../../src/lib/timeline/kube-events.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { createWorker } from '../../../src/app/worker.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, refreshArgo } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start, terminateRunning } from '../../support/world-runs.js';
import { applyRbac, kustomizeBuild } from './rbac.js';

const REWIND = { token: 'least-privilege-rewind-token', user: 'rewind-base', groups: ['rewind'] };
const NAMESPACED = { token: 'least-privilege-namespaced-token', user: 'rewind-namespaced', uid: 'rewind-namespaced' };

let world: World;
let asRewind: KubeRest;
let asNamespaced: KubeRest;

const forbidden = (e: unknown) => e instanceof KubeApiError && e.status === 403;
/** What the timeline reads Events for: the app's namespace and its engine's namespace. */
const timelineTarget = (env: string) => ({
  cluster: 'sandbox',
  namespace: `users-api-${env}`,
  engine: { kind: 'argocd' as const, namespace: 'argocd', name: `users-api-${env}` },
  workloads: ['deployment/users-api'],
  repo: 'config',
  path: `apps/users-api/overlays/${env}`,
});

async function healthy(name: string) {
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(world.kube.kc, name);
      return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' ? app : undefined;
    },
    90_000,
  );
}

describe('least privilege: deploy/ RBAC against the real API server', () => {
  before(async () => {
    world = await startWorld({
      temporal: 'dev',
      health: { window: '2s', timeout: '75s' },
      rewindUser: REWIND,
      tokenUsers: [NAMESPACED],
    });
    assert.equal(world.config.clusters.sandbox?.context, REWIND.user, "the world's rewind.yaml uses the token user");
    asRewind = await KubeRest.create(world.kube.configFor(REWIND.user));
    asNamespaced = await KubeRest.create(world.kube.configFor(NAMESPACED.user));
    // Before any binding the identity can do nothing: every right it has below comes from deploy/.
    await assert.rejects(
      asRewind.get('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-staging'),
      forbidden,
    );

    const created = await applyRbac(world.kube.kc, await kustomizeBuild('deploy/base'), REWIND.user);
    assert.deepEqual(created.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/rewind-access-audit',
      'ClusterRole/rewind-gitops-engines',
      'ClusterRole/rewind-workloads',
      'ClusterRoleBinding/rewind-access-audit',
      'ClusterRoleBinding/rewind-gitops-engines',
      'ClusterRoleBinding/rewind-workloads',
    ]);
    // The authorizer's RBAC cache follows a watch: wait until the binding is in force.
    await waitFor(
      'the base RBAC in force',
      async () =>
        (await asRewind
          .get('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-staging')
          .catch(() => undefined)) !== undefined,
    );
    await world.startWorker();
    await Promise.all(['users-api-staging', 'users-api-prod'].map(healthy));
  });
  after(async () => {
    asRewind?.close();
    asNamespaced?.close();
    await world?.stop();
  });
  afterEach(async () => {
    await terminateRunning(world);
  });

  it('a rollback of users-api staging reaches restored with only the base roles', async () => {
    const bad = await world.repo.promote('users-api', 'staging', '1.43.0');
    await refreshArgo(world.kube.kc, 'users-api-staging');
    await waitFor('staging synced at the bad promotion', async () =>
      (await argoApp(world.kube.kc, 'users-api-staging')).status?.sync?.revision === bad.sha ? true : undefined,
    );

    const run = await start(world, {
      app: 'users-api',
      env: 'staging',
      as: 'alice',
      reason: 'crash loop after 1.43.0',
    });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.deepEqual(
      result.steps.map((s) => `${s.name}:${s.state}`),
      [
        'plan:done',
        'approve:skipped',
        'revert:done',
        'pull-request:skipped',
        'refresh:done',
        'wait-for-sync:done',
        'verify-health:done',
      ],
    );
    const [head] = await gitLog(world, 1);
    assert.equal(head!.sha, result.revertSha);
    const app = await argoApp(world.kube.kc, 'users-api-staging');
    assert.equal(app.status?.sync?.revision, result.revertSha);
  });

  it('an emergency change (pause, patch live, commit, resume) reaches restored with only the base roles', async () => {
    const run = await start(world, {
      runbook: 'emergency-change',
      app: 'users-api',
      env: 'staging',
      as: 'alice',
      reason: 'need debug logs',
      changes: [parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-staging')],
    });
    const result = (await run.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    assert.deepEqual(
      result.steps.map((s) => `${s.name}:${s.state}`),
      [
        'plan:done',
        'approve:skipped',
        'pause:done',
        'patch:done',
        'verify-service:done',
        'commit:done',
        'pull-request:skipped',
        'gate:done',
        'engine-fetched:done',
        'resume:done',
        'refresh:done',
        'wait-for-sync:done',
        'verify-health:done',
      ],
    );
    const cm = await world.kube.kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedConfigMap({ namespace: 'users-api-staging', name: 'users-api-env' });
    assert.equal(cm.data?.LOG_LEVEL, 'debug');
    const app = await healthy('users-api-staging');
    assert.deepEqual(
      app.spec.syncPolicy?.automated,
      { prune: true, selfHeal: true },
      'auto-sync resumed to exactly the recorded policy',
    );
    assert.equal(app.metadata.annotations?.['rewind.dev/pause-lease'], undefined);
  });

  it(
    'the API server refuses that identity everything ' + 'outside the policy; a SubjectAccessReview is allowed',
    async () => {
      await world.kube.kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
        namespace: 'users-api-staging',
        body: { metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } },
      });
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'intruder', namespace: 'users-api-staging' },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'busybox' }] } },
        },
      };
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['delete a Namespace', () => asRewind.request('DELETE', '/api/v1/namespaces/users-api-staging')],
        [
          'patch a Secret',
          () =>
            asRewind.mergePatch('/api/v1/namespaces/users-api-staging/secrets/db-password', {
              stringData: { password: 'x' },
            }),
        ],
        ['read a Secret', () => asRewind.request('GET', '/api/v1/namespaces/users-api-staging/secrets/db-password')],
        [
          'create a Deployment',
          () =>
            asRewind.request('POST', '/apis/apps/v1/namespaces/users-api-staging/deployments', { body: deployment }),
        ],
        [
          'delete a Deployment',
          () => asRewind.request('DELETE', '/apis/apps/v1/namespaces/users-api-staging/deployments/users-api'),
        ],
        [
          'patch a Service (outside the default emergency policy)',
          () =>
            asRewind.mergePatch('/api/v1/namespaces/users-api-staging/services/users-api', {
              metadata: { labels: { tier: 'edge' } },
            }),
        ],
        [
          'patch its own RBAC',
          () =>
            asRewind.mergePatch('/apis/rbac.authorization.k8s.io/v1/clusterroles/rewind-workloads', {
              metadata: { labels: { x: 'y' } },
            }),
        ],
        [
          'delete an Argo CD Application',
          () =>
            asRewind.request('DELETE', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-staging'),
        ],
        [
          'write a Kustomization status',
          () =>
            asRewind.mergePatch(
              '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/billing-worker-prod/status',
              { status: {} },
            ),
        ],
      ];
      for (const [what, attempt] of attempts) await assert.rejects(attempt(), forbidden, `${what} must be forbidden`);

      // The drills' access audit asks the authorizer; rewind may ask, and the answer is about the subject.
      const review = await asRewind.request<{ status: { allowed: boolean } }>(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: REWIND.user,
              groups: REWIND.groups,
              resourceAttributes: { verb: 'delete', resource: 'namespaces', name: 'users-api-staging' },
            },
          },
        },
      );
      assert.equal(review.status.allowed, false, 'and it says rewind itself may not delete namespaces');
      // The post-incident timeline (/timeline, answered by the production pod) lists the app's Events.
      assert.ok(
        Array.isArray(await appKubeEvents(world.kube.configFor(REWIND.user), timelineTarget('staging'), 0, Date.now())),
      );
      assert.ok(
        await world.kube.kc.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'users-api-staging' }),
        'nothing was deleted',
      );
    },
  );

  it(
    'through rewind, a live change of a kind outside the ' + 'policy is refused at the plan, before anything is paused',
    async () => {
      const headBefore = await world.repo.head();
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'label the service',
        changes: [parseChange('service/users-api {"metadata":{"labels":{"tier":"edge"}}}', 'users-api-staging')],
      });
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'failed');
      assert.match(result.result!, /refuses the patch for Service\/users-api: .*forbidden/);
      const app = await argoApp(world.kube.kc, 'users-api-staging');
      assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true }, 'nothing paused');
      assert.equal(await world.repo.head(), headBefore, 'nothing pushed');
    },
  );

  describe('the namespace-scoped overlay (deploy/overlays/example)', () => {
    let worker: Worker | undefined;
    let running: Promise<void> | undefined;
    before(async () => {
      const created = await applyRbac(
        world.kube.kc,
        await kustomizeBuild('deploy/overlays/example'),
        NAMESPACED.user,
        '-namespaced',
      );
      assert.deepEqual(
        created.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort(),
        [
          'ClusterRoleBinding//rewind-access-audit-namespaced',
          'Role/argocd/rewind-gitops-engines',
          'RoleBinding/argocd/rewind-gitops-engines-namespaced',
          'RoleBinding/users-api-prod/rewind-workloads-namespaced',
        ],
        'no cluster-wide grant of the workload or engine roles',
      );
      await waitFor(
        'the overlay RBAC in force',
        async () =>
          (await asNamespaced
            .get('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/users-api-prod')
            .catch(() => undefined)) !== undefined,
      );
    });
    after(async () => {
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running?.catch(() => undefined);
    });

    it('allows exactly its namespace and its Application', async () => {
      const apps = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications';
      assert.ok(await asNamespaced.get(`${apps}/users-api-prod`));
      await assert.rejects(
        asNamespaced.request('GET', `${apps}/users-api-staging`),
        forbidden,
        'another Application (rewind cannot pause an app it is not given, its own included)',
      );
      // A watch by name is what src/lib/kube/watch.ts opens; a watch of the whole collection is refused.
      await asNamespaced.request('GET', apps, {
        query: { watch: 'true', fieldSelector: 'metadata.name=users-api-prod', timeoutSeconds: '1' },
      });
      await assert.rejects(
        asNamespaced.request('GET', apps, { query: { watch: 'true', timeoutSeconds: '1' } }),
        forbidden,
      );
      await asNamespaced.request('PATCH', '/api/v1/namespaces/users-api-prod/configmaps/users-api-env', {
        body: { data: { PROBE: '1' } },
        contentType: 'application/merge-patch+json',
        query: { dryRun: 'All' },
      });
      await assert.rejects(
        asNamespaced.request('PATCH', '/api/v1/namespaces/users-api-staging/configmaps/users-api-env', {
          body: { data: { PROBE: '1' } },
          contentType: 'application/merge-patch+json',
          query: { dryRun: 'All' },
        }),
        forbidden,
      );
      await assert.rejects(
        asNamespaced.request('GET', '/apis/apps/v1/namespaces/billing-worker-prod/deployments/billing-worker'),
        forbidden,
      );
      assert.ok(
        Array.isArray(
          await appKubeEvents(world.kube.configFor(NAMESPACED.user), timelineTarget('prod'), 0, Date.now()),
        ),
        'the timeline reads its Events',
      );
      await assert.rejects(
        appKubeEvents(world.kube.configFor(NAMESPACED.user), timelineTarget('staging'), 0, Date.now()),
        forbidden,
      );
    });

    it('is enough for an approved emergency change in users-api prod', async () => {
      const taskQueue = `${world.taskQueue}-namespaced`;
      worker = await createWorker({
        connection: world.temporal!.nativeConnection,
        namespace: 'default',
        taskQueue,
        deps: {
          clusters: new Map([['sandbox', world.kube.configFor(NAMESPACED.user)]]),
          sources: new GitSourceCache(path.join(world.dir, 'namespaced-git')),
          cacheDir: path.join(world.dir, 'namespaced-cache'),
        },
      });
      running = worker.run();
      const rw: Rewind = { cfg: world.config, client: world.temporal!.client, taskQueue };
      const started = await startRun(rw, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'prod',
        requester: person(rw.cfg, 'alice'),
        reason: 'debug logs in prod',
        source: 'cli',
        changes: [parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-prod')],
      });
      await waitFor(
        'awaiting approval',
        async () =>
          (await rw.client.workflow.getHandle(started.workflowId).query<RunStatus>('status')).phase ===
          'awaiting-approval'
            ? true
            : undefined,
        60_000,
      );
      await decide(rw, started.workflowId, { decision: 'approve', by: person(rw.cfg, 'bob') });
      const result = (await rw.client.workflow.getHandle(started.workflowId, started.runId).result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      const app = await healthy('users-api-prod');
      assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
    });
  });
});
