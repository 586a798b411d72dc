/**
 * Verification beyond Synced + Healthy: the checks an environment declares in rewind.yaml
 * (`verification:`), which runbook steps (verifyMetric, verifyProbe, verifyAnalysis) and the
 * promotion watch run, and the verdicts they reach. Pure types and functions only: bundled into
 * the workflow sandbox and imported by the activities, the config loader and Slack.
 *
 * A metric or probe check is judged over a window, both ways, so its verdict always rests on a
 * whole window of consistent evidence taken after the change it judges:
 * - it PASSES once the condition has held at every sample for `for`;
 * - it FAILS once the condition has been breached at every sample for `for` (a Prometheus alert's
 *   `for:`): "error rate 4.2% > 1% for 2m";
 * - a value that keeps flapping decides neither; at `within` (default 3 × `for`) it FAILS as
 *   unsettled, because a promotion that cannot hold its threshold is not verified.
 * A sample without data (an empty PromQL result, a probe that cannot connect counts as a breach)
 * restarts both windows. An analysis check reads the verdict of Argo Rollouts or Flagger.
 */

/** A PromQL query whose value must stay at or below `max` (and/or at or above `min`). */
export interface MetricCheck {
  name: string;
  kind: 'prometheus';
  /** Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090. */
  url: string;
  query: string;
  max?: number;
  min?: number;
  /** How long the condition must hold (or be breached) to decide. */
  forMs: number;
  /** Time between samples. @default 15 s */
  everyMs: number;
  /** No decision by then fails the check as unsettled. @default 3 × forMs */
  withinMs: number;
  /** How values are shown: `percent` prints 0.042 as 4.2%. @default number */
  format?: 'number' | 'percent';
}

/** An HTTP GET that must answer 2xx. */
export interface ProbeCheck {
  name: string;
  kind: 'http';
  url: string;
  forMs: number;
  everyMs: number;
  withinMs: number;
}

/** The verdict of Argo Rollouts (newest AnalysisRun of a Rollout) or Flagger (a Canary's phase). */
export interface AnalysisCheck {
  name: string;
  kind: 'analysis';
  source: 'argo-rollouts' | 'flagger';
  /** The Rollout's or the Canary's name, in the target's namespace. */
  object: string;
  /** No verdict by then fails the check. @default 15 min */
  withinMs: number;
}

export type VerificationCheck = MetricCheck | ProbeCheck | AnalysisCheck;

/** A target's verification as snapshotted from rewind.yaml. */
export interface TargetVerification {
  checks: VerificationCheck[];
  /**
   * The trigger committed before the incident: when one of these checks fails after a
   * promotion, rewind rolls the promotion back itself, approval waived by this policy.
   */
  autoRollback?: { when: string[]; cooldownMs: number };
  /** rewind.yaml's prometheus.url: where verifyMetric runbook steps ask by default. */
  prometheusUrl?: string;
}

/**
 * How a check ended: `held` passed; `breached` failed its threshold for the window; `unsettled`
 * neither by `within`; `error` could not be judged.
 */
export type CheckReason = 'held' | 'breached' | 'unsettled' | 'error';

/**
 * The gate every promotion's verification starts with: the rollout must become Synced + Healthy
 * within the environment's health timeout. autoRollback.when may name it.
 */
export const HEALTH_CHECK = 'health';

export interface CheckVerdict {
  name: string;
  kind: VerificationCheck['kind'] | 'health';
  passed: boolean;
  reason: CheckReason;
  /** One line, e.g. `error rate 4.2% > 1% for 2m`. */
  message: string;
  /** When the verdict was reached (ISO): for a failure, the first failed verification. */
  at: string;
  /** When the window that decided began: the first breaching (or holding) sample. */
  since?: string;
  /** The last value seen (metric checks). */
  value?: number;
  samples: number;
}

/** A sample of a metric or probe check: `ok` within the threshold, `breach` past it, `none` no data. */
export type SampleState = 'ok' | 'breach' | 'none';

/** The two windows a metric or probe check keeps; heartbeated so a retry resumes them. */
export interface CheckWindows {
  okSince?: number;
  breachSince?: number;
  started: number;
  samples: number;
  last?: number;
}

/** Adds one sample at `now`; returns the decision once a window is full. Pure. */
export function addSample(
  w: CheckWindows,
  state: SampleState,
  now: number,
  forMs: number,
  value?: number,
): 'held' | 'breached' | undefined {
  w.samples += 1;
  if (value !== undefined) w.last = value;
  if (state === 'none') {
    w.okSince = undefined;
    w.breachSince = undefined;
    return undefined;
  }
  if (state === 'ok') {
    w.breachSince = undefined;
    w.okSince ??= now;
    return now - w.okSince >= forMs ? 'held' : undefined;
  }
  w.okSince = undefined;
  w.breachSince ??= now;
  return now - w.breachSince >= forMs ? 'breached' : undefined;
}

/** Whether a metric value is within the check's threshold. */
export const withinThreshold = (c: Pick<MetricCheck, 'max' | 'min'>, v: number): boolean =>
  (c.max === undefined || v <= c.max) && (c.min === undefined || v >= c.min);

/** "error-rate" → "error rate": check names read as words in messages. */
export const checkLabel = (name: string): string => name.replace(/[-_]+/g, ' ');

export function formatValue(v: number, format: MetricCheck['format']): string {
  if (!Number.isFinite(v)) return String(v);
  if (format === 'percent') return `${+(v * 100).toPrecision(3)}%`;
  return String(+v.toPrecision(4));
}

/** "2m", "90s", "1h30m": a window as people wrote it. */
export function shortDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60),
    rest = s % 60;
  if (m < 60) return rest ? `${m}m${rest}s` : `${m}m`;
  const h = Math.floor(m / 60),
    mm = m % 60;
  return mm ? `${h}h${mm}m` : `${h}h`;
}

/** The threshold as a person reads it: "≤ 1%", "≥ 50", "between 1 and 5". */
function threshold(c: MetricCheck): string {
  const f = (v: number) => formatValue(v, c.format);
  if (c.max !== undefined && c.min !== undefined) return `between ${f(c.min)} and ${f(c.max)}`;
  return c.max !== undefined ? `≤ ${f(c.max)}` : `≥ ${f(c.min!)}`;
}

/** The one-line verdict of a metric check: "error rate 4.2% > 1% for 2m". */
export function metricMessage(c: MetricCheck, reason: CheckReason, value: number | undefined): string {
  const label = checkLabel(c.name);
  const v = value === undefined ? 'no data' : formatValue(value, c.format);
  const f = (x: number) => formatValue(x, c.format);
  switch (reason) {
    case 'held':
      return `${label} ${v} held ${threshold(c)} for ${shortDuration(c.forMs)}`;
    case 'breached': {
      const past =
        value !== undefined && c.max !== undefined && value > c.max
          ? `> ${f(c.max)}`
          : value !== undefined && c.min !== undefined && value < c.min
            ? `< ${f(c.min)}`
            : `not ${threshold(c)}`;
      return `${label} ${v} ${past} for ${shortDuration(c.forMs)}`;
    }
    case 'unsettled':
      return (
        `${label} did not hold ${threshold(c)} for ${shortDuration(c.forMs)}` +
        ` within ${shortDuration(c.withinMs)} (last ${v})`
      );
    case 'error':
      return `${label} could not be judged (last ${v})`;
  }
}

/** The one-line verdict of a probe check. */
export function probeMessage(c: ProbeCheck, reason: CheckReason, last: string): string {
  const label = checkLabel(c.name);
  switch (reason) {
    case 'held':
      return `${label}: ${c.url} answered 2xx for ${shortDuration(c.forMs)}`;
    case 'breached':
      return `${label}: ${c.url} failed for ${shortDuration(c.forMs)} (${last})`;
    case 'unsettled':
      return (
        `${label}: ${c.url} did not answer 2xx ` +
        `for ${shortDuration(c.forMs)} within ${shortDuration(c.withinMs)} (last ${last})`
      );
    case 'error':
      return `${label}: ${c.url} could not be probed (${last})`;
  }
}

/** Argo Rollouts AnalysisRun phases and Flagger Canary phases, read as a verdict. Pure. */
export function analysisPhaseVerdict(
  source: AnalysisCheck['source'],
  phase: string | undefined,
): 'passed' | 'failed' | 'pending' {
  if (!phase) return 'pending';
  if (source === 'argo-rollouts') {
    if (phase === 'Successful') return 'passed';
    // Inconclusive stops a Rollout until a person decides: not a verification.
    if (phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive') return 'failed';
    return 'pending';
  }
  if (phase === 'Succeeded') return 'passed';
  if (phase === 'Failed') return 'failed';
  return 'pending';
}

/**
 * Why a run was started by the promotion watch: the promotion that synced and failed its
 * verification, the first failed verification (the incident's detection), and, when
 * autoRollback started the run itself, the policy and which of its checks fired.
 */
export interface PromotionTrigger {
  /** The promotion commit (full sha) that synced and failed verification. */
  promotion: string;
  subject?: string;
  /** When the promotion watch saw the engine synced at it. */
  syncedAt: string;
  /** The first failed verification: the incident's detection. */
  detectedAt: string;
  /** The checks that failed, with their verdicts. */
  failed: Array<{ name: string; message: string; at: string }>;
  /** Set when rewind started the run itself: the autoRollback policy's checks, and those that fired it. */
  policy?: { when: string[]; fired: string[] };
}

/** The requester of runs autoRollback starts: not a person, and never mistaken for one. */
export const AUTO_ROLLBACK_PERSON = (app: string, env: string) => ({
  handle: 'rewind-auto',
  name: `rewind (autoRollback policy of ${app}/${env})`,
  email: 'rewind-auto@localhost',
});

/**
 * Whether a run's autoRollback trigger is one the target's own snapshot commits to (checked by the
 * workflow, not only by the watch).
 */
export function policyAllows(
  verification: TargetVerification | undefined,
  trigger: PromotionTrigger | undefined,
): boolean {
  const when = verification?.autoRollback?.when ?? [];
  return (
    !!trigger?.policy &&
    trigger.policy.fired.length > 0 &&
    trigger.policy.fired.every((f) => when.includes(f) && trigger.failed.some((x) => x.name === f))
  );
}

/**
 * Durations in runbook `with:` ("2m", "90s", "1h30m"): the grammar of src/lib/config/duration.ts,
 * which the workflow bundle does not import.
 */
export function parseWindow(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const t = text.trim();
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, n, u] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(n) * units[u!]!;
  return total;
}

/**
 * The alert a run's timeline carries for its trigger: the promotion watch's first failed
 * verification (the incident's detection).
 */
export function triggerAlert(
  target: { app: string; env: string },
  t: PromotionTrigger,
): { at: string; kind: 'alert'; actor: string; summary: string; evidence: Record<string, string> } {
  return {
    at: t.detectedAt,
    kind: 'alert',
    actor: 'rewind promotion watch',
    summary:
      `${target.app}/${target.env} degraded after ` +
      `promotion ${t.promotion.slice(0, 7)}: ${t.failed.map((f) => f.message).join('; ')}`,
    evidence: {
      promotion: t.promotion,
      syncedAt: t.syncedAt,
      failedChecks: t.failed.map((f) => f.name).join(', '),
      ...(t.policy ? { autoRollback: t.policy.fired.join(', ') } : {}),
    },
  };
}
