/**
 * rewind.yaml's `verification:` and `autoRollback:` of an environment: the references a schema
 * cannot see (check names, the Prometheus to ask), and the snapshot runs and the promotion watch
 * take (workflows/verification/types.ts), with every duration in ms and every default applied.
 */
import { parseDuration } from './duration.js';
import type { EnvironmentConfig, RewindConfig, VerificationCheckConfig } from './schema.js';
import {
  HEALTH_CHECK,
  type TargetVerification,
  type VerificationCheck,
} from '../../../workflows/verification/types.js';

export interface VerificationProblem {
  path: string;
  message: string;
  fix: string;
}

/** Problems of one environment's verification and autoRollback; `base` is its path in the file. */
export function verificationProblems(cfg: RewindConfig, env: EnvironmentConfig, base: string): VerificationProblem[] {
  const problems: VerificationProblem[] = [];
  const checks = env.verification ?? [];
  const names = new Set<string>();
  checks.forEach((c, i) => {
    if (names.has(c.name))
      problems.push({
        path: `${base}.verification.${i}.name`,
        message: `check name "${c.name}" is used twice`,
        fix: 'give every check of an environment its own name',
      });
    if (c.name === HEALTH_CHECK)
      problems.push({
        path: `${base}.verification.${i}.name`,
        message: `"${HEALTH_CHECK}" is the name of the rollout gate every verification starts with`,
        fix: 'give this check another name',
      });
    names.add(c.name);
    if (c.prometheus && !c.prometheus.url && !cfg.prometheus?.url) {
      problems.push({
        path: `${base}.verification.${i}.prometheus`,
        message: `check "${c.name}" asks Prometheus, but no Prometheus is configured`,
        fix: 'set prometheus.url at the top level of rewind.yaml, or url: under this check',
      });
    }
    const spec = c.prometheus ?? c.http;
    if (spec?.within !== undefined && parseDuration(spec.within)! < parseDuration(spec.for)!) {
      problems.push({
        path: `${base}.verification.${i}.${c.prometheus ? 'prometheus' : 'http'}.within`,
        message: `within (${spec.within}) is shorter than for (${spec.for}): the check could never decide`,
        fix: 'make within at least as long as for, or leave it out (3 × for)',
      });
    }
  });
  const auto = env.autoRollback;
  if (auto) {
    if (!checks.length)
      problems.push({
        path: `${base}.autoRollback`,
        message: 'autoRollback needs checks to trigger on, and this environment has no verification',
        fix: 'add verification: checks and name them in autoRollback.when, or remove autoRollback',
      });
    else
      auto.when.forEach((w, i) => {
        if (!names.has(w) && w !== HEALTH_CHECK)
          problems.push({
            path: `${base}.autoRollback.when.${i}`,
            message: `unknown check "${w}"`,
            fix:
              `name a check of this environment's verification (${[...names].join(', ')}), ` +
              `or ${HEALTH_CHECK} (the rollout did not become healthy)`,
          });
      });
  }
  return problems;
}

function checkSnapshot(cfg: RewindConfig, c: VerificationCheckConfig): VerificationCheck {
  const ms = (d: string) => parseDuration(d)!;
  if (c.prometheus) {
    const p = c.prometheus,
      forMs = ms(p.for);
    return {
      name: c.name,
      kind: 'prometheus',
      url: (p.url ?? cfg.prometheus?.url ?? '').replace(/\/$/, ''),
      query: p.query,
      ...(p.max !== undefined ? { max: p.max } : {}),
      ...(p.min !== undefined ? { min: p.min } : {}),
      forMs,
      everyMs: ms(p.every),
      withinMs: p.within ? ms(p.within) : 3 * forMs,
      ...(p.format ? { format: p.format } : {}),
    };
  }
  if (c.http) {
    const forMs = ms(c.http.for);
    return {
      name: c.name,
      kind: 'http',
      url: c.http.url,
      forMs,
      everyMs: ms(c.http.every),
      withinMs: c.http.within ? ms(c.http.within) : 3 * forMs,
    };
  }
  const a = c.analysis!;
  return {
    name: c.name,
    kind: 'analysis',
    source: a.rollout ? 'argo-rollouts' : 'flagger',
    object: (a.rollout ?? a.canary)!,
    withinMs: ms(a.within),
  };
}

/**
 * The environment's verification as runs and the watch take it (and the Prometheus verifyMetric
 * steps ask); undefined when there is neither.
 */
export function verificationSnapshot(cfg: RewindConfig, env: EnvironmentConfig): TargetVerification | undefined {
  if (!env.verification?.length && !cfg.prometheus?.url) return undefined;
  return {
    checks: (env.verification ?? []).map((c) => checkSnapshot(cfg, c)),
    ...(cfg.prometheus?.url ? { prometheusUrl: cfg.prometheus.url.replace(/\/$/, '') } : {}),
    ...(env.autoRollback
      ? { autoRollback: { when: [...env.autoRollback.when], cooldownMs: parseDuration(env.autoRollback.cooldown)! } }
      : {}),
  };
}
