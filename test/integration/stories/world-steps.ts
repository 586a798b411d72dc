/**
 * The story steps (test/stories/story.ts) against the test world: the kubectl-like writes people
 * make (each under the field manager kubectl itself uses, because rewind's watch reads
 * managedFields), promotions and commits, engine refreshes, and the waits that make a story
 * deterministic. No rewind code runs here; rewind only runs through its CLI.
 */
import assert from 'node:assert/strict';
import { restFor } from '../../../src/lib/kube/rest-pool.js';
import type { FaultRule } from '../../../src/sandbox/workloads/index.js';
import type { World } from '../../../src/sandbox/world/index.js';
import { readJournal } from '../../../src/lib/watch/target-watches.js';
import type { App, Step, StoryWorld, Vars } from '../../stories/story.js';
import { waitFor } from '../../support/wait.js';

export const namespaceOf = (app: App, env: string) => `${app}-${env}`;

const PLURALS: Record<string, { api: string; plural: string }> = {
  configmap: { api: '/api/v1', plural: 'configmaps' },
  secret: { api: '/api/v1', plural: 'secrets' },
  service: { api: '/api/v1', plural: 'services' },
  deployment: { api: '/apis/apps/v1', plural: 'deployments' },
};

/** `deployment/users-api` in a namespace → its API path. */
export function objectPath(namespace: string, object: string): string {
  const [kind = '', name = ''] = object.split('/');
  const p = PLURALS[kind.toLowerCase()];
  if (!p || !name)
    throw new Error(`story object "${object}": use kind/name with kind one of ${Object.keys(PLURALS).join(', ')}`);
  return `${p.api}/namespaces/${namespace}/${p.plural}/${name}`;
}

export const argoPath = (app: App, env: string) =>
  `/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${app}-${env}`;
export const fluxKsPath = (app: App, env: string) =>
  `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/${app}-${env}`;
export const FLUX_SOURCE = '/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/config-repo';
export const engineOf = (app: App) => (app === 'users-api' ? 'argocd' : 'flux');

export class StoryVars implements Vars {
  private readonly values = new Map<string, string>();
  /** When the story began (ISO): journal entries from earlier stories do not count. */
  readonly since = new Date().toISOString();
  set(name: string, value: string) {
    this.values.set(name, value);
  }
  get(name: string): string {
    const v = this.values.get(name);
    if (v === undefined)
      throw new Error(
        `story value "${name}" was never recorded (known: ${[...this.values.keys()].join(', ') || 'none'})`,
      );
    return v;
  }
  sha(name: string) {
    return this.get(name);
  }
  short(name: string) {
    return this.get(name).slice(0, 7);
  }
}

export function storyWorld(world: World): StoryWorld {
  return {
    async object(app, env, object) {
      return (await restFor(world.kube.kc)).get(objectPath(namespaceOf(app, env), object));
    },
    async engine(app, env) {
      const rest = await restFor(world.kube.kc);
      const o = await rest.get<Record<string, any>>(
        engineOf(app) === 'argocd' ? argoPath(app, env) : fluxKsPath(app, env),
      );
      if (!o) throw new Error(`no engine object for ${app}/${env}`);
      return o;
    },
    gitFile: (path) => world.repo.show(path),
    async events(namespace, involvedObject) {
      const list = await (await restFor(world.kube.kc)).list<Record<string, any>>(
        `/api/v1/namespaces/${namespace}/events`,
        { fieldSelector: `involvedObject.name=${involvedObject}` },
      );
      return list
        .map((e) => ({
          type: e.type,
          reason: e.reason,
          message: e.message ?? '',
          at: new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp).toISOString(),
        }))
        .sort((a, b) => a.at.localeCompare(b.at));
    },
  };
}

/**
 * Argo CD: Synced at `sha` with its sync of it done; Flux: reconciled `sha` (applied, or attempted and failed health).
 */
export async function waitApplied(
  world: World,
  app: App,
  env: string,
  sha: string,
  timeoutMs = 120_000,
): Promise<void> {
  const rest = await restFor(world.kube.kc);
  if (engineOf(app) === 'argocd') {
    await waitFor(
      `${app}-${env} synced at ${sha.slice(0, 7)}`,
      async () => {
        const a = await rest.get<Record<string, any>>(argoPath(app, env));
        const op = a?.status?.operationState;
        if (a?.status?.sync?.revision === sha && op?.syncResult?.revision === sha && op.phase !== 'Running')
          return true;
        throw new Error(
          `sync ${JSON.stringify(a?.status?.sync)}, operation ${op?.phase} at ${op?.syncResult?.revision}`,
        );
      },
      timeoutMs,
      500,
    );
  } else {
    // Like `flux reconcile ks --with-source`: a Kustomization busy with a health wait (wait: true) can
    // miss one request, so it is asked again every 30 s until it has attempted the revision; never
    // after: a request during its health wait starts the wait over, and it would never time out.
    let askedAt = Date.now();
    await waitFor(
      `${app}-${env} reconciled ${sha.slice(0, 7)}`,
      async () => {
        const k = await rest.get<Record<string, any>>(fluxKsPath(app, env));
        const ready = k?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
        const attempted = k?.status?.lastAttemptedRevision === `main@sha1:${sha}`;
        if (attempted && ready && ready.status !== 'Unknown') return true;
        if (!attempted && Date.now() - askedAt > 30_000) {
          askedAt = Date.now();
          await refresh(world, app, env);
        }
        const src = await rest.get<Record<string, any>>(FLUX_SOURCE);
        throw new Error(
          `source artifact ${src?.status?.artifact?.revision}, Kustomization lastAttempted ` +
            `${k?.status?.lastAttemptedRevision}, Ready ${ready?.status} ${ready?.reason}: ${ready?.message}, ` +
            `handled ${k?.status?.lastHandledReconcileAt}`,
        );
      },
      timeoutMs,
      500,
    );
  }
}

/**
 * Asks the engine to look at Git now: Argo CD's refresh annotation; Flux's source first, then the
 * Kustomization once it has the head (refreshing both at once makes Flux reconcile the stale artifact).
 */
export async function refresh(world: World, app: App, env: string): Promise<void> {
  const rest = await restFor(world.kube.kc);
  const stamp = new Date().toISOString();
  if (engineOf(app) === 'argocd') {
    await rest.mergePatch(argoPath(app, env), {
      metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
    });
    return;
  }
  const head = await world.repo.head();
  await rest.mergePatch(FLUX_SOURCE, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': stamp } } });
  await waitFor(
    'Flux source at the head',
    async () => {
      const src = await rest.get<Record<string, any>>(FLUX_SOURCE);
      return src?.status?.artifact?.revision === `main@sha1:${head}` ? true : undefined;
    },
    60_000,
    250,
  );
  await rest.mergePatch(fluxKsPath(app, env), {
    metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': stamp } },
  });
}

async function gitText(world: World, path: string): Promise<string> {
  try {
    return await world.repo.show(path);
  } catch {
    return '';
  }
}

export async function runStep(world: World, step: Step, vars: StoryVars, faults: FaultRule[]): Promise<void> {
  const rest = await restFor(world.kube.kc);
  switch (step.do) {
    case 'faults':
      world.workloads.setFaults(faults);
      return;
    case 'argo-policy':
      await rest.mergePatch(argoPath(step.app, step.env), { spec: { syncPolicy: { automated: step.automated } } });
      return;
    case 'argo-sync-options':
      await rest.mergePatch(argoPath(step.app, step.env), { spec: { syncPolicy: { syncOptions: step.syncOptions } } });
      return;
    case 'kubectl-edit':
      await rest.request('PATCH', objectPath(namespaceOf(step.app, step.env), step.object), {
        body: step.patch,
        contentType: 'application/merge-patch+json',
        query: { fieldManager: step.manager ?? 'kubectl-edit' },
      });
      return;
    case 'kubectl-set-image':
      await rest.request('PATCH', objectPath(namespaceOf(step.app, step.env), `deployment/${step.deployment}`), {
        body: { spec: { template: { spec: { containers: [{ name: step.container, image: step.image }] } } } },
        contentType: 'application/strategic-merge-patch+json',
        query: { fieldManager: 'kubectl-set' },
      });
      return;
    case 'rollout-restart':
      await rest.request('PATCH', objectPath(namespaceOf(step.app, step.env), `deployment/${step.deployment}`), {
        body: {
          spec: {
            template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
          },
        },
        contentType: 'application/strategic-merge-patch+json',
        query: { fieldManager: 'kubectl-rollout' },
      });
      return;
    case 'hpa-scale':
      await rest.request(
        'PATCH',
        `${objectPath(namespaceOf(step.app, step.env), `deployment/${step.deployment}`)}/scale`,
        {
          body: { spec: { replicas: step.replicas } },
          contentType: 'application/merge-patch+json',
          query: { fieldManager: 'kube-controller-manager' },
        },
      );
      return;
    case 'promote': {
      const p = await world.repo.promote(step.app, step.env, step.tag);
      if (step.save) vars.set(step.save, p.sha);
      return;
    }
    case 'commit': {
      const files: Record<string, string> = {};
      for (const [path, edit] of Object.entries(step.files)) files[path] = edit(await gitText(world, path));
      const sha = await world.repo.commit(files, step.message);
      if (step.save) vars.set(step.save, sha);
      return;
    }
    case 'remember-file':
      vars.set(step.save, await world.repo.show(step.path));
      return;
    case 'refresh':
      await refresh(world, step.app, step.env);
      return;
    case 'flux-reapply': {
      assert.equal(engineOf(step.app), 'flux', 'flux-reapply is for Flux targets');
      const before = (await rest.get<Record<string, any>>(fluxKsPath(step.app, step.env)))?.status
        ?.lastHandledReconcileAt;
      await rest.mergePatch(fluxKsPath(step.app, step.env), {
        metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } },
      });
      await waitFor(
        `${step.app}-${step.env} re-applied`,
        async () => {
          const k = await rest.get<Record<string, any>>(fluxKsPath(step.app, step.env));
          const ready = k?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
          return k?.status?.lastHandledReconcileAt !== before && ready && ready.status !== 'Unknown' ? true : undefined;
        },
        120_000,
        500,
      );
      return;
    }
    case 'wait-applied':
      await waitApplied(world, step.app, step.env, vars.sha(step.commit));
      return;
    case 'wait-available': {
      const path = objectPath(namespaceOf(step.app, step.env), `deployment/${step.deployment}`);
      await waitFor(
        `deployment ${step.deployment} in ${step.app}-${step.env} ${step.available ? '' : 'not '}Available`,
        async () => {
          const d = await rest.get<Record<string, any>>(path);
          // Rolled out and serving: every replica updated and available, no old pods left.
          const available =
            d?.status?.conditions?.find((c: { type: string }) => c.type === 'Available')?.status === 'True' &&
            (d?.status?.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 0) &&
            d?.status?.updatedReplicas === d?.spec?.replicas &&
            d?.status?.availableReplicas === d?.spec?.replicas &&
            d?.status?.replicas === d?.spec?.replicas;
          if (available === step.available) return true;
          throw new Error(
            `generation ${d?.metadata?.generation}, status ` +
              `${JSON.stringify({
                ...d?.status,
                conditions: d?.status?.conditions?.map(
                  (c: { type: string; status: string; reason: string }) => `${c.type}=${c.status} (${c.reason})`,
                ),
              })}`,
          );
        },
        120_000,
        250,
      );
      return;
    }
    case 'wait-journal':
      await waitFor(
        `the ${step.app}/${step.env} watch journaled the ${step.kind} of ${step.object} ${step.path}`,
        async () => {
          const j = await readJournal(world.rewind(), step.app, step.env);
          const list = step.kind === 'edit' ? j?.edits : j?.overwrites;
          return list?.some((e) => e.object === step.object && e.path === step.path && e.at >= vars.since)
            ? true
            : undefined;
        },
        120_000,
        500,
      );
      return;
  }
}
