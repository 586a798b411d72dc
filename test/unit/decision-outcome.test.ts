import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedRunText, decisionOutcome } from '../../src/lib/decision-outcome.js';
import type { RunStatus } from '../../workflows/types.js';

const run = (over: Partial<RunStatus>): RunStatus => ({
  workflowId: 'rewind/users-api/prod',
  runbook: 'rollback',
  app: 'users-api',
  env: 'prod',
  phase: 'awaiting-approval',
  requester: 'alice',
  reason: '5xx',
  steps: [],
  approvals: [],
  startedAt: '2026-12-01T10:00:00.000Z',
  ...over,
});

describe("decisionOutcome: what happens next, in the runbook's words", () => {
  it('a rollback approved by the last approver needed reverts now', () => {
    const s = run({
      approvals: [{ by: 'bob', at: '', decision: 'approve' }],
      approvalsNeeded: 0,
      plan: { promotion: { sha: '3f2a9c1d0e' } } as RunStatus['plan'],
    });
    assert.equal(
      decisionOutcome(s, 'approve', 'bob'),
      'approved by bob: reverting 3f2a9c1 now (rewind/users-api/prod, requested by alice).',
    );
  });
  it('an emergency run pauses and patches', () => {
    const s = run({
      runbook: 'emergency-change',
      approvals: [{ by: 'bob', at: '', decision: 'approve' }],
      approvalsNeeded: 0,
    });
    assert.match(
      decisionOutcome(s, 'approve', 'bob'),
      /^approved by bob: pausing auto-sync of users-api\/prod and patching live now/,
    );
  });
  it('says how many approvals are still missing', () => {
    const s = run({ approvals: [{ by: 'bob', at: '', decision: 'approve' }], approvalsNeeded: 1 });
    assert.equal(
      decisionOutcome(s, 'approve', 'bob'),
      'approved by bob; rewind/users-api/prod needs 1 more approver before it acts.',
    );
  });
  it('a rejection changes nothing', () =>
    assert.equal(
      decisionOutcome(run({}), 'reject', 'carol'),
      'rejected by carol: rewind/users-api/prod stops and nothing is changed.',
    ));
});

describe('closedRunText: a late approver learns what became of the run', () => {
  it('an expired run says when it expired', () => {
    const s = run({
      phase: 'expired',
      result: 'Approval timed out: the run was cancelled and nothing was changed.',
      steps: [{ name: 'approve', kind: 'approve', state: 'done', endedAt: '2026-12-01T10:15:00.000Z' }],
    });
    assert.equal(
      closedRunText(s),
      'run rewind/users-api/prod expired at 2026-12-01T10:15:00.000Z: nobody approved it in time (Approval timed ' +
        'out: the run was cancelled and nothing was changed.). Nothing was changed; ask alice to start it again.',
    );
  });
});
