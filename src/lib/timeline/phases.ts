/**
 * The incident's phases and durations, derived only from what the document holds (runs, spans,
 * events), so both sources give the same phases for the same run. Across several runs of one
 * incident a phase is reached when the first run reaches it; `resolved` waits for every run.
 *
 *   detected            earliest signal: the incident start given, the first alert (the promotion
 *                       watch's first failed verification is one), Kubernetes
 *                       Warning event or engine health transition into Degraded, else the
 *                       first run's start
 *   acknowledged        the first run requested
 *   mitigated           live restored: rollback's verify-health `healthyAt`; the emergency path's
 *                       verify-service end (the first verifyHealth after patchLive)
 *   git-converged       revert pushed (revertPromotion done); emergency gate passed
 *                       (waitForGitToMatchLive done), or a held run resolved
 *   auto-sync-restored  emergency resume done, or a held run resolved/abandoned; n/a for rollbacks
 *   resolved            no run open any more, and the last run with a good outcome ended
 */
import { ms } from './format.js';
import {
  GOOD_OUTCOMES,
  OPEN_OUTCOMES,
  PHASE_KEYS,
  PHASE_LABELS,
  type Durations,
  type Phase,
  type PhaseKey,
  type StepSpan,
  type TimelineEntry,
  type TimelineRun,
} from './model.js';

interface Candidate {
  at: string;
  basis: string;
  runId?: string;
}
type Found = Candidate | 'pending' | 'not-applicable';

const earliest = (cs: Candidate[]): Candidate | undefined =>
  cs.filter((c) => ms(c.at) !== undefined).sort((a, b) => ms(a.at)! - ms(b.at)!)[0];

export interface PhaseInput {
  runs: TimelineRun[];
  spans: StepSpan[];
  events: TimelineEntry[];
  detectedAt?: string;
}

export function derivePhases(input: PhaseInput): { phases: Phase[]; durations: Durations } {
  const { runs, spans, events } = input;
  const spansOf = (r: TimelineRun) => spans.filter((s) => s.runId === r.runId);
  const label = (r: TimelineRun) => `${r.app}/${r.env}`;
  const found: Record<PhaseKey, Found> = {
    detected: 'pending',
    acknowledged: 'pending',
    mitigated: 'pending',
    'git-converged': 'pending',
    'auto-sync-restored': 'pending',
    resolved: 'pending',
  };

  const firstRun = earliest(
    runs.map((r) => ({
      at: r.startedAt,
      basis: `${r.runbook} of ${label(r)} requested by ${r.requester}`,
      runId: r.runId,
    })),
  );
  const signals: Candidate[] = [];
  if (input.detectedAt) signals.push({ at: input.detectedAt, basis: 'incident start given' });
  const signal = events.find((e) => e.kind === 'alert' || (e.source === 'kubernetes' && e.severity === 'warning'));
  const what =
    signal?.kind === 'alert'
      ? signal.actor === 'rewind promotion watch'
        ? 'first failed verification of the promotion watch'
        : 'first alert'
      : signal?.summary.startsWith('Warning')
        ? 'first Kubernetes Warning'
        : 'first health degradation';
  if (signal) signals.push({ at: signal.at, basis: `${what}: ${signal.summary}` });
  if (firstRun) signals.push({ ...firstRun, basis: `no earlier signal: ${firstRun.basis}` });
  found.detected = earliest(signals) ?? 'pending';
  found.acknowledged = firstRun ?? 'pending';

  const mitigated: Candidate[] = [],
    git: Candidate[] = [],
    resumed: Candidate[] = [];
  let pauseRuns = 0;
  for (const r of runs) {
    const ss = spansOf(r);
    const patchAt = ss.findIndex((s) => s.kind === 'patchLive');
    const emergency = patchAt >= 0;
    const health = ss.find(
      (s, i) =>
        s.kind === 'verifyHealth' &&
        s.state === 'done' &&
        (!emergency || i > patchAt) &&
        healthyAt(events, r, s.step) !== undefined,
    );
    if (health) {
      const at = emergency ? health.end : healthyAt(events, r, health.step);
      if (at)
        mitigated.push({
          at,
          basis: emergency ? `${health.step} of ${label(r)} ended healthy` : `${health.step} healthyAt of ${label(r)}`,
          runId: r.runId,
        });
    }
    const revert = ss.find((s) => s.kind === 'revertPromotion' && s.state === 'done' && s.end);
    if (revert?.end)
      git.push({
        at: revert.end,
        basis: `revert ${(r.revertSha ?? '').slice(0, 7)} pushed for ${label(r)}`,
        runId: r.runId,
      });
    const gate = ss.find((s) => s.kind === 'waitForGitToMatchLive' && s.state === 'done' && s.end);
    if (gate?.end)
      git.push({
        at: gate.end,
        basis: `${gate.step} passed for ${label(r)}: Git renders the live change`,
        runId: r.runId,
      });
    if (ss.some((s) => s.kind === 'pauseAutoSync' && s.state === 'done')) {
      pauseRuns += 1;
      const resume = ss.find((s) => s.kind === 'resumeAutoSync' && s.state === 'done' && s.end);
      if (resume?.end) resumed.push({ at: resume.end, basis: `${resume.step} of ${label(r)}`, runId: r.runId });
      if ((r.outcome === 'resolved' || r.outcome === 'abandoned') && r.endedAt) {
        resumed.push({ at: r.endedAt, basis: `${label(r)} ${r.outcome}: auto-sync resumed`, runId: r.runId });
        if (r.outcome === 'resolved')
          git.push({
            at: r.endedAt,
            basis: `${label(r)} resolved: Git verified to hold the live change`,
            runId: r.runId,
          });
      }
    }
  }
  found.mitigated = earliest(mitigated) ?? 'pending';
  found['git-converged'] = earliest(git) ?? 'pending';
  // A rollback never pauses auto-sync, and an emergency run that found it off leaves it off.
  found['auto-sync-restored'] = earliest(resumed) ?? (pauseRuns === 0 ? 'not-applicable' : 'pending');

  const open = runs.some((r) => r.execution === 'running' || OPEN_OUTCOMES.includes(r.outcome));
  const good = runs
    .filter((r) => GOOD_OUTCOMES.includes(r.outcome) && r.endedAt)
    .sort((a, b) => ms(a.endedAt)! - ms(b.endedAt)!)
    .at(-1);
  if (!open && good?.endedAt)
    found.resolved = {
      at: good.endedAt,
      basis: `${good.runbook} of ${label(good)} ended ${good.outcome}`,
      runId: good.runId,
    };

  const phases = orderPhases(found);
  const detected = ms(phases.find((p) => p.key === 'detected')?.at);
  const since = (k: PhaseKey) => {
    const at = ms(phases.find((p) => p.key === k && p.state === 'reached')?.at);
    return at !== undefined && detected !== undefined ? at - detected : undefined;
  };
  const durations: Durations = {};
  const put = (key: keyof Durations, v: number | undefined) => {
    if (v !== undefined) durations[key] = v;
  };
  put('timeToAcknowledgeMs', since('acknowledged'));
  put('timeToMitigateMs', since('mitigated'));
  put('timeToGitConvergedMs', since('git-converged'));
  put('timeToRestoreMs', since('resolved'));
  return { phases, durations };
}

function healthyAt(events: TimelineEntry[], r: TimelineRun, step: string): string | undefined {
  const e = events.find((x) => x.runId === r.runId && x.step === step && typeof x.evidence?.healthyAt === 'string');
  return e?.evidence?.healthyAt as string | undefined;
}

/** Reached phases by time (ties in canonical order), then the others in canonical order. */
function orderPhases(found: Record<PhaseKey, Found>): Phase[] {
  const reached: Phase[] = [],
    rest: Phase[] = [];
  for (const key of PHASE_KEYS) {
    const f = found[key];
    if (typeof f === 'object')
      reached.push({
        key,
        label: PHASE_LABELS[key],
        state: 'reached',
        at: f.at,
        basis: f.basis,
        ...(f.runId ? { runId: f.runId } : {}),
      });
    else
      rest.push({
        key,
        label: PHASE_LABELS[key],
        state: f,
        basis: f === 'not-applicable' ? 'no run of this incident paused auto-sync' : 'not reached yet',
      });
  }
  reached.sort((a, b) => ms(a.at)! - ms(b.at)! || PHASE_KEYS.indexOf(a.key) - PHASE_KEYS.indexOf(b.key));
  const detected = ms(reached.find((p) => p.key === 'detected')?.at);
  let prev: number | undefined;
  for (const p of reached) {
    const at = ms(p.at)!;
    if (detected !== undefined) p.sinceDetectedMs = at - detected;
    if (prev !== undefined) p.sincePreviousMs = at - prev;
    prev = at;
  }
  return [...reached, ...rest];
}
