/**
 * bootstrapSandboxApps against the seeded config repo (served over smart HTTP): every Argo CD
 * Application and Flux Kustomization it creates converges, prod's ignoreDifferences holds, and a
 * second bootstrap changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bootstrapSandboxApps,
  SANDBOX_ARGO_APPS,
  SANDBOX_FLUX_APPS,
  SANDBOX_GIT_REPOSITORY,
} from '../../../src/sandbox/bootstrap.js';
import { startSandboxController, type SandboxController } from '../../../src/sandbox/controller/index.js';
import { startWorkloadSimulator, type WorkloadSimulator } from '../../../src/sandbox/workloads/index.js';
import { seedConfigRepo, type ConfigRepo } from '../../../src/sandbox/world/config-repo.js';
import { startGitHttp, type GitHttpServer } from '../../../src/sandbox/world/git-http.js';
import { startKube, type KubeWorld } from '../../../src/sandbox/world/kube.js';
import { Api, imageOf, ready, waitFor } from './helpers.js';

type Obj = Record<string, any>;

describe('bootstrapSandboxApps on the seeded config repo', () => {
  let dir: string,
    world: KubeWorld,
    repo: ConfigRepo,
    git: GitHttpServer,
    ctl: SandboxController,
    workloads: WorkloadSimulator,
    api: Api,
    url: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rewind-bootstrap-'));
    [world, repo] = await Promise.all([
      startKube({ dir: path.join(dir, 'kube') }),
      seedConfigRepo(path.join(dir, 'git')),
    ]);
    git = await startGitHttp(path.join(dir, 'git'));
    url = git.urlOf(path.basename(repo.remote));
    api = new Api(world.kc);
    ctl = await startSandboxController({ kc: world.kc, workDir: path.join(dir, 'ctl'), pollIntervalMs: 2000 });
    workloads = await startWorkloadSimulator({ kc: world.kc, tickMs: 100, podStartMs: 300 });
  });
  after(async () => {
    await workloads?.stop();
    await ctl?.stop();
    await git?.stop();
    await world?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a path URL, which Flux's GitRepository CRD would reject", async () => {
    await assert.rejects(
      bootstrapSandboxApps(world.kc, { url: repo.remote, branch: 'main' }),
      /must be http\(s\):\/\/ or ssh:\/\//,
    );
  });

  it('creates the apps, which converge at the repo head; a second run leaves them be', async () => {
    const first = await bootstrapSandboxApps(world.kc, { url, branch: repo.branch });
    assert.deepEqual(first.existing, []);
    assert.deepEqual(first.created, [
      'Namespace/argocd',
      'Namespace/flux-system',
      'AppProject/argocd/default',
      ...SANDBOX_ARGO_APPS.map((a) => `Application/${a.namespace}/${a.name}`),
      `GitRepository/${SANDBOX_GIT_REPOSITORY.namespace}/${SANDBOX_GIT_REPOSITORY.name}`,
      ...SANDBOX_FLUX_APPS.map((k) => `Kustomization/${k.namespace}/${k.name}`),
    ]);
    const head = await repo.head();
    for (const a of SANDBOX_ARGO_APPS) {
      const app = await waitFor(
        () => api.app(a.namespace, a.name),
        (x) =>
          x.status?.sync?.status === 'Synced' &&
          x.status.sync.revision === head &&
          x.status.health?.status === 'Healthy',
        30_000,
        `${a.name} Synced and Healthy`,
      );
      assert.equal(app.status.sourceType, 'Kustomize');
      assert.deepEqual(app.status.resources.map((r: Obj) => `${r.kind}/${r.namespace}/${r.name}`).sort(), [
        `ConfigMap/${a.workloadNamespace}/users-api-env`,
        `Deployment/${a.workloadNamespace}/users-api`,
        `Service/${a.workloadNamespace}/users-api`,
      ]);
    }
    assert.equal(imageOf(await api.deployment('users-api-prod', 'users-api')), 'ghcr.io/acme/users-api:1.42.0');
    assert.equal((await api.configMap('users-api-prod', 'users-api-env'))?.data?.['DB_HOST'], 'db-prod.internal');
    for (const k of SANDBOX_FLUX_APPS) {
      const ks = await waitFor(
        () => api.flux('kustomizations', k.namespace, k.name),
        (x) => x.status?.lastAppliedRevision === `main@sha1:${head}` && ready(x)?.status === 'True',
        30_000,
        `${k.name} Ready`,
      );
      assert.ok(
        ks.status.inventory.entries.some((e: Obj) => e.id === `${k.workloadNamespace}_billing-worker_apps_Deployment`),
      );
    }
    const again = await bootstrapSandboxApps(world.kc, { url, branch: repo.branch });
    assert.deepEqual([again.created, again.existing.length], [[], first.created.length]);
  });

  it('prod ignores /spec/replicas (HPA-owned); staging heals it back', async () => {
    await api.patchDeployment('users-api-prod', 'users-api', { spec: { replicas: 5 } });
    await api.patchDeployment('users-api-staging', 'users-api', { spec: { replicas: 5 } });
    const staging = await waitFor(
      () => api.deployment('users-api-staging', 'users-api'),
      (d) => d?.spec?.replicas !== 5,
      15_000,
      'staging replicas healed',
    );
    await ctl.waitTicks(3);
    const prod = await api.app('argocd', 'users-api-prod');
    assert.equal(prod.status.sync.status, 'Synced');
    assert.equal((await api.deployment('users-api-prod', 'users-api'))?.spec?.replicas, 5);
    assert.notEqual(staging?.spec?.replicas, 5);
  });
});
