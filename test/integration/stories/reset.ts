/**
 * Between stories the world goes back to how it was seeded, so no story depends on another's
 * order: no run in progress, the baseline fault rules, the seeded engine policies (Argo CD
 * `{prune: true, selfHeal: true}`, Flux not suspended), the config repo's apps/ tree as seeded
 * (one forward commit when anything differs), live fields the engines do not put back (HPA-style
 * replicas on prod, restartedAt annotations) undone, and every app Synced and Healthy at the head
 * with its Deployments rolled out.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import type { FaultRule } from '../../../src/sandbox/workloads/index.js';
import type { World } from '../../../src/sandbox/world/index.js';
import type { App } from '../../stories/story.js';
import { waitFor } from '../../support/wait.js';
import { argoPath, fluxKsPath, namespaceOf, objectPath, refresh } from './world-steps.js';

export const TARGETS: ReadonlyArray<{ app: App; env: string; replicas: number }> = [
  { app: 'users-api', env: 'dev', replicas: 1 },
  { app: 'users-api', env: 'staging', replicas: 2 },
  { app: 'users-api', env: 'prod', replicas: 3 },
  { app: 'billing-worker', env: 'dev', replicas: 1 },
  { app: 'billing-worker', env: 'prod', replicas: 2 },
];
const DEPLOYMENT: Record<App, string> = { 'users-api': 'users-api', 'billing-worker': 'billing-worker' };
const SEEDED_ARGO_SYNC_POLICY = { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] };
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface StoryReset {
  /** The config repo's head when the world was seeded. */
  seed: string;
  reset(faults: FaultRule[]): Promise<void>;
}

export async function storyReset(world: World): Promise<StoryReset> {
  const dir = path.join(world.dir, 'stories-git');
  await mkdir(dir, { recursive: true });
  const seed = await world.repo.head();
  await simpleGit({ baseDir: dir }).clone(world.repo.remote, '.', ['--branch', 'main']);
  const git: SimpleGit = simpleGit({
    baseDir: dir,
    config: ['user.name=Story Reset', 'user.email=reset@acme.test', 'commit.gpgsign=false'],
  });

  /** apps/ back to the seed: files changed or removed since are restored, files added are removed. */
  async function resetGit(): Promise<void> {
    await git.fetch('origin', 'main');
    await git.raw(['checkout', '-B', 'main', 'origin/main']);
    const added = (await git.raw(['diff', '--name-only', '--diff-filter=A', seed, 'HEAD', '--', 'apps']))
      .split('\n')
      .filter(Boolean);
    if (added.length) await git.raw(['rm', '-q', '--', ...added]);
    await git.raw(['checkout', seed, '--', 'apps']);
    if ((await git.raw(['status', '--porcelain'])).trim() === '') return;
    await git.commit('stories: put apps/ back as seeded');
    await git.push('origin', 'main');
  }

  async function terminateRuns(): Promise<void> {
    const client = world.rewind().client;
    for await (const wf of client.workflow.list({
      query: `ExecutionStatus = 'Running' AND WorkflowType = 'runbookWorkflow'`,
    })) {
      await client.workflow
        .getHandle(wf.workflowId)
        .terminate('stories: reset between stories')
        .catch(() => undefined);
    }
  }

  async function resetEngines(): Promise<void> {
    const rest = await restFor(world.kube.kc);
    for (const t of TARGETS) {
      if (t.app === 'users-api') {
        await rest.jsonPatch(argoPath(t.app, t.env), [
          { op: 'replace', path: '/spec/syncPolicy', value: SEEDED_ARGO_SYNC_POLICY },
        ]);
        await rest.mergePatch(argoPath(t.app, t.env), {
          metadata: { annotations: { 'rewind.dev/pause-lease': null } },
        });
      } else {
        await rest.mergePatch(fluxKsPath(t.app, t.env), {
          spec: { suspend: false },
          metadata: { annotations: { 'rewind.dev/pause-lease': null } },
        });
      }
    }
  }

  /** Live fields no engine puts back: replicas Argo CD ignores on prod (HPA), restart annotations. */
  async function resetLive(): Promise<boolean> {
    const rest = await restFor(world.kube.kc);
    let changed = false;
    for (const t of TARGETS) {
      const p = objectPath(namespaceOf(t.app, t.env), `deployment/${DEPLOYMENT[t.app]}`);
      const d = await rest.get<Record<string, any>>(p);
      if (!d) continue;
      if (d.spec?.replicas !== t.replicas) {
        await rest.request('PATCH', `${p}/scale`, {
          body: { spec: { replicas: t.replicas } },
          contentType: 'application/merge-patch+json',
          query: { fieldManager: 'kube-controller-manager' },
        });
        changed = true;
      }
      // Removing it rolls the pods, so they also re-read the env Git holds again.
      if (d.spec?.template?.metadata?.annotations?.[RESTARTED_AT] !== undefined) {
        await rest.jsonPatch(p, [
          { op: 'remove', path: `/spec/template/metadata/annotations/${RESTARTED_AT.replace(/\//g, '~1')}` },
        ]);
        changed = true;
      }
    }
    return changed;
  }

  async function settled(): Promise<void> {
    const rest = await restFor(world.kube.kc);
    const head = await world.repo.head();
    await Promise.all(
      TARGETS.map((t) =>
        waitFor(
          `${t.app}/${t.env} settled at ${head.slice(0, 7)}`,
          async () => {
            const d = await rest.get<Record<string, any>>(
              objectPath(namespaceOf(t.app, t.env), `deployment/${DEPLOYMENT[t.app]}`),
            );
            const rolledOut =
              d &&
              (d.status?.observedGeneration ?? 0) >= d.metadata.generation &&
              d.status?.updatedReplicas === d.spec.replicas &&
              d.status?.availableReplicas === d.spec.replicas &&
              d.status?.replicas === d.spec.replicas;
            if (t.app === 'users-api') {
              const a = await rest.get<Record<string, any>>(argoPath(t.app, t.env));
              const ok =
                a?.status?.sync?.status === 'Synced' &&
                a.status.sync.revision === head &&
                a.status.health?.status === 'Healthy' &&
                a.status.operationState?.phase !== 'Running';
              if (ok && rolledOut) return true;
              throw new Error(
                JSON.stringify({
                  sync: a?.status?.sync?.status,
                  rev: a?.status?.sync?.revision?.slice(0, 7),
                  health: a?.status?.health?.status,
                  rolledOut,
                }),
              );
            }
            const k = await rest.get<Record<string, any>>(fluxKsPath(t.app, t.env));
            const ready = k?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True';
            if (ready && k?.status?.lastAppliedRevision === `main@sha1:${head}` && rolledOut) return true;
            throw new Error(JSON.stringify({ ready, rev: k?.status?.lastAppliedRevision, rolledOut }));
          },
          180_000,
          500,
        ),
      ),
    );
  }

  async function refreshAll(): Promise<void> {
    for (const t of TARGETS) if (t.app === 'users-api') await refresh(world, t.app, t.env);
    // One source refresh serves both Kustomizations.
    await refresh(world, 'billing-worker', 'dev');
    const rest = await restFor(world.kube.kc);
    await rest.mergePatch(fluxKsPath('billing-worker', 'prod'), {
      metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `${new Date().toISOString()}-prod` } },
    });
  }

  return {
    seed,
    async reset(faults) {
      await terminateRuns();
      world.workloads.setFaults(faults);
      await resetEngines();
      await resetGit();
      await refreshAll();
      await settled();
      if (await resetLive()) await settled();
    },
  };
}
