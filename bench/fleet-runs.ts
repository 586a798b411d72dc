/**
 * Many concurrent rollbacks on one worker: a fleet of N extra targets (kustomize overlays of the
 * users-api base, one real Argo CD Application each) in one world, each hit by its own bad
 * promotion (1.43.0, which the workload simulator crashes), then N rollbacks started at once
 * against a single worker in its own process (test/support/worker-process.ts, with the activity
 * slots src/app/worker.ts sets, REWIND_ACTIVITY_SLOTS if given, and the SDK's default pollers).
 *
 * Baseline in the same run: one rollback of one fleet target alone on the same worker.
 * Reported: each run's time to restore (restoredAt − startedAt), the worker's share of it from the
 * history (run time not spent in activity executions or timers: task dispatch, workflow tasks and
 * activity queueing), activity queueing and workflow task latencies, per-activity execution
 * against the single run (what slows down under load shows what limits it), and the worker
 * process's CPU (its own and its git/kustomize children) and resident memory.
 *
 *   node --import tsx bench/fleet-runs.ts [targets=200]
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../src/lib/config/load.js';
import { ARGO_REFRESH } from '../src/lib/gitops/tracking.js';
import { person, startRun, type Rewind } from '../src/lib/runs.js';
import { argoApplication, SANDBOX_ARGO_NAMESPACE } from '../src/sandbox/bootstrap.js';
import { activitySlots } from '../src/app/worker.js';
import { CONFIG_REPO_PEOPLE } from '../src/sandbox/world/config-repo.js';
import { startWorld, type World } from '../src/sandbox/world/index.js';
import { mergePatch } from '../test/support/kube.js';
import type { RunStatus } from '../workflows/types.js';
import { median, r1, stats, until, writeResult } from './lib.js';
import { analyze, type RunBreakdown } from './run-history.js';

const N = Number(process.argv[2] ?? 200);
const BAD = '1.43.0';
const HEALTH = { window: '2s', timeout: '10m' };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fleetName = (i: number) => `fleet-${String(i).padStart(3, '0')}`;
const fleetPath = (i: number) => `apps/fleet/${fleetName(i)}`;

function overlay(i: number, tag: string): Record<string, string> {
  return {
    [`${fleetPath(i)}/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${fleetName(i)}
resources:
  - ../../users-api/base
images:
  - name: ghcr.io/acme/users-api
    newTag: ${tag}
replicas:
  - name: users-api
    count: 1
`,
  };
}

function application(i: number, repoUrl: string) {
  return argoApplication(
    {
      engine: 'argocd',
      name: fleetName(i),
      namespace: SANDBOX_ARGO_NAMESPACE,
      app: fleetName(i),
      env: 'fleet',
      path: fleetPath(i),
      workloadNamespace: fleetName(i),
    },
    { url: repoUrl, branch: 'main' },
  );
}

/** The world's rewind.yaml plus one app per fleet target (non-prod: no approval, as for staging). */
function fleetConfig(world: World, count: number) {
  const doc = parse(world.configText) as { apps: Record<string, unknown> };
  for (let i = 0; i < count; i++) {
    doc.apps[fleetName(i)] = {
      owners: ['alice'],
      approvers: ['bob'],
      environments: {
        fleet: {
          cluster: 'sandbox',
          engine: { kind: 'argocd', name: fleetName(i), namespace: SANDBOX_ARGO_NAMESPACE },
          repo: 'config',
          path: fleetPath(i),
          namespace: fleetName(i),
          workloads: ['deployment/users-api'],
          health: HEALTH,
        },
      },
    };
  }
  const text = stringify(doc);
  return { text, cfg: parseConfig(text, 'fleet rewind.yaml') };
}

interface ArgoStatus {
  metadata: { name: string };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: { phase?: string };
  };
}

async function fleetApps(custom: k8s.CustomObjectsApi): Promise<Map<string, ArgoStatus>> {
  const list = (await custom.listNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace: SANDBOX_ARGO_NAMESPACE,
    plural: 'applications',
  })) as { items: ArgoStatus[] };
  return new Map(list.items.filter((a) => a.metadata.name.startsWith('fleet-')).map((a) => [a.metadata.name, a]));
}

async function refresh(custom: k8s.CustomObjectsApi, names: string[]): Promise<void> {
  for (const name of names)
    await custom.patchNamespacedCustomObject(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: SANDBOX_ARGO_NAMESPACE,
        plural: 'applications',
        name,
        body: { metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } },
      },
      mergePatch,
    );
}

/** Waits until every named app is Synced at `revision`, its operation done, and (optionally) its health matches. */
async function untilSynced(
  custom: k8s.CustomObjectsApi,
  names: string[],
  revision: string,
  health: (h: string | undefined) => boolean,
  what: string,
): Promise<void> {
  const t0 = Date.now();
  await until(
    what,
    async () => {
      const apps = await fleetApps(custom);
      const pending = names.filter((n) => {
        const s = apps.get(n)?.status;
        return !(
          s?.sync?.status === 'Synced' &&
          s.sync.revision === revision &&
          s.operationState?.phase !== 'Running' &&
          health(s.health?.status)
        );
      });
      return pending.length === 0 ? true : undefined;
    },
    15 * 60_000,
    2000,
  );
  console.log(`  ${what}: ${r1((Date.now() - t0) / 1000)} s`);
}

/** CPU seconds (own, and waited-for children: git, kustomize) and resident MiB of a process, from /proc. */
async function procSample(pid: number): Promise<{ cpuS: number; childCpuS: number; rssMiB: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // Fields after "(comm) ": state is [0], so utime (14) is [11], stime [12], cutime [13], cstime [14].
  const tick = 100;
  const rss = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return {
    cpuS: (Number(stat[11]) + Number(stat[12])) / tick,
    childCpuS: (Number(stat[13]) + Number(stat[14])) / tick,
    rssMiB: r1(Number(rss ?? 0) / 1024),
  };
}

async function rollback(rw: Rewind, i: number): Promise<{ status: RunStatus; breakdown: RunBreakdown }> {
  const started = await startRun(rw, {
    runbook: 'rollback',
    source: 'cli',
    requester: person(rw.cfg, 'alice'),
    app: fleetName(i),
    env: 'fleet',
    reason: `fleet bench: 5xx after ${BAD}`,
  });
  const handle = rw.client.workflow.getHandle(started.workflowId, started.runId);
  const status = (await handle.result()) as RunStatus;
  const history = await handle.fetchHistory();
  return { status, breakdown: analyze(history.events ?? [], status) };
}

const ttrMs = (s: RunStatus): number | undefined =>
  s.restoredAt ? Date.parse(s.restoredAt) - Date.parse(s.startedAt) : undefined;

Runtime.install({ logger: new DefaultLogger('WARN') });
const world = await startWorld({ temporal: 'dev', engines: 'real', health: HEALTH });
const workerDir = path.join(world.dir, 'fleet-worker');
await mkdir(workerDir, { recursive: true });
const custom = world.kube.kc.makeApiClient(k8s.CustomObjectsApi);
let worker: ReturnType<typeof spawn> | undefined;
try {
  const count = N + 1; // fleet-000 is the baseline, run alone
  const good = world.repo.promotions.filter((p) => p.app === 'users-api' && p.env === 'staging').at(-1)?.to;
  if (!good || good === BAD) throw new Error(`users-api staging is at ${good}; expected a good release`);
  console.log(`fleet of ${count} targets at users-api ${good}, real Argo CD`);
  const files = Object.assign({}, ...Array.from({ length: count }, (_, i) => overlay(i, good)));
  const seeded = await world.repo.commit(files, `add ${count} fleet targets at ${good}`);
  for (let i = 0; i < count; i++)
    await custom.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: SANDBOX_ARGO_NAMESPACE,
      plural: 'applications',
      body: application(i, world.repoUrl),
    });
  const all = Array.from({ length: count }, (_, i) => fleetName(i));
  await untilSynced(custom, all, seeded, (h) => h === 'Healthy', `${count} fleet apps Synced and Healthy`);

  const fleet = fleetConfig(world, count);
  const configPath = path.join(world.dir, 'fleet-rewind.yaml');
  await writeFile(configPath, fleet.text);
  const rw: Rewind = { ...world.rewind(), cfg: fleet.cfg };
  worker = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'test/support/worker-process.ts'),
      configPath,
      fleet.cfg.temporal.address,
      world.taskQueue,
      workerDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = worker.pid!;
  await new Promise<void>((resolve, reject) => {
    worker!.stdout!.on('data', (b: Buffer) => b.toString().includes('worker-ready') && resolve());
    worker!.once('exit', (code) => reject(new Error(`worker exited ${code} before it was ready`)));
  });

  const promote = async (indices: number[]) => {
    let head = '';
    for (const i of indices)
      head = await world.repo.commit(
        overlay(i, BAD),
        `promote ${fleetName(i)} ${BAD} to fleet`,
        CONFIG_REPO_PEOPLE.ciBot,
      );
    const names = indices.map(fleetName);
    await refresh(custom, names);
    await untilSynced(
      custom,
      names,
      head,
      (h) => h !== 'Healthy',
      `${names.length} bad promotion(s) synced and unhealthy`,
    );
  };

  console.log('baseline: one rollback alone');
  await promote([0]);
  const single = await rollback(rw, 0);
  console.log(`  ${single.status.phase}, time to restore ${ttrMs(single.status)} ms`);

  const fleetIdx = Array.from({ length: N }, (_, i) => i + 1);
  console.log(`${N} bad promotions`);
  await promote(fleetIdx);
  console.log(`${N} rollbacks at once`);
  const samples: Array<{ t: number; cpuS: number; childCpuS: number; rssMiB: number }> = [];
  const t0 = Date.now();
  const sampler = setInterval(
    () =>
      void procSample(pid)
        .then((s) => samples.push({ t: Date.now() - t0, ...s }))
        .catch(() => undefined),
    1000,
  );
  const before = await procSample(pid);
  // Anything else busy on the machine skews every figure; the result says how busy it was.
  const loadAtStart = loadavg().map(r1);
  let ended = 0;
  const progress = setInterval(
    () => console.log(`  ${r1((Date.now() - t0) / 1000)} s: ${ended}/${N} runs ended`),
    30_000,
  );
  const settled = await Promise.allSettled(fleetIdx.map((i) => rollback(rw, i).finally(() => ended++)));
  const wallMs = Date.now() - t0;
  clearInterval(sampler);
  clearInterval(progress);
  const after = await procSample(pid);

  const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = settled.flatMap((r, k) => (r.status === 'rejected' ? [`${fleetName(k + 1)}: ${r.reason}`] : []));
  const phases: Record<string, number> = {};
  for (const d of done) phases[d.status.phase] = (phases[d.status.phase] ?? 0) + 1;
  const notRestored = done
    .filter((d) => d.status.phase !== 'restored')
    .map((d) => `${d.status.app}: ${d.status.phase}: ${d.status.result}`);
  const ttrs = done.flatMap((d) => ttrMs(d.status) ?? []);
  const share = (b: RunBreakdown) => (b.totalMs > 0 ? b.overheadMs / b.totalMs : 0);
  const activityNames = [...new Set(done.flatMap((d) => Object.keys(d.breakdown.byActivity)))];
  const perActivity = Object.fromEntries(
    activityNames.map((n) => {
      const per = (b: RunBreakdown) => b.byActivity[n];
      const fleetExec = done.flatMap((d) => (per(d.breakdown) ? [per(d.breakdown)!.execMs] : []));
      const fleetQueue = done.flatMap((d) => (per(d.breakdown) ? [per(d.breakdown)!.queueMs] : []));
      return [
        n,
        {
          singleExecMs: per(single.breakdown)?.execMs ?? null,
          fleetExecMs: stats(fleetExec),
          fleetQueueMs: stats(fleetQueue),
        },
      ];
    }),
  );
  // What slowed down most under load, by median execution against the single run.
  const slowdown = Object.entries(perActivity)
    .filter(([, a]) => a.singleExecMs !== null && a.singleExecMs > 0)
    .map(([name, a]) => ({
      activity: name,
      singleMs: a.singleExecMs!,
      fleetP50Ms: a.fleetExecMs.p50,
      factor: r1(a.fleetExecMs.p50 / a.singleExecMs!),
    }))
    .sort((x, y) => y.fleetP50Ms - y.singleMs - (x.fleetP50Ms - x.singleMs))
    .slice(0, 5);
  const limits = `Most added time, by activity (median in the fleet against the single run): ${slowdown
    .map((x) => `${x.activity} ${x.singleMs} → ${x.fleetP50Ms} ms (${x.factor}×)`)
    .join('; ')}.`;
  const cpuS = after.cpuS - before.cpuS,
    childCpuS = after.childCpuS - before.childCpuS;
  const gitDirs = await readdir(workerDir).catch(() => [] as string[]);
  const result = {
    description:
      `${N} rollbacks started at once, one per target, on one worker process (${activitySlots()} activity ` +
      `slots, the SDK's default pollers), each target a real Argo CD Application ` +
      `(kustomize overlay of users-api) in one world with one config ` +
      `repo; baseline: one rollback alone on the same worker, same world. ` +
      "Time to restore = the run's restoredAt − startedAt. Worker share " +
      '= (run time − union of activity executions and timers) / run time, ' +
      'from each history: what the worker and Temporal add (task ' +
      'dispatch, workflow tasks, activity queueing for a free slot).',
    targets: N,
    activitySlots: activitySlots(),
    health: HEALTH,
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(r1) },
    outcome: { phases, errors: failures.slice(0, 10), notRestored: notRestored.slice(0, 10), wallMs },
    timeToRestoreMs: { single: ttrMs(single.status) ?? null, fleet: stats(ttrs) },
    ratio: {
      p50VsSingle: r1(stats(ttrs).p50 / (ttrMs(single.status) ?? Number.NaN)),
      p99VsSingle: r1(stats(ttrs).p99 / (ttrMs(single.status) ?? Number.NaN)),
    },
    workerShare: {
      single: r1(share(single.breakdown) * 1000) / 10,
      fleetPercent: stats(done.map((d) => share(d.breakdown) * 100)),
      unit: 'percent of run time',
    },
    latenciesMs: {
      activityQueueSingle: stats(single.breakdown.activityQueueSamplesMs),
      activityQueueFleet: stats(done.flatMap((d) => d.breakdown.activityQueueSamplesMs)),
      workflowTaskSingle: stats(single.breakdown.workflowTaskSamplesMs),
      workflowTaskFleet: stats(done.flatMap((d) => d.breakdown.workflowTaskSamplesMs)),
    },
    slowdown,
    limits,
    perActivity,
    worker: {
      cpuSeconds: r1(cpuS),
      childCpuSeconds: r1(childCpuS),
      meanCores: r1((cpuS + childCpuS) / (wallMs / 1000)),
      rssMiB: {
        start: before.rssMiB,
        peak: Math.max(before.rssMiB, ...samples.map((s) => s.rssMiB)),
        end: after.rssMiB,
      },
      medianRssMiB: median(samples.map((s) => s.rssMiB)),
      dataDirEntries: gitDirs,
    },
  };
  console.log(
    JSON.stringify({ outcome: result.outcome, ttr: result.timeToRestoreMs, share: result.workerShare }, null, 2),
  );
  await writeResult('fleet-runs', result);
} finally {
  worker?.kill('SIGTERM');
  await world.stop();
}
