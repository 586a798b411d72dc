/**
 * rewind's Prometheus metrics: one registry per process (never prom-client's global one, so tests
 * and several worlds in one process do not collide), and one method per thing that happens.
 * Label values are bounded sets (runbook names, step kinds, run phases, configured apps), never
 * free text such as reasons or commit SHAs.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DoraReport } from '../dora/model.js';
import type { PauseRow } from '../pauses.js';
import type { RunRequest, RunStatus } from '../../../workflows/types.js';

/** Seconds, from a quick Kubernetes read up to a two-hour wait for health (the longest activity timeout). */
const STEP_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
/** Time to restore: the number an incident review asks for first; SLO-style buckets from 30 s to 4 h. */
const RESTORE_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

/** How a run that is no longer running ended: its phase when the workflow returned, else Temporal's close status. */
export type RunOutcome = RunStatus['phase'] | 'terminated' | 'timed-out' | 'workflow-failed' | 'workflow-cancelled';

/** Who asked for a run; 'unknown' when its input could not be read. */
export type RunSource = RunRequest['source'] | 'unknown';

export interface DrillResult {
  app: string;
  env: string;
  drill: string /** 0 (nothing held) to 1 (every check passed). */;
  score: number;
  at?: Date;
}

export interface RewindMetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC) with the rewind_ prefix. Default true. */
  processMetrics?: boolean;
}

export class RewindMetrics {
  readonly registry = new Registry();

  private readonly runsStarted = new Counter({
    name: 'rewind_runs_started_total',
    help: 'Runbook runs started, by runbook and source (slack, cli, drill)',
    labelNames: ['runbook', 'source'] as const,
    registers: [this.registry],
  });

  private readonly runsFinished = new Counter({
    name: 'rewind_runs_finished_total',
    help:
      'Runbook runs that ended, by runbook, source (slack, cli, drill) and outcome (the ' +
      'run phase: restored, not-restored, failed, cancelled, rejected, expired, resolved, ' +
      'abandoned; or terminated / timed-out when the workflow was stopped from outside)',
    labelNames: ['runbook', 'source', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly stepDuration = new Histogram({
    name: 'rewind_step_duration_seconds',
    help:
      'Duration of runbook steps by step kind and how the step ended (done or failed), ' +
      'from the workflow timeline of finished runs; approve includes the wait for a person',
    labelNames: ['kind', 'state'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  private readonly timeToRestore = new Histogram({
    name: 'rewind_time_to_restore_seconds',
    help:
      'From the request to health held for the whole window, for runs that ended ' +
      'restored, by runbook and source (drill runs are game days, not incidents)',
    labelNames: ['runbook', 'source'] as const,
    buckets: RESTORE_BUCKETS,
    registers: [this.registry],
  });

  private readonly activityDuration = new Histogram({
    name: 'rewind_activity_duration_seconds',
    help:
      'Duration of each activity attempt on this worker (Kubernetes, ' +
      'Git, Slack), by activity and outcome (completed, failed, cancelled)',
    labelNames: ['activity', 'outcome'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });

  private readonly paused = new Gauge({
    name: 'rewind_autosync_paused',
    help:
      'Configured app environments whose auto-sync is off (1 per target), by who holds ' +
      'it: lease=active (a rewind run holds it), expired (a rewind lease past its ' +
      'expiry), none (paused by hand, or a terminated run: a live change Git may not hold)',
    labelNames: ['app', 'env', 'engine', 'lease'] as const,
    registers: [this.registry],
  });

  private readonly pausedByRewind = new Gauge({
    name: 'rewind_autosync_paused_by_rewind',
    help: 'App environments with auto-sync paused under a rewind lease (active or expired)',
    registers: [this.registry],
  });

  private readonly pauseCheckErrors = new Gauge({
    name: 'rewind_autosync_pause_check_errors',
    help: 'App environments whose engine object could not be read at the last pause check',
    registers: [this.registry],
  });

  private readonly pausesCheckedAt = new Gauge({
    name: 'rewind_autosync_pauses_checked_timestamp_seconds',
    help: 'When the pause leases were last read (alert when this stops moving)',
    registers: [this.registry],
  });

  private readonly drillScore = new Gauge({
    name: 'rewind_drill_score',
    help: 'Score of the last game-day drill of a target, 0 (nothing held) to 1 (every check passed)',
    labelNames: ['app', 'env', 'drill'] as const,
    registers: [this.registry],
  });

  private readonly drillLastRun = new Gauge({
    name: 'rewind_drill_last_run_timestamp_seconds',
    help: 'When the last game-day drill of a target ended (alert on drills that stopped running)',
    labelNames: ['app', 'env', 'drill'] as const,
    registers: [this.registry],
  });

  // DORA keys per app/env over a trailing window (src/lib/dora), recomputed on a timer.
  private readonly doraDeployments = new Gauge({
    name: 'rewind_dora_deployments',
    help: 'Promotions committed in the DORA window that the engine applied (deployment frequency = this / window)',
    labelNames: ['app', 'env'] as const,
    registers: [this.registry],
  });

  private readonly doraFailed = new Gauge({
    name: 'rewind_dora_failed_deployments',
    help:
      'Deployed promotions of the DORA window that a rollback, emergency run ' +
      'or revert followed within the failure window',
    labelNames: ['app', 'env'] as const,
    registers: [this.registry],
  });

  private readonly doraFailureRate = new Gauge({
    name: 'rewind_dora_change_failure_rate',
    help: 'rewind_dora_failed_deployments / rewind_dora_deployments (absent without deployments)',
    labelNames: ['app', 'env'] as const,
    registers: [this.registry],
  });

  private readonly doraLeadTime = new Gauge({
    name: 'rewind_dora_lead_time_seconds',
    help: "Lead time for changes, commit to the engine's deployment, by quantile (nearest rank) over the DORA window",
    labelNames: ['app', 'env', 'quantile'] as const,
    registers: [this.registry],
  });

  private readonly doraRestore = new Gauge({
    name: 'rewind_dora_time_to_restore_seconds',
    help: "Time to restore of rewind's runs, detection (else request) to health held, by quantile over the DORA window",
    labelNames: ['app', 'env', 'quantile'] as const,
    registers: [this.registry],
  });

  private readonly doraWindow = new Gauge({
    name: 'rewind_dora_window_seconds',
    help: 'The trailing window the rewind_dora_* gauges cover',
    registers: [this.registry],
  });

  private readonly doraComputedAt = new Gauge({
    name: 'rewind_dora_computed_timestamp_seconds',
    help: 'When the DORA keys were last computed (alert when this stops moving)',
    registers: [this.registry],
  });

  private readonly doraErrors = new Gauge({
    name: 'rewind_dora_errors',
    help: 'App environments whose DORA records could not be read at the last computation',
    registers: [this.registry],
  });

  constructor(opts: RewindMetricsOptions = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'rewind_' });
  }

  /** `source` is who asked (RunRequest.source: slack, cli, drill), so game days never read as incidents. */
  runStarted(runbook: string, source: RunSource): void {
    this.runsStarted.inc({ runbook, source });
  }

  /** A run that returned its status: outcome, every step that ran, and the time to restore. */
  runFinished(status: RunStatus, source: RunSource): void {
    this.runsFinished.inc({ runbook: status.runbook, source, outcome: status.phase });
    for (const step of status.steps) {
      if (!step.startedAt || !step.endedAt || (step.state !== 'done' && step.state !== 'failed')) continue;
      const seconds = (Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0)
        this.stepDuration.observe({ kind: step.kind, state: step.state }, seconds);
    }
    if (status.phase === 'restored' && status.timeToRestoreMs !== undefined && status.timeToRestoreMs >= 0) {
      this.timeToRestore.observe({ runbook: status.runbook, source }, status.timeToRestoreMs / 1000);
    }
  }

  /** A run stopped from outside the workflow (terminated, timed out): no status to read, only how it ended. */
  runClosed(runbook: string, source: RunSource, outcome: Exclude<RunOutcome, RunStatus['phase']>): void {
    this.runsFinished.inc({ runbook, source, outcome });
  }

  activityFinished(activity: string, outcome: 'completed' | 'failed' | 'cancelled', seconds: number): void {
    this.activityDuration.observe({ activity, outcome }, seconds);
  }

  /** Replaces the pause gauges with one reading of every configured target (src/lib/pauses.ts listPauses). */
  setPauses(rows: PauseRow[], at = new Date()): void {
    this.paused.reset();
    let byRewind = 0,
      errors = 0;
    for (const r of rows) {
      if (r.error) {
        errors++;
        continue;
      }
      const lease = !r.lease ? 'none' : r.flag === 'lease-expired' ? 'expired' : 'active';
      if (r.lease) byRewind++;
      this.paused.set({ app: r.app, env: r.env, engine: r.engine.split(' ')[0] ?? r.engine, lease }, 1);
    }
    this.pausedByRewind.set(byRewind);
    this.pauseCheckErrors.set(errors);
    this.pausesCheckedAt.set(at.getTime() / 1000);
  }

  /** Replaces the DORA gauges with one computation over every configured target; `errors` could not be read. */
  setDora(reports: readonly DoraReport[], windowMs: number, errors: number, at = new Date()): void {
    for (const g of [this.doraDeployments, this.doraFailed, this.doraFailureRate, this.doraLeadTime, this.doraRestore])
      g.reset();
    for (const r of reports) {
      const t = { app: r.app, env: r.env };
      const k = r.keys;
      this.doraDeployments.set(t, k.deploymentFrequency.deployed);
      this.doraFailed.set(t, k.changeFailureRate.failed);
      if (k.changeFailureRate.rate !== undefined) this.doraFailureRate.set(t, k.changeFailureRate.rate);
      for (const [q, v] of [
        ['0.5', k.leadTime.medianMs],
        ['0.9', k.leadTime.p90Ms],
      ] as const)
        if (v !== undefined) this.doraLeadTime.set({ ...t, quantile: q }, v / 1000);
      for (const [q, v] of [
        ['0.5', k.timeToRestore.medianMs],
        ['0.9', k.timeToRestore.p90Ms],
      ] as const)
        if (v !== undefined) this.doraRestore.set({ ...t, quantile: q }, v / 1000);
    }
    this.doraWindow.set(windowMs / 1000);
    this.doraErrors.set(errors);
    this.doraComputedAt.set(at.getTime() / 1000);
  }

  /** For game-day drills: the score of the drill that just ended. */
  recordDrill(result: DrillResult): void {
    if (!(result.score >= 0 && result.score <= 1))
      throw new RangeError(`a drill score is between 0 and 1, got ${result.score}`);
    const labels = { app: result.app, env: result.env, drill: result.drill };
    this.drillScore.set(labels, result.score);
    this.drillLastRun.set(labels, (result.at ?? new Date()).getTime() / 1000);
  }

  /** The exposition text and its content type, for an HTTP handler. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
