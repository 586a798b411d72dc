import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Rewind } from '../../../src/lib/runs.js';
import { abandonAction } from '../../../src/app/slack/listeners/actions/abandon.js';
import { resolveAction } from '../../../src/app/slack/listeners/actions/resolve.js';
import type { ButtonArgs } from '../../../src/app/slack/listeners/actions/run-action.js';
import type { RunStatus } from '../../../workflows/types.js';
import { testConfig } from './config-fixture.js';
import { deps, recorder } from './fakes.js';

/** A held run: answers status and timeline queries; `onUpdate` plays the workflow's reaction. */
function heldRun(
  onUpdate: (
    name: string,
    timeline: Array<{ summary: string; evidence?: Record<string, string> }>,
    finish: (s: Partial<RunStatus>) => void,
  ) => void,
) {
  const updates: Array<[string, unknown]> = [];
  const timeline = [{ summary: 'pause: paused' }];
  const status = {
    workflowId: 'rewind/users-api/prod',
    runbook: 'emergency-change',
    app: 'users-api',
    env: 'prod',
    requester: 'alice',
    reason: 'need logs',
    phase: 'held-paused',
    steps: [],
    approvals: [],
    slackMessage: { channel: 'C_USERS_API', ts: '100.000200' },
  } as unknown as RunStatus;
  let finish!: (s: Partial<RunStatus>) => void;
  const result = new Promise<RunStatus>((resolve) => {
    finish = (s) => resolve({ ...status, ...s });
  });
  const client = {
    withAbortSignal: (_signal: AbortSignal, fn: () => Promise<unknown>) => fn(),
    workflow: {
      getHandle: () => ({
        describe: async () => ({ runId: 'run-1' }),
        query: async (q: { name: string }) => (q.name === 'timeline' ? [...timeline] : status),
        executeUpdate: async (u: { name: string }, { args }: { args: unknown[] }) => {
          updates.push([u.name, args[0]]);
          onUpdate(u.name, timeline, finish);
          return status;
        },
        result: () => result,
      }),
    },
  } as unknown as Client;
  const rewind: Rewind = { cfg: testConfig(), client, taskQueue: 'unit' };
  return { rewind, updates };
}

async function click(
  action: typeof resolveAction,
  rewind: Rewind,
  userId: string,
  messageTs: string,
  actionId: string,
) {
  const rec = recorder();
  const body = {
    type: 'block_actions',
    user: { id: userId },
    container: { type: 'message', message_ts: messageTs },
    actions: [],
  };
  await action(deps(rewind))({
    ack: rec.ack,
    respond: rec.respond,
    body,
    action: { type: 'button', action_id: actionId, value: 'rewind/users-api/prod' },
    payload: {},
  } as unknown as ButtonArgs);
  return rec;
}

describe('held-run buttons', () => {
  it('Resolve: acks first, asks the run as the clicker, and says why it still holds when Git differs', async () => {
    const { rewind, updates } = heldRun((_n, timeline) => {
      // As workflows/hold-paused.ts records it.
      const remaining = '/ConfigMap/users-api-prod/users-api-env/data/LOG_LEVEL';
      timeline.push({
        summary: `resolve refused: Git still differs from live at ${remaining}`,
        evidence: { refused: 'resolve', remaining },
      });
    });
    const rec = await click(resolveAction, rewind, 'U_BOB', '100.000200', 'rewind_resolve');
    assert.deepEqual(rec.order, ['ack', 'respond']);
    assert.deepEqual(
      updates.map(([n, a]) => [n, (a as { by: { handle: string } }).by.handle]),
      [['resolve', 'bob']],
    );
    const reply = rec.responses[0] as { text: string; response_type: string };
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(
      reply.text,
      /Not resolved: Git does not hold the live change yet \(Git still differs from live at \/ConfigMap\/users-api-prod\/users-api-env\/data\/LOG_LEVEL\)/,
    );
  });

  it("Resolve: reports the run's result once it resumed", async () => {
    const { rewind } = heldRun((_n, _t, finish) =>
      finish({
        phase: 'resolved',
        result: 'Resolved by bob: Git at abc1234 holds the live change; auto-sync restored.',
      }),
    );
    const rec = await click(resolveAction, rewind, 'U_BOB', '100.000200', 'rewind_resolve');
    assert.match((rec.responses[0] as { text: string }).text, /Resolved by bob: Git at abc1234 holds the live change/);
  });

  it("Abandon: the click (sent only after Slack's confirm dialog) is the confirmation", async () => {
    const { rewind, updates } = heldRun((_n, _t, finish) =>
      finish({ phase: 'abandoned', result: 'Abandoned by alice: auto-sync resumed and Git wins.' }),
    );
    const rec = await click(abandonAction, rewind, 'U_ALICE', '100.000200', 'rewind_abandon');
    assert.equal(updates[0]![0], 'abandon');
    assert.equal((updates[0]![1] as { confirm: boolean }).confirm, true);
    assert.match((rec.responses[0] as { text: string }).text, /Abandoned by alice/);
  });

  it("a click on an earlier run's message is refused and asks nothing of the current run", async () => {
    const { rewind, updates } = heldRun(() => undefined);
    const rec = await click(abandonAction, rewind, 'U_ALICE', '99.000001', 'rewind_abandon');
    assert.deepEqual(updates, []);
    assert.match((rec.responses[0] as { text: string }).text, /belongs to an earlier run of users-api\/prod/);
  });
});
