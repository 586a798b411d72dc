import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DoraReport } from '../../../src/lib/dora/model.js';
import { RewindMetrics } from '../../../src/lib/metrics/rewind-metrics.js';
import type { RunStatus, StepStatus } from '../../../workflows/types.js';

const t0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

function status(over: Partial<RunStatus>): RunStatus {
  return {
    workflowId: 'rewind/users-api/prod',
    runbook: 'rollback',
    app: 'users-api',
    env: 'prod',
    phase: 'restored',
    requester: 'alice',
    reason: 'r',
    steps: [],
    approvals: [],
    startedAt: at(0),
    ...over,
  };
}
const step = (kind: StepStatus['kind'], state: StepStatus['state'], from?: number, to?: number): StepStatus => ({
  name: kind,
  kind,
  state,
  ...(from !== undefined ? { startedAt: at(from) } : {}),
  ...(to !== undefined ? { endedAt: at(to) } : {}),
});

/** A metric's values; histogram values also name their series (_bucket, _sum, _count). */
async function json(
  m: RewindMetrics,
  name: string,
): Promise<Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  assert.ok(metric, `${name} is registered`);
  return metric.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

describe('RewindMetrics', () => {
  it('a restored run: outcome, one duration per step that ran, and the time to restore', async () => {
    const m = new RewindMetrics({ processMetrics: false });
    m.runStarted('rollback', 'slack');
    m.runFinished(
      status({
        timeToRestoreMs: 95_000,
        steps: [
          step('planRollback', 'done', 0, 3),
          step('approve', 'skipped', 3, 3),
          step('revertPromotion', 'done', 3, 5),
          step('verifyHealth', 'done', 5, 95),
          step('notify', 'pending'),
        ],
      }),
      'slack',
    );
    assert.deepEqual(
      (await json(m, 'rewind_runs_started_total')).map((v) => [v.labels, v.value]),
      [[{ runbook: 'rollback', source: 'slack' }, 1]],
    );
    assert.deepEqual(
      (await json(m, 'rewind_runs_finished_total')).map((v) => [v.labels, v.value]),
      [[{ runbook: 'rollback', source: 'slack', outcome: 'restored' }, 1]],
    );
    const steps = await json(m, 'rewind_step_duration_seconds');
    const sum = (kind: string) =>
      steps.find((v) => v.metricName === 'rewind_step_duration_seconds_sum' && v.labels.kind === kind)?.value;
    assert.equal(sum('planRollback'), 3);
    assert.equal(sum('revertPromotion'), 2);
    assert.equal(sum('verifyHealth'), 90);
    assert.equal(sum('approve'), undefined, 'skipped steps are not timed');
    assert.equal(sum('notify'), undefined, 'steps that never ran are not timed');
    const ttr = await json(m, 'rewind_time_to_restore_seconds');
    assert.equal(ttr.find((v) => v.metricName === 'rewind_time_to_restore_seconds_sum')?.value, 95);
    assert.deepEqual(ttr.find((v) => v.metricName === 'rewind_time_to_restore_seconds_sum')?.labels, {
      runbook: 'rollback',
      source: 'slack',
    });
    assert.equal(
      ttr.find((v) => v.metricName === 'rewind_time_to_restore_seconds_bucket' && v.labels.le === 120)?.value,
      1,
    );
    assert.equal(
      ttr.find((v) => v.metricName === 'rewind_time_to_restore_seconds_bucket' && v.labels.le === 60)?.value,
      0,
    );
  });

  it('a run that did not restore: failed steps are timed with their state, no time to restore', async () => {
    const m = new RewindMetrics({ processMetrics: false });
    m.runFinished(
      status({ runbook: 'emergency-change', phase: 'abandoned', steps: [step('commitToGit', 'failed', 10, 12)] }),
      'cli',
    );
    m.runClosed('rollback', 'drill', 'terminated');
    assert.deepEqual(
      (await json(m, 'rewind_runs_finished_total')).map((v) => [v.labels.runbook, v.labels.source, v.labels.outcome]),
      [
        ['emergency-change', 'cli', 'abandoned'],
        ['rollback', 'drill', 'terminated'],
      ],
    );
    assert.deepEqual(
      (await json(m, 'rewind_step_duration_seconds')).find((v) => v.metricName === 'rewind_step_duration_seconds_sum')
        ?.labels,
      { kind: 'commitToGit', state: 'failed' },
    );
    assert.equal(
      (await json(m, 'rewind_time_to_restore_seconds')).filter(
        (v) => v.metricName === 'rewind_time_to_restore_seconds_count',
      ).length,
      0,
    );
  });

  it('pause gauges are replaced by each reading, by lease state', async () => {
    const m = new RewindMetrics({ processMetrics: false });
    const lease = { by: 'alice', reason: 'r', runId: 'rewind/users-api/prod/1', pausedAt: at(0), expiresAt: at(3600) };
    m.setPauses(
      [
        { app: 'users-api', env: 'prod', engine: 'argocd argocd/users-api-prod', lease },
        { app: 'users-api', env: 'staging', engine: 'argocd argocd/users-api-staging', lease, flag: 'lease-expired' },
        { app: 'billing-worker', env: 'prod', engine: 'flux flux-system/billing-worker-prod', flag: 'no-lease' },
        { app: 'billing-worker', env: 'dev', engine: 'flux flux-system/billing-worker-dev', error: 'forbidden' },
      ],
      new Date(t0),
    );
    assert.deepEqual(
      (await json(m, 'rewind_autosync_paused')).map((v) => v.labels),
      [
        { app: 'users-api', env: 'prod', engine: 'argocd', lease: 'active' },
        { app: 'users-api', env: 'staging', engine: 'argocd', lease: 'expired' },
        { app: 'billing-worker', env: 'prod', engine: 'flux', lease: 'none' },
      ],
    );
    assert.equal((await json(m, 'rewind_autosync_paused_by_rewind'))[0]?.value, 2);
    assert.equal((await json(m, 'rewind_autosync_pause_check_errors'))[0]?.value, 1);
    assert.equal((await json(m, 'rewind_autosync_pauses_checked_timestamp_seconds'))[0]?.value, t0 / 1000);
    m.setPauses([]);
    assert.deepEqual(await json(m, 'rewind_autosync_paused'), [], 'a resumed target disappears');
    assert.equal((await json(m, 'rewind_autosync_paused_by_rewind'))[0]?.value, 0);
  });

  it('DORA gauges are replaced by each computation: counts, rate, quantiles in seconds', async () => {
    const m = new RewindMetrics({ processMetrics: false });
    const report = (app: string, over: Partial<DoraReport['keys']> = {}): DoraReport => ({
      app,
      env: 'prod',
      from: at(-86_400),
      to: at(0),
      failureWindowMs: 86_400_000,
      promotions: [],
      restores: [],
      notes: [],
      keys: {
        deploymentFrequency: { deployed: 4, days: 1, perDay: 4, perWeek: 28 },
        leadTime: { count: 4, medianMs: 90_000, p90Ms: 300_000, untimed: 0 },
        changeFailureRate: { failed: 1, deployed: 4, rate: 0.25 },
        timeToRestore: { count: 1, medianMs: 420_000, p90Ms: 420_000, notRestored: 0, open: 0 },
        ...over,
      },
    });
    m.setDora(
      [
        report('users-api'),
        report('billing-worker', {
          deploymentFrequency: { deployed: 0, days: 1, perDay: 0, perWeek: 0 },
          leadTime: { count: 0, untimed: 0 },
          changeFailureRate: { failed: 0, deployed: 0 },
          timeToRestore: { count: 0, notRestored: 0, open: 0 },
        }),
      ],
      86_400_000,
      1,
      new Date(t0),
    );
    const values = async (name: string) => (await json(m, name)).map((v) => [v.labels, v.value]);
    assert.deepEqual(await values('rewind_dora_deployments'), [
      [{ app: 'users-api', env: 'prod' }, 4],
      [{ app: 'billing-worker', env: 'prod' }, 0],
    ]);
    assert.deepEqual(
      await values('rewind_dora_change_failure_rate'),
      [[{ app: 'users-api', env: 'prod' }, 0.25]],
      'no rate without deployments',
    );
    assert.deepEqual(await values('rewind_dora_lead_time_seconds'), [
      [{ app: 'users-api', env: 'prod', quantile: '0.5' }, 90],
      [{ app: 'users-api', env: 'prod', quantile: '0.9' }, 300],
    ]);
    assert.deepEqual(await values('rewind_dora_time_to_restore_seconds'), [
      [{ app: 'users-api', env: 'prod', quantile: '0.5' }, 420],
      [{ app: 'users-api', env: 'prod', quantile: '0.9' }, 420],
    ]);
    assert.equal((await json(m, 'rewind_dora_errors'))[0]?.value, 1);
    assert.equal((await json(m, 'rewind_dora_window_seconds'))[0]?.value, 86_400);
    assert.equal((await json(m, 'rewind_dora_computed_timestamp_seconds'))[0]?.value, t0 / 1000);
    m.setDora([], 86_400_000, 0);
    assert.deepEqual(await values('rewind_dora_deployments'), [], 'a target no longer configured disappears');
  });

  it('drill scores are ratios with the time of the drill', async () => {
    const m = new RewindMetrics({ processMetrics: false });
    m.recordDrill({ app: 'users-api', env: 'staging', drill: 'rollback', score: 0.75, at: new Date(t0) });
    assert.deepEqual(
      (await json(m, 'rewind_drill_score')).map((v) => [v.labels, v.value]),
      [[{ app: 'users-api', env: 'staging', drill: 'rollback' }, 0.75]],
    );
    assert.equal((await json(m, 'rewind_drill_last_run_timestamp_seconds'))[0]?.value, t0 / 1000);
    assert.throws(() => m.recordDrill({ app: 'a', env: 'e', drill: 'd', score: 75 }), /between 0 and 1/);
    assert.throws(() => m.recordDrill({ app: 'a', env: 'e', drill: 'd', score: Number.NaN }), /between 0 and 1/);
  });

  it('renders the Prometheus text format; each instance has its own registry', async () => {
    const a = new RewindMetrics(),
      b = new RewindMetrics();
    a.runStarted('rollback', 'cli');
    const { contentType, body } = await a.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(body, /^rewind_runs_started_total\{runbook="rollback",source="cli"\} 1$/m);
    assert.match(body, /^# TYPE rewind_process_cpu_seconds_total counter$/m);
    assert.doesNotMatch((await b.render()).body, /^rewind_runs_started_total\{/m);
  });
});
