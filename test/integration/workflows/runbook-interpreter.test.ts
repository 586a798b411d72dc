/**
 * The runbook interpreter on the time-skipping server with the activities faked: what a person
 * reads (phase, result, step states, timeline) and what rewind did (the call log) when nobody
 * approves, when two approvers are needed, when the pause is broken under a run, when Slack is
 * down, and when someone cancels at any step of either runbook: before the pause nothing changes,
 * after it and before any live change the pause is undone, once the live change is in place the run
 * holds, and after the resume the result says what is already changed.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTemporalTimeSkipping } from '../../../src/sandbox/world/temporal.js';
import {
  abandonUpdate,
  cancelUpdate,
  decisionUpdate,
  statusQuery,
  timelineQuery,
} from '../../../workflows/messages.js';
import type { PromotionDescription, RunStatus } from '../../../workflows/types.js';
import { fakeActivities, PROMOTION } from './fake-activities.js';
import {
  alice,
  blockUntilCancelled,
  bob,
  carol,
  defaultFake,
  freshIds,
  guardWatchesUntilCancelled,
  NO_APPROVAL,
  PROD_APPROVAL,
  runInput,
  runWorker,
  statusUntil,
  stepStates,
  workflowBundle,
  type RunbookName,
} from './runbook-runs.js';

// One worker per test: their start and stop lines would bury what a failing test says.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** A hung run fails its test in a minute instead of the whole file at the runner's 15. */
const T = { timeout: 60_000 };

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;

before(async () => {
  [env, bundle] = await Promise.all([startTemporalTimeSkipping(), workflowBundle()]);
});
after(async () => {
  await env?.teardown();
});

const count = (calls: Array<{ name: string }>, name: string) => calls.filter((c) => c.name === name).length;
/** The message of an update the validator refused (WorkflowUpdateFailedError → ApplicationFailure). */
const refusal = (err: unknown) => String((err as { cause?: { message?: string } }).cause?.message ?? err);

describe('approval expiry', () => {
  it('a prod rollback nobody approves ends expired after the policy timeout, and nothing is reverted', T, async () => {
    const { workflowId, taskQueue } = freshIds('expiry');
    const { activities, calls } = fakeActivities();
    const worker = await runWorker(env, taskQueue, bundle, activities);
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId,
        args: [await runInput('rollback', PROD_APPROVAL)],
      });
      const waiting = await statusUntil(handle, (s) => s.phase === 'awaiting-approval', 'awaiting-approval');
      assert.equal(waiting.approvalsNeeded, 1);
      return (await handle.result()) as RunStatus;
    });
    assert.equal(status.phase, 'expired', status.result);
    assert.equal(
      status.result,
      'Approval timed out: the run was cancelled and nothing ' +
        'was changed. Start it again when an approver is available.',
    );
    assert.equal(
      stepStates(status),
      'plan=done approve=done revert=skipped pull-request=skipped refresh=skipped wait-for-sync=skipped ' +
        'verify-health=skipped',
    );
    const approve = status.steps.find((s) => s.name === 'approve')!;
    assert.equal(approve.summary, 'no decision within 15 min');
    const waitedMs = Date.parse(approve.endedAt!) - Date.parse(approve.startedAt!);
    assert.ok(waitedMs >= 15 * 60_000 && waitedMs < 16 * 60_000, `waited the policy's 15 min, not ${waitedMs} ms`);
    assert.equal(count(calls, 'revertPromotion'), 0, 'nothing reverted');
    assert.equal(count(calls, 'requestRefresh'), 0);
  });
});

describe('what a revert cannot undo', () => {
  const declaring = (extra: Partial<PromotionDescription>) => async () => ({
    ...PROMOTION,
    sha: '3f2a9c1'.padEnd(40, '0'),
    ...extra,
  });

  it(
    'a promotion that declares Rollback-Contract: impossible is refused ' +
      'at the plan, with the way forward; nothing is asked or changed',
    T,
    async () => {
      const { workflowId, taskQueue } = freshIds('contract-impossible');
      const { activities, calls } = fakeActivities({
        findPromotion: declaring({
          rollbackContract: { contract: 'impossible', from: 'the commit trailer Rollback-Contract' },
        }),
      });
      const worker = await runWorker(env, taskQueue, bundle, activities);
      const status = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start('runbookWorkflow', {
          taskQueue,
          workflowId,
          args: [await runInput('rollback', PROD_APPROVAL)],
        });
        return (await handle.result()) as RunStatus;
      });
      assert.equal(status.phase, 'failed', status.result);
      assert.match(
        status.result ?? '',
        /^Failed at plan: promotion 3f2a9c1 "promote users-api 1\.43\.0 to prod" declares that it cannot be rolled back \(Rollback-Contract: impossible, by the commit trailer Rollback-Contract\), so rewind will not revert it; nothing was changed\. Roll forward instead: .*rewind emergency users-api --env prod --change/,
      );
      assert.match(stepStates(status), /^plan=failed approve=skipped revert=skipped/);
      assert.deepEqual(
        [count(calls, 'revertPromotion'), count(calls, 'requestRefresh'), status.approvals.length],
        [0, 0, 0],
      );
    },
  );

  it('a migration and a manual contract are warnings in the plan the approver reads', T, async () => {
    const { workflowId, taskQueue } = freshIds('contract-manual');
    const { activities } = fakeActivities({
      findPromotion: declaring({
        rollbackContract: {
          contract: 'manual',
          from: 'the rewind.dev/rollback-contract annotation of deployment/users-api',
        },
        migrations: [
          {
            object: 'batch/Job/users-api-prod/users-api-migrate',
            why:
              'job/users-api-migrate (Argo CD PreSync hook) looks like a ' +
              'migration by its name users-api-migrate, and the promotion added it',
          },
        ],
      }),
    });
    const worker = await runWorker(env, taskQueue, bundle, activities);
    const warnings = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId,
        args: [await runInput('rollback', PROD_APPROVAL)],
      });
      const waiting = await statusUntil(handle, (s) => s.phase === 'awaiting-approval', 'awaiting-approval');
      // Ended by a decision, not terminated: a run cut off with work in flight stops the server
      // skipping time for later tests.
      await handle.executeUpdate(decisionUpdate, { args: [{ decision: 'reject', by: bob }] });
      assert.equal(((await handle.result()) as RunStatus).phase, 'rejected');
      return waiting.plan?.warnings ?? [];
    });
    assert.ok(
      warnings.includes(
        'Promotion 3f2a9c1 declares a manual rollback (by the rewind.dev/rollback-contract ' +
          'annotation of deployment/users-api): the revert alone is not enough; ' +
          'follow the steps in its commit message before calling it restored.',
      ),
      JSON.stringify(warnings),
    );
    assert.ok(
      warnings.includes(
        'job/users-api-migrate (Argo CD PreSync hook) looks like a migration by its ' +
          'name users-api-migrate, and the promotion added it: reverting does not undo a ' +
          'migration it ran. Check that 1.42.0 works with the migrated schema before approving.',
      ),
      JSON.stringify(warnings),
    );
  });
});

describe('minApprovers > 1', () => {
  it(
    'one approval leaves it waiting with one more needed; the requester ' +
      'and a repeat approver are refused; a second approver lets it revert',
    T,
    async () => {
      const { workflowId, taskQueue } = freshIds('two-approvers');
      const { activities, calls } = fakeActivities();
      const worker = await runWorker(env, taskQueue, bundle, activities);
      const status = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start('runbookWorkflow', {
          taskQueue,
          workflowId,
          args: [await runInput('rollback', { ...PROD_APPROVAL, minApprovers: 2 })],
        });
        const waiting = await statusUntil(handle, (s) => s.phase === 'awaiting-approval', 'awaiting-approval');
        assert.equal(waiting.approvalsNeeded, 2);

        const afterBob = await handle.executeUpdate(decisionUpdate, { args: [{ decision: 'approve', by: bob }] });
        assert.equal(afterBob.phase, 'awaiting-approval');
        assert.equal(afterBob.approvalsNeeded, 1);
        assert.equal(count(calls, 'revertPromotion'), 0, 'one approval of two reverts nothing');

        await assert.rejects(
          handle.executeUpdate(decisionUpdate, { args: [{ decision: 'approve', by: alice }] }),
          (err) => {
            assert.equal(
              refusal(err),
              'alice requested this run and cannot approve it; ask another approver (bob, carol)',
            );
            return true;
          },
        );
        await assert.rejects(
          handle.executeUpdate(decisionUpdate, { args: [{ decision: 'approve', by: bob }] }),
          (err) => {
            assert.equal(refusal(err), 'bob has already approved this run');
            return true;
          },
        );
        const still = await handle.query(statusQuery);
        assert.equal(still.phase, 'awaiting-approval');
        assert.equal(still.approvalsNeeded, 1, 'refused approvals count for nothing');
        assert.deepEqual(
          still.approvals.map((a) => a.by),
          ['bob'],
        );

        await handle.executeUpdate(decisionUpdate, { args: [{ decision: 'approve', by: carol }] });
        return (await handle.result()) as RunStatus;
      });
      assert.equal(status.phase, 'restored', status.result);
      assert.equal(status.steps.find((s) => s.name === 'approve')?.summary, 'approved by bob, carol');
      assert.equal(status.approvalsNeeded, 0);
      assert.equal(count(calls, 'revertPromotion'), 1);
    },
  );
});

describe('the pause guard', () => {
  it('a violation seen during a later step stops that step and holds the run, saying why', T, async () => {
    const { workflowId, taskQueue } = freshIds('guard');
    const why = 'auto-sync of users-api-prod was turned back on by argocd/users-api-parent (app-of-apps) at 10:02:11';
    // verify-service stays in flight; the guard, re-armed with the patched fields after the patch,
    // then sees the violation.
    const service = blockUntilCancelled('verifyHealth');
    let armed = 0;
    const { activities, calls } = fakeActivities({
      verifyHealth: service.fn,
      guardPause: async (input: unknown) =>
        ++armed === 1 ? guardWatchesUntilCancelled(input) : service.entered.then(() => ({ violation: why })),
    });
    const worker = await runWorker(env, taskQueue, bundle, activities);
    const { held, status, timeline } = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId,
        args: [await runInput('emergency-change', NO_APPROVAL)],
      });
      const held = await statusUntil(handle, (s) => s.phase === 'held-paused', 'held-paused');
      await handle.executeUpdate(abandonUpdate, { args: [{ by: bob, confirm: true }] });
      return { held, status: (await handle.result()) as RunStatus, timeline: await handle.query(timelineQuery) };
    });
    assert.match(held.result ?? '', /^The pause of users-api\/prod was broken during verify-service: /);
    assert.ok(held.result?.includes(why), `the result names what broke the pause: ${held.result}`);
    assert.equal(held.steps.find((s) => s.name === 'verify-service')?.error, `stopped: the pause was broken: ${why}`);
    assert.equal(
      stepStates(held),
      'plan=done approve=skipped pause=done patch=done verify-service=failed commit=skipped pull-request=skipped ' +
        'gate=skipped engine-fetched=skipped resume=skipped refresh=skipped wait-for-sync=skipped ' +
        'verify-health=skipped',
    );
    assert.ok(timeline.some((e) => e.kind === 'failure' && e.summary === `the pause was broken: ${why}`));
    assert.equal(count(calls, 'commitLiveChange'), 0, 'nothing after the broken pause ran');
    assert.equal(count(calls, 'guardPause'), 2, 'armed at the pause, re-armed with the patched fields');
    assert.equal(status.phase, 'abandoned', status.result);
  });
});

describe('a failed Slack', () => {
  it(
    'never stops or delays a rollback: it ends restored, and the timeline records the failure once, with its cause',
    T,
    async () => {
      const { workflowId, taskQueue } = freshIds('slack-down');
      const { activities, calls } = fakeActivities({
        publishRunMessage: async () => {
          throw new Error('slack.com answered 503 service_unavailable');
        },
      });
      const worker = await runWorker(env, taskQueue, bundle, activities);
      const { status, timeline } = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start('runbookWorkflow', {
          taskQueue,
          workflowId,
          args: [await runInput('rollback', NO_APPROVAL)],
        });
        const status = (await handle.result()) as RunStatus;
        return { status, timeline: await handle.query(timelineQuery) };
      });
      assert.equal(status.phase, 'restored', status.result);
      assert.equal(status.result, 'Restored: users-api/prod is Synced and Healthy at 0000000.');
      assert.ok(count(calls, 'publishRunMessage') >= 2, 'Slack was tried (and retried)');
      const failures = timeline.filter((e) => e.summary.startsWith('Slack update failed'));
      assert.deepEqual(
        failures.map((e) => e.summary),
        ['Slack update failed: slack.com answered 503 service_unavailable; retrying beside the run'],
      );
      // No step waited on chat: each started in the workflow task that ended the one before.
      for (let i = 1; i < status.steps.length; i++)
        assert.equal(
          status.steps[i]!.startedAt,
          status.steps[i - 1]!.endedAt,
          `${status.steps[i]!.name} started when ${status.steps[i - 1]!.name} ended`,
        );
    },
  );
});

// The cancel tests come last, on purpose: a blocked fake still in flight when its test ends keeps the
// time-skipping server from skipping time for a while. Nothing after them needs time skipped.

/**
 * Where a cancel lands: the step, the activity it blocks in (its `nth` call), and whether the run
 * has a pause to hold by then. Steps with no activity of their own are reached through the one
 * the step runs (the approval wait has none: the cancel lands in the wait).
 */
interface CancelPoint {
  step: string;
  activity?: string;
  nth?: number;
  label?: string;
  then: 'cancelled' | 'held';
}
const nameOf = (p: CancelPoint) => `${p.step}${p.label ? ` (${p.label})` : ''}`;
type Calls = Array<{ name: string; input: unknown }>;

const ROLLBACK: CancelPoint[] = [
  { step: 'plan', activity: 'findPromotion', then: 'cancelled' },
  { step: 'approve', then: 'cancelled' },
  { step: 'revert', activity: 'revertPromotion', then: 'cancelled' },
  { step: 'refresh', activity: 'requestRefresh', then: 'cancelled' },
  { step: 'wait-for-sync', activity: 'waitForSynced', then: 'cancelled' },
  { step: 'verify-health', activity: 'verifyHealth', then: 'cancelled' },
];
const EMERGENCY: CancelPoint[] = [
  { step: 'plan', activity: 'planLiveChanges', then: 'cancelled' },
  { step: 'approve', then: 'cancelled' },
  { step: 'pause', activity: 'pauseAutoSync', label: 'while pausing', then: 'cancelled' },
  { step: 'pause', activity: 'verifyPauseHeld', label: 'once paused', then: 'cancelled' },
  { step: 'pause', activity: 'settlePause', label: 'while settling', then: 'cancelled' },
  { step: 'patch', activity: 'patchLive', then: 'cancelled' },
  { step: 'verify-service', activity: 'verifyHealth', then: 'held' },
  { step: 'commit', activity: 'commitLiveChange', then: 'held' },
  { step: 'gate', activity: 'gitMatchesLive', then: 'held' },
  { step: 'engine-fetched', activity: 'awaitEngineRevision', then: 'held' },
  { step: 'resume', activity: 'gitMatchesLive', nth: 2, label: 'gate re-checked', then: 'held' },
  { step: 'resume', activity: 'resumeAutoSync', label: 'while resuming', then: 'held' },
  { step: 'refresh', activity: 'requestRefresh', then: 'cancelled' },
  { step: 'wait-for-sync', activity: 'waitForSynced', then: 'cancelled' },
  { step: 'verify-health', activity: 'verifyHealth', nth: 2, then: 'cancelled' },
];

/** The run, blocked in `point`, until the activity starts (or the approval wait is reached). */
async function reach(
  handle: WorkflowHandle,
  point: CancelPoint,
  block: ReturnType<typeof blockUntilCancelled> | undefined,
  calls: Calls,
): Promise<void> {
  if (!block) {
    await statusUntil(handle, (s) => s.phase === 'awaiting-approval', 'awaiting-approval');
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const came = await Promise.race([
    block.entered.then(() => true),
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), 20_000);
    }),
  ]);
  clearTimeout(timer);
  if (came) return;
  const s = await handle.query(statusQuery);
  assert.fail(
    `${point.activity} call ${point.nth ?? 1} never ` +
      `came: ${s.phase} ${stepStates(s)}; calls ${calls.map((c) => c.name).join(', ')}`,
  );
}

/**
 * Starts a run whose `point` stays in flight, cancels it there (bob, "wrong app"), and, when the run
 * holds its pause, tries abandon without and then with confirmation.
 */
async function cancelAt(runbook: RunbookName, point: CancelPoint) {
  const { workflowId, taskQueue } = freshIds(`cancel-${runbook}-${nameOf(point)}`);
  const block = point.activity ? blockUntilCancelled(point.activity, point.nth) : undefined;
  const { activities, calls } = fakeActivities({
    guardPause: guardWatchesUntilCancelled,
    ...(block ? { [point.activity!]: block.fn } : {}),
  });
  const worker = await runWorker(env, taskQueue, bundle, activities);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('runbookWorkflow', {
      taskQueue,
      workflowId,
      args: [await runInput(runbook, point.step === 'approve' ? PROD_APPROVAL : NO_APPROVAL)],
    });
    await reach(handle, point, block, calls);
    const before = await handle.query(statusQuery);
    assert.equal(
      before.steps.find((s) => s.name === point.step)?.state,
      'running',
      `the cancel lands during ${point.step}: ${stepStates(before)}`,
    );
    await handle.executeUpdate(cancelUpdate, { args: [{ by: bob, reason: 'wrong app' }] });
    // Queried while the worker runs: a closed run answers queries only through a worker.
    if (point.then === 'cancelled')
      return { status: (await handle.result()) as RunStatus, timeline: await handle.query(timelineQuery), calls };
    const held = await statusUntil(handle, (s) => s.phase === 'held-paused', 'held-paused');
    const resumesWhileHeld = count(calls, 'resumeAutoSync');
    await assert.rejects(handle.executeUpdate(abandonUpdate, { args: [{ by: bob, confirm: false }] }), (err) =>
      /confirm it explicitly/.test(refusal(err)),
    );
    assert.equal((await handle.query(statusQuery)).phase, 'held-paused', 'an unconfirmed abandon changes nothing');
    await handle.executeUpdate(abandonUpdate, { args: [{ by: bob, confirm: true, comment: 'cancelled run' }] });
    const status = (await handle.result()) as RunStatus;
    return {
      status,
      timeline: await handle.query(timelineQuery),
      calls,
      held: { status: held, resumesWhileHeld, resumesByAbandon: count(calls, 'resumeAutoSync') - resumesWhileHeld },
    };
  });
}

describe('cancel during every step of rollback', () => {
  for (const point of ROLLBACK) {
    const before = ['plan', 'approve', 'revert'].includes(point.step);
    it(
      `during ${nameOf(point)}: ends cancelled, ` +
        `${before ? 'nothing changed' : 'the revert named as in Git'}, no later step runs`,
      T,
      async () => {
        const { status, calls, timeline } = await cancelAt('rollback', point);
        assert.equal(status.phase, 'cancelled', status.result);
        const expected =
          point.step === 'approve'
            ? 'Cancelled before any change.'
            : before
              ? `Cancelled by bob during ${point.step}. Nothing was changed.`
              : `Cancelled by bob during ${point.step}. The revert 0000000 is already in Git.`;
        assert.equal(status.result, expected);
        const at = status.steps.findIndex((s) => s.name === point.step);
        assert.equal(status.steps[at]!.state, point.step === 'approve' ? 'done' : 'failed', stepStates(status));
        assert.ok(
          status.steps.slice(at + 1).every((s) => s.state === 'skipped' && s.summary === 'not reached'),
          stepStates(status),
        );
        assert.equal(count(calls, 'revertPromotion'), before && point.step !== 'revert' ? 0 : 1);
        if (point.step !== 'verify-health')
          assert.equal(count(calls, 'verifyHealth'), 0, 'no step after the cancel ran');
        assert.ok(
          timeline.some((e) => e.actor === 'bob' && e.summary === 'cancel requested: wrong app'),
          'the timeline says who cancelled and why',
        );
      },
    );
  }
});

describe('cancel during every step of emergency-change', () => {
  for (const point of EMERGENCY) {
    if (point.then === 'cancelled') {
      const beforePause = ['plan', 'approve'].includes(point.step) || point.activity === 'pauseAutoSync';
      const pausedNothingPatched = !beforePause && ['pause', 'patch'].includes(point.step);
      it(
        `during ${nameOf(point)}: ends cancelled, ` +
          `${
            beforePause
              ? 'nothing changed'
              : pausedNothingPatched
                ? 'auto-sync resumed as it was'
                : 'says what is already changed'
          }` +
          `, no later step runs`,
        T,
        async () => {
          const { status, calls } = await cancelAt('emergency-change', point);
          assert.equal(status.phase, 'cancelled', status.result);
          const at = status.steps.findIndex((s) => s.name === point.step);
          assert.ok(
            status.steps.slice(at + 1).every((s) => s.state === 'skipped' && s.summary === 'not reached'),
            stepStates(status),
          );
          assert.equal(status.pause, undefined);
          if (beforePause) {
            assert.equal(
              status.result,
              point.step === 'approve'
                ? 'Cancelled before any change.'
                : `Cancelled by bob during ${point.step}. Nothing was changed.`,
            );
            assert.equal(count(calls, 'patchLive') - (point.activity === 'patchLive' ? 1 : 0), 0);
            assert.equal(count(calls, 'resumeAutoSync'), 0);
            return;
          }
          if (pausedNothingPatched) {
            // Paused, nothing live changed yet: nothing to hold, so auto-sync goes back as it was, once.
            assert.equal(
              status.result,
              `Cancelled by bob during ${point.step}. Auto-sync was resumed as it was; nothing was changed.`,
            );
            assert.equal(count(calls, 'resumeAutoSync'), 1);
            return;
          }
          assert.equal(
            status.result,
            `Cancelled by bob during ${point.step}. The live change is in place. ` +
              `Git holds it at 0000000. Auto-sync is back to its recorded policy.`,
          );
          assert.equal(count(calls, 'resumeAutoSync'), 1, 'resumed once, by the resume step');
        },
      );
    } else {
      it(
        `during ${nameOf(point)}: holds the pause (auto-sync not resumed) until abandoned, which resumes it once`,
        T,
        async () => {
          const { status, held } = await cancelAt('emergency-change', point);
          assert.ok(held);
          assert.equal(held.status.phase, 'held-paused', held.status.result);
          assert.match(
            held.status.result ?? '',
            new RegExp(
              `^Auto-sync of users-api/prod stays PAUSED: Cancelled by ` +
                `bob during ${point.step}\\. The live change is in place\\.`,
            ),
          );
          assert.doesNotMatch(held.status.result ?? '', /Nothing was changed/);
          assert.equal(held.status.steps.find((s) => s.name === point.step)?.state, 'failed', stepStates(held.status));
          assert.ok(
            held.status.steps
              .slice(held.status.steps.findIndex((s) => s.name === point.step) + 1)
              .every((s) => s.state === 'skipped'),
            stepStates(held.status),
          );
          assert.ok(held.status.pause, 'the status still shows the pause and its lease');
          // The blocked resumeAutoSync itself was cancelled: it counts as the one call seen while held.
          assert.equal(
            held.resumesWhileHeld,
            point.activity === 'resumeAutoSync' ? 1 : 0,
            'auto-sync stays paused while held',
          );
          assert.equal(held.resumesByAbandon, 1, 'abandon resumed auto-sync exactly once');
          assert.equal(status.phase, 'abandoned', status.result);
          assert.match(status.result ?? '', /^Abandoned by bob: auto-sync resumed to its recorded policy and Git wins/);
        },
      );
    }
  }
});

describe('a cancel while a side effect is in flight', () => {
  it('a pause that lands after the cancel is waited for, then undone: never left behind', T, async () => {
    const { workflowId, taskQueue } = freshIds('cancel-pause-lands');
    // Like the real pauseAutoSync, this one does not heartbeat: it never hears of the cancel and completes.
    let enter!: () => void, release!: () => void, landed!: () => void;
    const entered = new Promise<void>((r) => {
        enter = r;
      }),
      released = new Promise<void>((r) => {
        release = r;
      }),
      done = new Promise<void>((r) => {
        landed = r;
      });
    const { activities, calls } = fakeActivities({
      guardPause: guardWatchesUntilCancelled,
      pauseAutoSync: async (input: unknown) => {
        enter();
        await released;
        try {
          return await defaultFake('pauseAutoSync')(input);
        } finally {
          landed();
        }
      },
    });
    const worker = await runWorker(env, taskQueue, bundle, activities);
    const { seen, final } = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('runbookWorkflow', {
        taskQueue,
        workflowId,
        args: [await runInput('emergency-change', NO_APPROVAL)],
      });
      await entered;
      await handle.executeUpdate(cancelUpdate, { args: [{ by: bob, reason: 'wrong app' }] });
      // What the run says while the pause is still on its way (a workflow that waits says nothing yet).
      const seen = await statusUntil(handle, (s) => s.phase !== 'running', 'the cancel taken', 1_000).catch(
        () => undefined,
      );
      release();
      await done;
      const final = await statusUntil(
        handle,
        (s) => s.phase === 'held-paused' || s.phase === 'cancelled',
        'held or cancelled',
      );
      if (final.phase === 'held-paused')
        await handle.executeUpdate(abandonUpdate, { args: [{ by: bob, confirm: true }] });
      return { seen, final };
    });
    assert.equal(count(calls, 'pauseAutoSync'), 1);
    assert.ok(seen === undefined, `the run ended while the pause was in flight: ${seen?.phase}: ${seen?.result}`);
    assert.equal(final.phase, 'cancelled', final.result);
    assert.equal(final.result, 'Cancelled by bob during pause. Auto-sync was resumed as it was; nothing was changed.');
    assert.equal(count(calls, 'resumeAutoSync'), 1, 'the pause that landed was undone');
  });
});
