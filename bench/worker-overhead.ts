/**
 * Worker overhead per step: real rollbacks of users-api staging (no approval needed) on the
 * world, end to end (Temporal dev server, worker, git over HTTP, sandbox Argo CD, kube-apiserver).
 * Before each run the bad release (1.43.0) is promoted and synced, as in an incident.
 *
 * From each run's history (`handle.fetchHistory()`): the run's time (WorkflowExecutionStarted →
 * Completed), each activity's queueing (Scheduled → Started) and execution (Started → Completed),
 * and the workflow tasks. Execution is time spent waiting on git, the engine, the rollout, Slack;
 * overhead = run time − the union of activity executions (and timers, if any): what Temporal and
 * the worker add (task dispatch, workflow tasks, activity queueing). Per step, the same split
 * within each step's [startedAt, endedAt] from the RunStatus.
 *
 * One warm-up run first (cold clone cache, first kustomize render, first workflow bundle use),
 * reported apart; then the measured runs.
 *
 *   node --import tsx bench/worker-overhead.ts [runs=5]
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import * as k8s from '@kubernetes/client-node';
import { ARGO_REFRESH } from '../src/lib/gitops/tracking.js';
import { startWorld, type World } from '../src/sandbox/world/index.js';
import type { RunStatus } from '../workflows/types.js';
import { analyze, type RunBreakdown } from './run-history.js';
import { argoApp, mergePatch } from '../test/support/kube.js';
import { start } from '../test/support/world-runs.js';
import { median, r1, until, writeResult } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const APP = 'users-api-staging';

async function oneRollback(world: World, i: number): Promise<RunBreakdown> {
  const bad = await world.repo.promote('users-api', 'staging', '1.43.0');
  await world.kube.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: 'argocd',
      plural: 'applications',
      name: APP,
      body: { metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } },
    },
    mergePatch,
  );
  await until(
    `${APP} synced at the bad release`,
    async () => {
      const app = await argoApp(world.kube.kc, APP);
      return app.status?.sync?.revision === bad.sha &&
        app.status.sync.status === 'Synced' &&
        app.status.operationState?.phase !== 'Running'
        ? true
        : undefined;
    },
    60_000,
    100,
  );
  const run = await start(world, {
    app: 'users-api',
    env: 'staging',
    as: 'alice',
    reason: `bench run ${i}: 5xx after 1.43.0`,
  });
  const status = await Promise.race([
    run.handle.result() as Promise<RunStatus>,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('rollback did not finish within 120 s')), 120_000).unref(),
    ),
  ]);
  const history = await run.handle.fetchHistory();
  const b = analyze(history.events ?? [], status);
  console.log(
    `  run ${i}: ${status.phase} in ${b.totalMs} ms; activities ${b.activityExecMs} ms; overhead ${b.overheadMs}` +
      ` ms (${b.workflowTasks} workflow tasks, ${b.workflowTaskMs} ms; activity queueing ${b.activityQueueMs} ms)`,
  );
  if (status.phase !== 'restored') console.log(`  run ${i} ended ${status.phase}: ${status.result}`);
  return b;
}

Runtime.install({ logger: new DefaultLogger('WARN') });
const world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '60s' } });
try {
  await world.startWorker();
  await until(
    `${APP} Healthy`,
    async () => ((await argoApp(world.kube.kc, APP)).status?.health?.status === 'Healthy' ? true : undefined),
    90_000,
    200,
  );
  console.log('warm-up run (cold caches):');
  const warm = await oneRollback(world, 0);
  console.log(`${runs} measured runs:`);
  const measured: RunBreakdown[] = [];
  for (let i = 1; i <= runs; i++) measured.push(await oneRollback(world, i));

  const agg = (f: (b: RunBreakdown) => number) => ({
    median: r1(median(measured.map(f))),
    max: r1(Math.max(...measured.map(f))),
  });
  const stepNames = measured[0]?.steps.map((s) => s.name) ?? [];
  const perStep = Object.fromEntries(
    stepNames.map((name) => {
      const rows = measured
        .map((b) => b.steps.find((s) => s.name === name))
        .filter((s): s is RunBreakdown['steps'][number] => s !== undefined);
      const pick = (f: (s: RunBreakdown['steps'][number]) => number) => ({
        median: r1(median(rows.map(f))),
        max: r1(Math.max(...rows.map(f))),
      });
      return [
        name,
        {
          durationMs: pick((s) => s.durationMs),
          waitingMs: pick((s) => s.waitingMs),
          overheadMs: pick((s) => s.overheadMs),
        },
      ];
    }),
  );
  const activityNames = [...new Set(measured.flatMap((b) => Object.keys(b.byActivity)))];
  const perActivity = Object.fromEntries(
    activityNames.map((n) => [
      n,
      {
        count: median(measured.map((b) => b.byActivity[n]?.count ?? 0)),
        execMs: agg((b) => b.byActivity[n]?.execMs ?? 0),
        queueMs: agg((b) => b.byActivity[n]?.queueMs ?? 0),
      },
    ]),
  );
  const totals = {
    runMs: agg((b) => b.totalMs),
    activityExecMs: agg((b) => b.activityExecMs),
    timerMs: agg((b) => b.timerMs),
    overheadMs: agg((b) => b.overheadMs),
    activityQueueMs: agg((b) => b.activityQueueMs),
    workflowTaskMs: agg((b) => b.workflowTaskMs),
    workflowTasks: agg((b) => b.workflowTasks),
  };
  console.log(
    `run ${totals.runMs.median} ms median; ` +
      `overhead ${totals.overheadMs.median} ms median (max ${totals.overheadMs.max})`,
  );
  for (const [name, s] of Object.entries(perStep))
    console.log(
      `  ${name.padEnd(16)} ${String(s.durationMs.median).padStart(7)} ms, ` +
        `of which overhead ${s.overheadMs.median} ms (max ${s.overheadMs.max})`,
    );

  await writeResult('worker-overhead', {
    description:
      'Real rollbacks of users-api staging on the world (Temporal dev server, one worker, ' +
      'git over loopback HTTP, sandbox Argo CD, kube-apiserver; health window 2 s). ' +
      'From the workflow history: run time = WorkflowExecutionStarted to Completed; waiting = union of ' +
      'activity executions (ActivityTaskStarted to Completed: git, engine, rollout, Slack) and timers; ' +
      'overhead = run time - waiting (task dispatch, workflow tasks, activity queueing). Per ' +
      "step, the same within the step's startedAt..endedAt from the RunStatus (ms resolution).",
    note:
      'Everything runs on one machine: the Temporal dev server (in-memory), the worker and the ' +
      'world share its cores. waitForSynced and verifyHealth are activities, so engine and rollout ' +
      'waits (including their polling and the 2 s health window) count as waiting, not overhead.',
    runs,
    unit: 'ms',
    totals,
    perStep,
    perActivity,
    warmupRun: {
      totalMs: warm.totalMs,
      overheadMs: warm.overheadMs,
      activityExecMs: warm.activityExecMs,
      steps: warm.steps,
    },
    runsDetail: measured.map((b) => ({
      totalMs: b.totalMs,
      activityExecMs: b.activityExecMs,
      overheadMs: b.overheadMs,
      activityQueueMs: b.activityQueueMs,
      workflowTaskMs: b.workflowTaskMs,
      workflowTasks: b.workflowTasks,
    })),
  });
} finally {
  await world.stop();
}
