import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Rewind } from '../../../src/lib/runs.js';
import { approveAction } from '../../../src/app/slack/listeners/actions/approve.js';
import { decisionButtonValue, parseRunButtonValue } from '../../../src/lib/slack-messages/run-message.js';
import type { ButtonArgs } from '../../../src/app/slack/listeners/actions/run-action.js';
import type { RunStatus } from '../../../workflows/types.js';
import { testConfig } from './config-fixture.js';
import { deps, recorder } from './fakes.js';

/** A Temporal client whose run answers the status query and records updates. */
function fakeRun(status: Partial<RunStatus>) {
  const updates: unknown[] = [];
  const client = {
    workflow: {
      getHandle: () => ({
        query: async () => ({
          workflowId: 'rewind/users-api/prod',
          app: 'users-api',
          env: 'prod',
          requester: 'alice',
          reason: 'second run',
          phase: 'awaiting-approval',
          steps: [],
          approvals: [],
          ...status,
        }),
        executeUpdate: async (_u: unknown, { args }: { args: unknown[] }) => {
          updates.push(args[0]);
          return {
            workflowId: 'rewind/users-api/prod',
            runbook: 'rollback',
            requester: 'alice',
            phase: 'awaiting-approval',
            approvals: [{ by: 'bob', decision: 'approve' }],
            approvalsNeeded: 0,
            plan: { promotion: { sha: '3f2a9c1d' } },
            steps: [],
          };
        },
      }),
    },
  } as unknown as Client;
  const rewind: Rewind = { cfg: testConfig(), client, taskQueue: 'unit' };
  return { rewind, updates };
}

async function click(rewind: Rewind, userId: string, messageTs: string | undefined, value = 'rewind/users-api/prod') {
  const rec = recorder();
  const body = {
    type: 'block_actions',
    user: { id: userId },
    container: messageTs ? { type: 'message', message_ts: messageTs } : {},
    actions: [],
  };
  await approveAction(deps(rewind))({
    ack: rec.ack,
    respond: rec.respond,
    body,
    action: { type: 'button', action_id: 'rewind_approve', value },
    payload: {},
  } as unknown as ButtonArgs);
  return rec;
}

describe('run buttons', () => {
  it('acks first, then approves as the person mapped from the Slack user', async () => {
    const { rewind, updates } = fakeRun({ slackMessage: { channel: 'C_USERS_API', ts: '100.000200' } });
    const rec = await click(rewind, 'U_BOB', '100.000200');
    assert.deepEqual(rec.order, ['ack', 'respond']);
    assert.deepEqual(updates, [
      {
        decision: 'approve',
        by: { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test', slack: 'U_BOB' },
        via: 'slack',
      },
    ]);
    assert.equal(
      (rec.responses[0] as { text: string }).text,
      ':white_check_mark: approved by bob: reverting 3f2a9c1 now ' +
        '(rewind/users-api/prod, requested by alice). The run message shows its progress.',
    );
  });

  it("refuses a click on an earlier run's message: the workflow id is shared by every run of the target", async () => {
    const { rewind, updates } = fakeRun({ slackMessage: { channel: 'C_USERS_API', ts: '200.000100' } });
    const rec = await click(rewind, 'U_BOB', '100.000200');
    assert.deepEqual(updates, [], 'no decision sent');
    const reply = rec.responses[0] as { text: string; response_type: string; replace_original: boolean };
    assert.equal(reply.response_type, 'ephemeral');
    assert.equal(reply.replace_original, false);
    assert.match(reply.text, /belongs to an earlier run of users-api\/prod/);
  });

  it(
    'a button carrying the run id decides only that run: ' + "the id goes with the decision, another run's is refused",
    async () => {
      const current = fakeRun({ runId: 'run-2', slackMessage: { channel: 'C_USERS_API', ts: '100.000200' } });
      await click(
        current.rewind,
        'U_BOB',
        '100.000200',
        decisionButtonValue({ workflowId: 'rewind/users-api/prod', runId: 'run-2' }),
      );
      assert.deepEqual(current.updates, [
        {
          decision: 'approve',
          by: { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test', slack: 'U_BOB' },
          via: 'slack',
          runId: 'run-2',
        },
      ]);
      // The same message ts (a message updated in place) but the button names the previous run.
      const stale = fakeRun({ runId: 'run-2', slackMessage: { channel: 'C_USERS_API', ts: '100.000200' } });
      const rec = await click(stale.rewind, 'U_BOB', '100.000200', 'rewind/users-api/prod#run-1');
      assert.deepEqual(stale.updates, [], 'no decision sent');
      assert.match((rec.responses[0] as { text: string }).text, /belongs to an earlier run of users-api\/prod/);
      assert.deepEqual(
        parseRunButtonValue('rewind/users-api/prod'),
        { workflowId: 'rewind/users-api/prod' },
        'a button posted before run ids still names its workflow',
      );
    },
  );

  it('refuses an unknown Slack user without calling Temporal', async () => {
    const { rewind, updates } = fakeRun({});
    const rec = await click(rewind, 'U_STRANGER', '1.0');
    assert.deepEqual(updates, []);
    assert.match((rec.responses[0] as { text: string }).text, /add `slack: U_STRANGER`/);
  });

  it('refuses a value that is not a rewind run id', async () => {
    const { rewind, updates } = fakeRun({});
    const rec = await click(rewind, 'U_BOB', undefined, '../../etc');
    assert.deepEqual(updates, []);
    assert.match((rec.responses[0] as { text: string }).text, /is not a rewind run id/);
  });
});
