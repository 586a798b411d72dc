/**
 * Push to engine refresh: from a git push of a promotion commit to the config repo (users-api dev,
 * tags alternating between two healthy releases) until the sandbox Argo CD controller reports
 * `status.sync.revision` equal to the new sha, and until the app is Synced at it (auto-sync done).
 *
 *   (a) refresh requested: right after the push, the `argocd.argoproj.io/refresh: normal`
 *       annotation is merge-patched onto the Application, as rewind's refresh step does;
 *   (b) no refresh: the controller finds the commit on its own poll, configured short (3 s)
 *       for comparison; Argo CD's default `timeout.reconciliation` is 180 s.
 *
 * Each case runs in its own world (no Temporal). The sandbox controller is a stand-in for
 * Argo CD: it looks at the API every 300 ms (its tick) and resolves the branch on refresh or poll.
 * The Application is read every 25 ms, so figures are ±25 ms. Pushes start at a random phase of
 * the tick (a) or of the poll interval (b).
 *
 *   node --import tsx bench/engine-refresh.ts [samples=10] [pollMs=3000]
 */
import * as k8s from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
import { ARGO_REFRESH } from '../src/gitops/tracking.js';
import { startWorld, type World } from '../src/sandbox/world/index.js';
import { argoApp, mergePatch } from '../test/support/kube.js';
import { r1, stats, until, writeResult, type Stats } from './lib.js';

const samples = Number(process.argv[2] ?? 10);
const pollMs = Number(process.argv[3] ?? 3000);
const APP = 'users-api-dev';
const TAGS = ['1.44.0', '1.42.0'] as const;
const READ_EVERY_MS = 25;

interface CaseResult { revision: Stats; synced: Stats; samplesMs: Array<{ revision: number; synced: number }> }

async function measure(world: World, refresh: boolean, pollMs: number): Promise<CaseResult> {
  const co = world.kube.kc.makeApiClient(k8s.CustomObjectsApi);
  const healthy = async () => {
    const app = await argoApp(world.kube.kc, APP);
    return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' && app.status.operationState?.phase !== 'Running' ? true : undefined;
  };
  await until(`${APP} Synced and Healthy`, healthy, 120_000, 100);
  const rows: Array<{ revision: number; synced: number }> = [];
  for (let i = 0; i < samples; i++) {
    const { sha } = await world.repo.promote('users-api', 'dev', TAGS[i % 2]!);
    const t0 = performance.now();
    if (refresh) {
      await co.patchNamespacedCustomObject({ group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: APP, body: { metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } } }, mergePatch);
    }
    let revisionAt: number | undefined;
    const syncedAt = await until(`${APP} synced at ${sha.slice(0, 7)}`, async () => {
      const app = await argoApp(world.kube.kc, APP);
      const now = performance.now();
      if (app.status?.sync?.revision !== sha) return undefined;
      revisionAt ??= now;
      return app.status.sync.status === 'Synced' && app.status.operationState?.phase !== 'Running' ? now : undefined;
    }, pollMs + 60_000, READ_EVERY_MS);
    rows.push({ revision: r1(revisionAt! - t0), synced: r1(syncedAt - t0) });
    console.log(`  ${refresh ? 'refresh' : 'poll   '} #${i + 1}: revision after ${rows.at(-1)!.revision} ms, Synced after ${rows.at(-1)!.synced} ms`);
    // Let the rollout settle, then push at a random phase of what gates the pickup: the tick when
    // refreshing, the poll interval otherwise (a fixed pause would correlate with the last resolve).
    await until(`${APP} Healthy`, healthy, 60_000, 100);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * (refresh ? 600 : pollMs))));
  }
  return { revision: stats(rows.map((r) => r.revision)), synced: stats(rows.map((r) => r.synced)), samplesMs: rows };
}

async function inWorld(pollIntervalMs: number | undefined, refresh: boolean): Promise<CaseResult> {
  const world = await startWorld({ temporal: 'none', controller: pollIntervalMs ? { pollIntervalMs } : {} });
  try { return await measure(world, refresh, pollIntervalMs ?? 180_000); } finally { await world.stop(); }
}

const show = (label: string, c: CaseResult) =>
  console.log(`${label.padEnd(36)} revision p50 ${c.revision.p50} ms (max ${c.revision.max});  Synced p50 ${c.synced.p50} ms (max ${c.synced.max})`);

console.log(`${samples} pushes per case`);
const withRefresh = await inWorld(undefined, true);
show('(a) refresh annotation, poll 180 s', withRefresh);
const withoutRefresh = await inWorld(pollMs, false);
show(`(b) no refresh, poll ${pollMs / 1000} s`, withoutRefresh);

await writeResult('engine-refresh', {
  description: 'Time from the end of a git push (a users-api dev promotion to the world\'s config repo) until the sandbox Argo CD controller reports '
    + 'status.sync.revision == the new sha ("revision"), and until the Application is Synced at it with no operation running ("synced": auto-sync applied it).',
  note: 'The engine is rewind\'s sandbox stand-in for Argo CD, not Argo CD: it polls the API every 300 ms (tick) and resolves the target revision on the refresh '
    + 'annotation or when its poll interval (Argo\'s timeout.reconciliation) has passed. Without a refresh the poll interval dominates: expect about half of it on '
    + 'average (plus one tick), i.e. ~90 s with Argo\'s default 180 s. The Application is read every 25 ms.',
  samples, unit: 'ms',
  results: {
    refreshRequested: { pollIntervalMs: 180_000, how: `merge-patch ${ARGO_REFRESH}=normal right after the push (timed from before the patch)`, ...withRefresh },
    noRefresh: { pollIntervalMs: pollMs, how: 'nothing: the controller\'s own poll', ...withoutRefresh },
  },
});
