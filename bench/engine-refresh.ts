/**
 * Push to engine pickup on the REAL engines: from the end of a git push of a promotion commit
 * (users-api dev on Argo CD v3.6.1, billing-worker dev on Flux v1.9.6, tags alternating between
 * two healthy releases) until the engine has the new commit ("revision": Argo CD
 * `status.sync.revision`, Flux GitRepository artifact) and until it applied it ("synced": Argo CD
 * Synced at it with no operation running, Flux Kustomization Ready at it).
 *
 *   (a) refresh requested, as rewind's refresh step does: Argo CD `argocd.argoproj.io/refresh:
 *       normal`; Flux `reconcile.fluxcd.io/requestedAt` on the GitRepository, then, once its
 *       artifact holds the commit, on the Kustomization. World poll interval 120 s.
 *   (b) nothing requested: the engine's own poll, set short (20 s: Argo CD `--app-resync 20
 *       --app-resync-jitter 0`, Flux GitRepository `interval: 20s`) to keep the run short. With
 *       upstream defaults (Argo CD 120 s + up to 60 s jitter; Flux as configured, often 1–10 min)
 *       expect on average half the interval.
 *
 * Objects are read every 25 ms, so figures are ±25 ms. Pushes start at a random phase.
 *   node --import tsx bench/engine-refresh.ts [samples=8] [pollSeconds=20]
 */
import * as k8s from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { ARGO_REFRESH, FLUX_REQUESTED_AT } from '../src/lib/gitops/tracking.js';
import { startWorld, type World } from '../src/sandbox/world/index.js';
import { argoApp, fluxKs, mergePatch } from '../test/support/kube.js';
import { r1, stats, until, writeResult, type Stats } from './lib.js';

const samples = Number(process.argv[2] ?? 8);
const pollSeconds = Number(process.argv[3] ?? 20);
const READ_EVERY_MS = 25;

type Engine = 'argocd' | 'flux';
interface CaseResult {
  revision: Stats;
  synced: Stats;
  samplesMs: Array<{ revision: number; synced: number }>;
}

const APP = {
  argocd: { app: 'users-api', obj: 'users-api-dev', tags: ['1.44.0', '1.42.0'] },
  flux: { app: 'billing-worker', obj: 'billing-worker-dev', tags: ['2.4.1', '2.4.0'] },
} as const;

async function gitRepoRevision(world: World): Promise<string | undefined> {
  const repo = (await world.kube.kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: 'source.toolkit.fluxcd.io',
    version: 'v1',
    namespace: 'flux-system',
    plural: 'gitrepositories',
    name: 'config-repo',
  })) as { status?: { artifact?: { revision?: string } } };
  return repo.status?.artifact?.revision?.split(':').pop();
}

async function observe(world: World, engine: Engine): Promise<{ revision?: string; synced?: string }> {
  if (engine === 'argocd') {
    const app = await argoApp(world.kube.kc, APP.argocd.obj);
    const settled =
      app.status?.sync?.status === 'Synced' &&
      app.status.operationState?.phase !== 'Running' &&
      app.status.health?.status === 'Healthy';
    return { revision: app.status?.sync?.revision, synced: settled ? app.status?.sync?.revision : undefined };
  }
  const ks = await fluxKs(world.kube.kc, APP.flux.obj);
  const ready = ks.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {
    revision: await gitRepoRevision(world),
    synced: ready ? ks.status?.lastAppliedRevision?.split(':').pop() : undefined,
  };
}

async function request(world: World, engine: Engine, sha: string, token: string): Promise<void> {
  const co = world.kube.kc.makeApiClient(k8s.CustomObjectsApi);
  const annotate = (
    group: string,
    plural: string,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ) =>
    co.patchNamespacedCustomObject(
      {
        group,
        version: group === 'argoproj.io' ? 'v1alpha1' : 'v1',
        namespace,
        plural,
        name,
        body: { metadata: { annotations } },
      },
      mergePatch,
    );
  if (engine === 'argocd') {
    await annotate('argoproj.io', 'applications', 'argocd', APP.argocd.obj, { [ARGO_REFRESH]: 'normal' });
    return;
  }
  await annotate('source.toolkit.fluxcd.io', 'gitrepositories', 'flux-system', 'config-repo', {
    [FLUX_REQUESTED_AT]: token,
  });
  await until(
    'the Flux artifact holds the push',
    async () => ((await gitRepoRevision(world)) === sha ? true : undefined),
    60_000,
    READ_EVERY_MS,
  );
  await annotate('kustomize.toolkit.fluxcd.io', 'kustomizations', 'flux-system', APP.flux.obj, {
    [FLUX_REQUESTED_AT]: token,
  });
}

async function measure(world: World, engine: Engine, refresh: boolean): Promise<CaseResult> {
  const { app, tags } = APP[engine];
  await until(
    `${engine} settled`,
    async () => ((await observe(world, engine)).synced ? true : undefined),
    180_000,
    200,
  );
  const rows: Array<{ revision: number; synced: number }> = [];
  for (let i = 0; i < samples; i++) {
    const { sha } = await world.repo.promote(app, 'dev', tags[i % 2]!);
    const t0 = performance.now();
    let revisionAt: number | undefined;
    const waiting = until(
      `${engine} synced at ${sha.slice(0, 7)}`,
      async () => {
        const o = await observe(world, engine);
        const now = performance.now();
        if (o.revision === sha) revisionAt ??= now;
        return o.synced === sha ? now : undefined;
      },
      pollSeconds * 1000 + 120_000,
      READ_EVERY_MS,
    );
    if (refresh) await request(world, engine, sha, `bench-${i}-${Date.now()}`);
    const syncedAt = await waiting;
    rows.push({ revision: r1((revisionAt ?? syncedAt) - t0), synced: r1(syncedAt - t0) });
    console.log(
      `  ${engine} ${refresh ? 'refresh' : 'poll   '} #${i + 1}: revision ` +
        `after ${rows.at(-1)!.revision} ms, applied after ${rows.at(-1)!.synced} ms`,
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.floor(Math.random() * (refresh ? 1000 : pollSeconds * 1000))),
    );
  }
  return { revision: stats(rows.map((r) => r.revision)), synced: stats(rows.map((r) => r.synced)), samplesMs: rows };
}

async function inWorld(poll: number, refresh: boolean): Promise<Record<Engine, CaseResult>> {
  const world = await startWorld({ temporal: 'none', engines: 'real', pollSeconds: poll, workloads: { faults: [] } });
  try {
    return { argocd: await measure(world, 'argocd', refresh), flux: await measure(world, 'flux', refresh) };
  } finally {
    await world.stop();
  }
}

const show = (label: string, c: CaseResult) =>
  console.log(
    `${label.padEnd(44)} revision p50 ${c.revision.p50} ms ` +
      `(max ${c.revision.max});  applied p50 ${c.synced.p50} ms (max ${c.synced.max})`,
  );

console.log(`${samples} pushes per case, real Argo CD and Flux`);
const withRefresh = await inWorld(120, true);
show('(a) Argo CD refresh annotation, poll 120 s', withRefresh.argocd);
show('(a) Flux requestedAt (source, then ks), 120 s', withRefresh.flux);
const withoutRefresh = await inWorld(pollSeconds, false);
show(`(b) Argo CD no refresh, poll ${pollSeconds} s`, withoutRefresh.argocd);
show(`(b) Flux no refresh, interval ${pollSeconds} s`, withoutRefresh.flux);

await writeResult('engine-refresh', {
  description:
    "Time from the end of a git push (a dev promotion to the world's config repo) " +
    'until the real engine has the commit ("revision": Argo CD status.sync.revision, ' +
    'Flux GitRepository artifact) and has applied it ("synced": Argo CD Synced ' +
    '+ Healthy with no operation running; Flux Kustomization Ready at it).',
  note:
    `Real Argo CD v3.6.1 and Flux v1.9.6 on the world's kube-apiserver; workload ` +
    `status simulated. (b) uses a ${pollSeconds} s poll to keep the run short; ` +
    'upstream defaults are Argo CD 120 s + up to 60 s jitter and the GitRepository interval of ' +
    'each app, so expect about half the interval without a refresh. Objects are read every 25 ms.',
  samples,
  unit: 'ms',
  results: {
    argocdRefresh: {
      pollSeconds: 120,
      how: `merge-patch ${ARGO_REFRESH}=normal right after the push`,
      ...withRefresh.argocd,
    },
    fluxRefresh: {
      pollSeconds: 120,
      how: `${FLUX_REQUESTED_AT} on the GitRepository, then on the Kustomization once the artifact holds the commit`,
      ...withRefresh.flux,
    },
    argocdPoll: { pollSeconds, how: "nothing: Argo CD's own resync", ...withoutRefresh.argocd },
    fluxPoll: { pollSeconds, how: 'nothing: the GitRepository interval', ...withoutRefresh.flux },
  },
});
