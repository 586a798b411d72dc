/**
 * The history source on a run with no final status: an emergency run held paused (commit failed
 * after the live patch), still open, no worker. Steps are inferred from the activities, the pause
 * and its lease come from the pause activity's input, and the phases and follow-ups follow.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assembleDocument } from '../../../src/lib/timeline/assemble.js';
import { runTimelineFromDecoded } from '../../../src/lib/timeline/from-history.js';
import type { ActivityRecord, DecodedHistory } from '../../../src/lib/timeline/history-decode.js';
import { validateTimelineDocument } from '../../../src/lib/timeline/schema.js';
import type { RunInput } from '../../../workflows/types.js';

const T0 = Date.UTC(2026, 2, 1, 14, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const person = (handle: string) => ({ handle, name: handle.toUpperCase(), email: `${handle}@acme.test` });

const input: RunInput = {
  runbook: {
    name: 'emergency-change',
    description: '',
    version: 1,
    steps: [
      { kind: 'planEmergency', name: 'plan', with: {} },
      { kind: 'approve', name: 'approve', with: {} },
      { kind: 'pauseAutoSync', name: 'pause', with: { remindEveryMinutes: 15 } },
      { kind: 'patchLive', name: 'patch', with: {} },
      { kind: 'verifyHealth', name: 'verify-service', with: {} },
      { kind: 'commitToGit', name: 'commit', with: {} },
      { kind: 'waitForGitToMatchLive', name: 'gate', with: {} },
      { kind: 'resumeAutoSync', name: 'resume', with: {} },
    ],
  },
  target: {
    app: 'users-api',
    env: 'prod',
    cluster: 'prod',
    engine: { kind: 'argocd', name: 'users-api-prod', namespace: 'argocd' },
    repo: {
      name: 'config',
      url: 'https://token@git.example/acme/config.git',
      branch: 'main',
      webUrl: 'https://git.example/acme/config',
    },
    path: 'apps/users-api/overlays/prod',
    namespace: 'users-api-prod',
    workloads: ['deployment/users-api'],
    health: { windowMs: 2000, timeoutMs: 60_000 },
    owners: [person('alice')],
    approvers: [person('bob')],
    approval: { required: true, minApprovers: 1, allowSelfApproval: false, timeoutMs: 900_000, allowCliYes: false },
    drillTarget: false,
  },
  request: { requester: person('alice'), reason: 'primary failover', incidentId: 'INC-7', source: 'slack' },
};

let seq = 0;
const act = (
  type: string,
  s: number,
  e: number | undefined,
  result?: unknown,
  extra: Partial<ActivityRecord> = {},
): ActivityRecord => ({
  scheduledEventId: String(++seq),
  type,
  input: {},
  scheduledAt: at(s),
  ...(e !== undefined ? { closedAt: at(e), status: 'completed' as const, result } : { status: 'scheduled' as const }),
  attempt: 1,
  ...extra,
});

const history: DecodedHistory = {
  workflowType: 'runbookWorkflow',
  input: [input],
  startedAt: at(0),
  firstTaskAt: at(0.1),
  eventCount: 60,
  activities: [
    act('planLiveChanges', 0.2, 1, [
      { object: 'v1/ConfigMap/users-api-prod/users-api-env', resourceVersion: '41', fields: [] },
    ]),
    act('planGitEdits', 1.1, 2, {
      base: 'a'.repeat(40),
      edits: [{ file: 'apps/users-api/overlays/prod/configmap-patch.yaml' }],
      rendersLive: true,
    }),
    act('engineState', 2.1, 2.5, { resourceVersion: '77', syncStatus: 'Synced', health: 'Healthy' }),
    act('publishRunMessage', 2.6, 2.8, {
      channel: 'C1',
      ts: '1.000100',
      permalink: 'https://acme.slack.com/archives/C1/p1000100',
    }),
    act(
      'pauseAutoSync',
      30,
      31,
      { policy: { engine: 'argocd', automated: { prune: true, selfHeal: true } } },
      { input: { lease: { pausedAt: at(30), expiresAt: at(60) } } },
    ),
    act('verifyPauseHeld', 31.1, 34, { held: true, message: 'held for 3s' }),
    act('patchLive', 34.1, 35, { before: '41', after: '42', reused: false }),
    act('verifyHealth', 35.1, 40, {
      restored: true,
      healthyAt: at(37),
      engineHealth: 'Healthy',
      workloads: ['deployment/users-api: Healthy'],
    }),
    {
      ...act('commitLiveChange', 40.1, 45),
      status: 'failed',
      result: undefined,
      failure: 'push rejected: protected branch',
      attempt: 8,
      lastFailure: 'push rejected: protected branch',
    },
  ],
  updates: [{ name: 'decide', args: [{ decision: 'approve', by: person('bob'), comment: 'go' }], at: at(29.5) }],
  signals: [],
  timers: [{ timerId: '1', startedAt: at(45.5), durationMs: 900_000, firedAt: at(945.5) }],
};

describe('timeline from history without a final status', () => {
  const rt = runTimelineFromDecoded(history, { workflowId: 'rewind/users-api/prod', runId: 'run-7' });

  it('infers each step from its activities and keeps the run open and held', () => {
    assert.deepEqual(
      rt.spans.map((s) => `${s.step}:${s.state}`),
      [
        'plan:done',
        'approve:done',
        'pause:done',
        'patch:done',
        'verify-service:done',
        'commit:failed',
        'gate:pending',
        'resume:pending',
      ],
    );
    assert.equal(rt.spans.find((s) => s.step === 'commit')!.retries, 7);
    assert.deepEqual(
      [rt.run.source, rt.run.execution, rt.run.outcome, rt.run.approvers.join()],
      ['history', 'running', 'held-paused', 'bob'],
    );
    assert.deepEqual(rt.run.pause, { since: at(30), leaseExpiresAt: at(60), engine: 'argocd argocd/users-api-prod' });
    assert.equal(rt.run.slackPermalink, 'https://acme.slack.com/archives/C1/p1000100');
    assert.ok(!JSON.stringify(rt).includes('token@'), 'the clone URL (and its credentials) stays out');
  });

  it('recomputes evidence, records the retry, the approval and the reminder', () => {
    const patch = rt.events.find((e) => e.step === 'patch' && e.evidence)!;
    // As the workflow's patchLive step writes it (workflows/evidence.ts), not a paraphrase.
    assert.equal(
      patch.evidence!.resourceVersions,
      'ConfigMap.v1 users-api-prod/users-api-env (resourceVersion 41 → 42)',
    );
    const pause = rt.events.find((e) => e.step === 'pause' && e.evidence)!;
    assert.equal(pause.evidence!.leaseExpires, at(60));
    assert.ok(rt.events.some((e) => e.kind === 'approval' && e.actor === 'bob' && e.summary === 'approved: go'));
    assert.ok(
      rt.events.some(
        (e) => e.kind === 'retry' && /commitLiveChange ended on attempt 8 after: push rejected/.test(e.summary),
      ),
    );
    assert.ok(
      rt.events.some(
        (e) =>
          e.kind === 'note' &&
          /^reminded the channel 1 time\(s\), every 15 min: auto-sync of users-api\/prod paused since/.test(
            e.summary,
          ) &&
          e.evidence?.reminders === 1,
      ),
    );
  });

  it(
    'phases: mitigated at verify-service end, Git and auto-sync ' +
      'still pending; follow-ups name the pause and the expired lease',
    () => {
      const doc = assembleDocument([rt], {
        scope: { kind: 'incident', incidentId: 'INC-7' },
        now: new Date(T0 + 3_600_000),
      });
      assert.ok(validateTimelineDocument(doc).ok);
      const phase = (k: string) => doc.phases.find((p) => p.key === k)!;
      assert.equal(phase('mitigated').at, at(40));
      assert.deepEqual(
        ['git-converged', 'auto-sync-restored', 'resolved'].map((k) => phase(k).state),
        ['pending', 'pending', 'pending'],
      );
      assert.deepEqual(
        doc.followUps.map((f) => f.kind),
        ['auto-sync-paused', 'lease-expired'],
      );
      assert.match(
        doc.followUps[0]!.text,
        /Auto-sync still paused on users-api\/prod since 2026-03-01 14:00:30 UTC \(argocd argocd\/users-api-prod, 59m 30s ago\)/,
      );
    },
  );
});
