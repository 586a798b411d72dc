/**
 * Verification steps beyond Synced + Healthy: a PromQL threshold held over a window
 * (verifyMetric), an HTTP probe held over a window (verifyProbe), the verdict of Argo Rollouts or
 * Flagger (verifyAnalysis). Each builds a check from its `with:` and runs it with the runCheck
 * activity, the one the promotion watch uses, judging only evidence newer than the change: the
 * sync of the revert or of the emergency commit, else the live patch, else the step's start.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { waitActs } from './activities.js';
import type { StepContext, StepResult } from './step-context.js';
import { FailureType, type RunbookStep } from './types.js';
import { parseWindow, type VerificationCheck } from './verification/types.js';

/** Builds the check a verify* step describes (its `with:` was validated at load: src/lib/runbooks/step-params.ts). */
export function stepCheck(step: RunbookStep, ctx: Pick<StepContext, 'input'>): VerificationCheck {
  const w = step.with;
  const str = (k: string) => (typeof w[k] === 'string' ? (w[k] as string) : undefined);
  const num = (k: string) => (typeof w[k] === 'number' ? (w[k] as number) : undefined);
  const ms = (k: string) => {
    const t = str(k);
    return t === undefined ? undefined : parseWindow(t);
  };
  const forMs = ms('for') ?? 60_000;
  const { target } = ctx.input;
  switch (step.kind) {
    case 'verifyMetric': {
      const url = str('prometheus') ?? target.verification?.prometheusUrl;
      if (!url)
        throw ApplicationFailure.nonRetryable(
          `step ${step.name} asks Prometheus, but neither its ` +
            `with.prometheus nor rewind.yaml's prometheus.url names one`,
          FailureType.BadInput,
        );
      const max = num('max'),
        min = num('min'),
        format = str('format');
      return {
        name: str('check') ?? 'metric',
        kind: 'prometheus',
        url,
        query: str('query')!,
        ...(max !== undefined ? { max } : {}),
        ...(min !== undefined ? { min } : {}),
        forMs,
        everyMs: ms('every') ?? 15_000,
        withinMs: ms('within') ?? 3 * forMs,
        ...(format === 'percent' || format === 'number' ? { format } : {}),
      };
    }
    case 'verifyProbe': {
      const url = str('url') ?? target.health.probeUrl;
      if (!url)
        throw ApplicationFailure.nonRetryable(
          `step ${step.name} probes nothing: give it with.url, or set health.probeUrl for ${target.app}/${target.env}`,
          FailureType.BadInput,
        );
      return {
        name: str('check') ?? 'probe',
        kind: 'http',
        url,
        forMs,
        everyMs: ms('every') ?? 10_000,
        withinMs: ms('within') ?? 3 * forMs,
      };
    }
    default: {
      const rollout = str('rollout');
      return {
        name: str('check') ?? 'analysis',
        kind: 'analysis',
        source: rollout ? 'argo-rollouts' : 'flagger',
        object: (rollout ?? str('canary'))!,
        withinMs: ms('within') ?? 15 * 60_000,
      };
    }
  }
}

export async function verifyCheck(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const check = stepCheck(step, ctx);
  const since = ctx.syncedAt ?? ctx.patchedAt ?? new Date().toISOString();
  const v = await waitActs.runCheck({ target, check, since });
  const evidence = {
    check: v.name,
    verdict: v.reason,
    checkedAt: v.at,
    windowSince: v.since,
    value: v.value,
    samples: v.samples,
  };
  if (v.passed) return { summary: v.message, evidence };
  if (ctx.patched) {
    // Emergency path: the live change is in place; a failed verification holds the pause.
    throw ApplicationFailure.nonRetryable(
      `the live change is in place but ${target.app}/${target.env} fails verification: ${v.message}`,
      FailureType.HealthNotRestored,
      evidence,
    );
  }
  const revert = ctx.revertSha ? `the revert ${ctx.revertSha.slice(0, 7)} is live but` : '';
  return {
    summary: v.message,
    evidence,
    stop: {
      phase: 'not-restored',
      result: `Not restored: ${revert} ${target.app}/${target.env} fails verification: ${v.message}.`.replace(
        / {2,}/g,
        ' ',
      ),
    },
  };
}
