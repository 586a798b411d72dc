/**
 * The four DORA keys from exact records (src/lib/dora/model.ts). Pure: the same records give the
 * same report, which is what lets a test check it against a known history.
 *
 * - Deployment frequency: promotions committed in the window that the engine applied, per day.
 * - Lead time for changes: from the promotion's commit to the first engine deployment that contains
 *   it and did not fail its health checks.
 * - Change failure rate: deployed promotions that a rollback run, an emergency run or a revert
 *   followed within the failure window, over deployed promotions.
 * - Time to restore: rewind's restored runs, from detection (the promotion watch's first failed
 *   verification), else the request, to health held for the whole window.
 */
import type {
  ConfigChange,
  DoraInput,
  DoraReport,
  EngineDeployment,
  PromotionFailure,
  PromotionRow,
  RestoreRow,
  Stat,
} from './model.js';
import { TERMINAL_PHASES } from '../../../workflows/types.js';

const DAY_MS = 86_400_000;
/** Runs that never acted: a person said no, nobody approved in time, or it was called off. */
const NOT_ACTED = new Set(['rejected', 'expired', 'cancelled']);

/** Phases of a run that has ended; a restore still in progress is neither restored nor failed to. */
const ENDED = new Set<string>([...TERMINAL_PHASES, 'terminated', 'timed_out', 'failed']);

const ms = (iso: string): number => Date.parse(iso);

/** Nearest-rank percentile (q in (0, 1]): always one of the measured values, never an interpolation. */
export function percentile(sorted: readonly number[], q: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const median = percentile(sorted, 0.5),
    p90 = percentile(sorted, 0.9);
  return {
    count: sorted.length,
    ...(median !== undefined ? { medianMs: median } : {}),
    ...(p90 !== undefined ? { p90Ms: p90 } : {}),
  };
}

/**
 * `revertedBy`: the commits that revert p. A revision after one of them descends from p but no
 * longer carries its change, so it did not deploy p.
 */
function placePromotion(
  p: ConfigChange,
  deployments: readonly EngineDeployment[],
  revertedBy: readonly string[],
): PromotionRow {
  const row: PromotionRow = { sha: p.sha, subject: p.subject, author: p.author, committedAt: p.at };
  const holding = deployments.filter(
    (d) => d.includes.includes(p.sha) && !revertedBy.some((r) => d.includes.includes(r)),
  );
  // A record older than the commit is about other content (Flux keys its history by what was applied).
  const timed = holding.filter((d) => d.at !== undefined && ms(d.at) >= ms(p.at)).sort((a, b) => ms(a.at!) - ms(b.at!));
  const good = timed.find((d) => d.healthy !== false);
  if (good) {
    row.deployedAt = good.at!;
    row.revision = good.revision;
    row.deploySource = good.source;
    row.leadTimeMs = ms(good.at!) - ms(p.at);
  } else if (timed[0]) {
    row.unhealthy = true;
    row.revision = timed[0].revision;
    row.deploySource = timed[0].source;
  } else if (holding[0]) {
    row.deployedUntimed = true;
    row.revision = holding[0].revision;
    row.deploySource = holding[0].source;
  }
  return row;
}

const isDeployed = (r: PromotionRow): boolean => !!(r.deployedAt || r.unhealthy || r.deployedUntimed);

/** When a promotion started to count as live: its deployment, else its first failed apply, else its commit. */
function liveFrom(r: PromotionRow, deployments: readonly EngineDeployment[]): number {
  if (r.deployedAt) return ms(r.deployedAt);
  const applied = deployments.find((d) => d.revision === r.revision && d.at);
  return applied?.at ? ms(applied.at) : ms(r.committedAt);
}

export function doraReport(input: DoraInput): DoraReport {
  const from = ms(input.from),
    to = ms(input.to);
  const inWindow = (iso: string) => ms(iso) >= from && ms(iso) <= to;
  const promotions = input.changes
    .filter((c) => c.kind === 'promotion' && inWindow(c.at))
    .sort((a, b) => ms(a.at) - ms(b.at))
    .map((p) =>
      placePromotion(
        p,
        input.deployments,
        input.changes.filter((c) => c.reverts === p.sha).map((c) => c.sha),
      ),
    );
  const bySha = new Map(promotions.map((r) => [r.sha, r]));

  // Every signal that a promotion failed, earliest first: the first one inside the window names it.
  const signals: Array<{ sha: string; failure: PromotionFailure }> = [];
  for (const run of input.runs) {
    if (NOT_ACTED.has(run.phase)) continue;
    const ref = `${run.workflowId} (run ${run.runId})`;
    if (run.runbook === 'rollback' && run.promotion)
      signals.push({ sha: run.promotion, failure: { by: 'rollback run', ref, at: run.startedAt } });
    if (run.runbook === 'emergency') {
      // What was live when the emergency began: the newest promotion deployed before it.
      const live = promotions
        .filter((r) => isDeployed(r) && liveFrom(r, input.deployments) <= ms(run.startedAt))
        .at(-1);
      if (live) signals.push({ sha: live.sha, failure: { by: 'emergency run', ref, at: run.startedAt } });
    }
  }
  for (const c of input.changes)
    if (c.reverts && c.kind === 'revert')
      signals.push({ sha: c.reverts, failure: { by: 'revert', ref: c.sha, at: c.at } });
  signals.sort((a, b) => ms(a.failure.at) - ms(b.failure.at));
  for (const { sha, failure } of signals) {
    const row = bySha.get(sha);
    if (!row || row.failure || !isDeployed(row)) continue;
    // From the commit: a rollback may start while the engine is still finishing the bad sync.
    const live = liveFrom(row, input.deployments);
    if (ms(failure.at) >= ms(row.committedAt) && ms(failure.at) <= live + input.failureWindowMs) row.failure = failure;
  }

  const restores: RestoreRow[] = input.runs
    .filter((r) => inWindow(r.startedAt) && !NOT_ACTED.has(r.phase))
    .sort((a, b) => ms(a.startedAt) - ms(b.startedAt))
    .map((r): RestoreRow => {
      const begin = r.detectedAt && ms(r.detectedAt) <= ms(r.startedAt) ? r.detectedAt : r.startedAt;
      return {
        workflowId: r.workflowId,
        runId: r.runId,
        runbook: r.runbook,
        phase: r.phase,
        from: begin,
        fromKind: begin === r.detectedAt ? 'detected' : 'requested',
        ...(r.restoredAt && r.phase === 'restored'
          ? { restoredAt: r.restoredAt, timeToRestoreMs: ms(r.restoredAt) - ms(begin) }
          : {}),
        ...(r.promotion ? { promotion: r.promotion } : {}),
        ...(r.commit ? { commit: r.commit } : {}),
      };
    });

  const deployed = promotions.filter(isDeployed);
  const days = Math.max(to - from, 1) / DAY_MS;
  const failed = deployed.filter((r) => r.failure).length;
  const untimed = deployed.filter((r) => r.leadTimeMs === undefined).length;
  const restoreTimes = restores.flatMap((r) => (r.timeToRestoreMs !== undefined ? [r.timeToRestoreMs] : []));
  const notes: string[] = [];
  if (untimed)
    notes.push(
      `${untimed} deployed promotion(s) have no lead time: the engine's history no longer holds ` +
        `when they were applied, or their health checks failed`,
    );
  if (input.deployments.some((d) => d.source === 'argocd status.history'))
    notes.push('Argo CD records when a sync finished, not when health came back: its lead times end at the sync');
  const notDeployed = promotions.length - deployed.length;
  if (notDeployed) notes.push(`${notDeployed} promotion(s) committed in the window are not deployed`);
  return {
    app: input.app,
    env: input.env,
    from: input.from,
    to: input.to,
    failureWindowMs: input.failureWindowMs,
    keys: {
      deploymentFrequency: {
        deployed: deployed.length,
        days,
        perDay: deployed.length / days,
        perWeek: (deployed.length / days) * 7,
      },
      leadTime: { ...stat(deployed.flatMap((r) => (r.leadTimeMs !== undefined ? [r.leadTimeMs] : []))), untimed },
      changeFailureRate: {
        failed,
        deployed: deployed.length,
        ...(deployed.length ? { rate: failed / deployed.length } : {}),
      },
      timeToRestore: {
        ...stat(restoreTimes),
        notRestored: restores.filter((r) => r.timeToRestoreMs === undefined && ENDED.has(r.phase)).length,
        open: restores.filter((r) => !ENDED.has(r.phase)).length,
      },
    },
    promotions,
    restores,
    notes,
  };
}
