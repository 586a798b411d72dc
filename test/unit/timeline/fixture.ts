/**
 * Synthetic timelines for unit tests and the export benchmark: real RunTimelines (as the sources
 * build them) assembled by the real code, with hostile text mixed in where a person could type it.
 */
import { assembleDocument } from '../../../src/lib/timeline/assemble.js';
import type { RunTimeline, StepSpan, TimelineDocument, TimelineEntry } from '../../../src/lib/timeline/model.js';

const SHA = (n: number) => n.toString(16).padStart(40, 'a').slice(-40);
const iso = (t: number) => new Date(t).toISOString();

export interface FixtureOptions {
  events?: number;
  t0?: number;
  spreadMs?: number;
  outcome?: 'restored' | 'held-paused' | 'not-restored';
  reason?: string;
}

export function syntheticRun(opts: FixtureOptions = {}): RunTimeline {
  const t0 = opts.t0 ?? Date.UTC(2026, 2, 1, 14, 0, 0);
  const spread = opts.spreadMs ?? 20 * 60_000;
  const runId = 'run-0001';
  const steps: Array<[string, StepSpan['kind']]> = [
    ['plan', 'planRollback'],
    ['approve', 'approve'],
    ['revert', 'revertPromotion'],
    ['refresh', 'refresh'],
    ['wait-for-sync', 'waitForSynced'],
    ['verify-health', 'verifyHealth'],
  ];
  const stepLen = Math.round(spread / (steps.length + 1));
  const spans: StepSpan[] = steps.map(([step, kind], i) => ({
    runId,
    step,
    kind,
    state: 'done',
    start: iso(t0 + i * stepLen),
    end: iso(t0 + (i + 1) * stepLen),
    durationMs: stepLen,
    summary: `${step} done`,
  }));
  const events: TimelineEntry[] = [];
  const total = opts.events ?? 40;
  const revert = SHA(0xbeef);
  for (let i = 0; i < total; i++) {
    const at = iso(t0 + Math.floor((i / Math.max(total - 1, 1)) * spread));
    const span = spans[Math.min(steps.length - 1, Math.floor((i / total) * steps.length))]!;
    const k = i % 7;
    if (i === 0)
      events.push({
        at,
        kind: 'run',
        source: 'run',
        runId,
        actor: 'alice',
        summary:
          `rollback of users-api/prod requested via ` +
          `slack: ${opts.reason ?? '5xx | <script>alert(1)</script> & "quotes"'}`,
        evidence: { incident: 'INC-42' },
      });
    else if (k === 1)
      events.push({
        at,
        kind: 'step',
        source: 'run',
        runId,
        step: span.step,
        actor: 'rewind',
        summary: `${span.step} started`,
      });
    else if (k === 2)
      events.push({
        at,
        kind: 'step',
        source: 'run',
        runId,
        step: span.step,
        actor: 'rewind',
        summary: `${span.step}: done #${i}`,
        evidence: { revertSha: revert, pushAttempts: 1 },
        links: [{ label: 'commit', url: `https://git.example/acme/config/commit/${revert}` }],
      });
    else if (k === 3)
      events.push({ at, kind: 'approval', source: 'run', runId, actor: 'bob', summary: 'approved: looks right' });
    else if (k === 4)
      events.push({
        at,
        kind: 'kube-event',
        source: 'kubernetes',
        actor: 'kubelet',
        severity: 'warning',
        summary: `Warning BackOff Pod/users-api-7d9f-x${i}: Back-off restarting <failed> container`,
        evidence: { type: 'Warning', reason: 'BackOff', object: 'Pod/users-api-prod/users-api-7d9f', count: i },
      });
    else if (k === 5)
      events.push({
        at,
        kind: 'commit',
        source: 'git',
        actor: 'ci-bot',
        summary: `${SHA(i).slice(0, 7)} promote users-api 1.${i}.0 to prod`,
        evidence: { sha: SHA(i), author: 'ci-bot <ci@acme.test>' },
      });
    else
      events.push({
        at,
        kind: 'note',
        source: 'run',
        runId,
        actor: 'carol',
        summary: `note ${i}: watching dashboards`,
      });
  }
  const healthy = spans.at(-1)!;
  events.push({
    at: healthy.end!,
    kind: 'step',
    source: 'run',
    runId,
    step: healthy.step,
    actor: 'rewind',
    summary: 'verify-health: Healthy for 30s',
    evidence: { healthyAt: iso(Date.parse(healthy.start!) + 1000), engineHealth: 'Healthy' },
  });
  const outcome = opts.outcome ?? 'restored';
  return {
    run: {
      workflowId: 'rewind/users-api/prod',
      runId,
      runbook: 'rollback',
      app: 'users-api',
      env: 'prod',
      requester: 'alice',
      approvers: ['bob'],
      reason: opts.reason ?? '5xx | <script>alert(1)</script> & "quotes"',
      incidentId: 'INC-42',
      source: 'history',
      execution: outcome === 'restored' ? 'completed' : 'running',
      outcome,
      ...(outcome === 'restored'
        ? { endedAt: healthy.end!, result: 'Restored: users-api/prod is Synced and Healthy.' }
        : {}),
      startedAt: iso(t0),
      revertSha: revert,
      ...(outcome === 'held-paused'
        ? {
            pause: {
              since: iso(t0 + 60_000),
              leaseExpiresAt: iso(t0 + 120_000),
              engine: 'argocd argocd/users-api-prod',
            },
          }
        : {}),
      target: {
        cluster: 'prod',
        namespace: 'users-api-prod',
        engine: { kind: 'argocd', namespace: 'argocd', name: 'users-api-prod' },
        workloads: ['deployment/users-api'],
        repo: 'config',
        path: 'apps/users-api/overlays/prod',
        webUrl: 'https://git.example/acme/config',
      },
    },
    events,
    spans,
    notes: [{ kind: 'history', detail: 'synthetic', ok: true }],
  };
}

export function syntheticDocument(opts: FixtureOptions = {}): TimelineDocument {
  const run = syntheticRun(opts);
  const t0 = Date.parse(run.run.startedAt);
  return assembleDocument([run], {
    scope: { kind: 'incident', incidentId: 'INC-42' },
    detectedAt: iso(t0 - 5 * 60_000),
    now: new Date(t0 + (opts.spreadMs ?? 20 * 60_000) + 60_000),
  });
}
