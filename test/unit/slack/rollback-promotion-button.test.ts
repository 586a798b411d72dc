import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Rewind } from '../../../src/lib/runs.js';
import { rollbackPromotionAction } from '../../../src/app/slack/listeners/actions/rollback-promotion.js';
import type { ButtonArgs } from '../../../src/app/slack/listeners/actions/run-action.js';
import {
  promotionVerdictMessage,
  ROLLBACK_PROMOTION_ACTION,
} from '../../../src/lib/slack-messages/promotion-message.js';
import type { PromotionVerification } from '../../../workflows/watch/promotion-types.js';
import type { TargetSnapshot } from '../../../workflows/types.js';
import { testConfig } from './config-fixture.js';
import { deps, recorder } from './fakes.js';

const SHA = '3f2a9c1e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a';

/** A Temporal client that records starts; the watch answers with `verifications`. */
function fakeClient(verifications: PromotionVerification[]) {
  const starts: Array<{ workflowId: string; request: unknown }> = [];
  const client = {
    workflow: {
      getHandle: () => ({ query: async () => ({ verifications }) }),
      start: async (_t: string, o: { workflowId: string; args: Array<{ request: unknown }> }) => {
        starts.push({ workflowId: o.workflowId, request: o.args[0]!.request });
        return { firstExecutionRunId: 'run-1' };
      },
    },
  } as unknown as Client;
  const rewind: Rewind = { cfg: testConfig(), client, taskQueue: 'unit' };
  return { rewind, starts };
}

async function click(rewind: Rewind, userId: string, value: string) {
  const rec = recorder();
  const body = {
    type: 'block_actions',
    user: { id: userId },
    container: { type: 'message', message_ts: '1.2' },
    actions: [],
  };
  await rollbackPromotionAction(deps(rewind))({
    ack: rec.ack,
    respond: rec.respond,
    body,
    action: { type: 'button', action_id: ROLLBACK_PROMOTION_ACTION, value },
    payload: {},
  } as unknown as ButtonArgs);
  return rec;
}

const failed: PromotionVerification = {
  revision: SHA,
  syncedAt: '2026-03-02T10:00:00.000Z',
  state: 'failed',
  detectedAt: '2026-03-02T10:01:10.000Z',
  action: { kind: 'offered' },
  change: {
    kind: 'promotion',
    sha: SHA,
    subject: 'promote users-api 1.46.0 to staging',
    author: 'ci-bot <ci@acme.test>',
  },
  verdicts: [
    {
      name: 'error-rate',
      kind: 'prometheus',
      passed: false,
      reason: 'breached',
      message: 'error rate 4.2% > 1% for 2m',
      at: '2026-03-02T10:01:10.000Z',
      samples: 9,
      value: 0.042,
    },
  ],
};

describe('the Roll back button of a failed promotion', () => {
  it('starts the rollback for an owner, with the promotion as --to and the verdict as its trigger', async () => {
    const { rewind, starts } = fakeClient([failed]);
    const rec = await click(rewind, 'U_ALICE', `rewind-watch/users-api/staging#${SHA}`);
    assert.deepEqual(rec.order, ['ack', 'respond']);
    assert.equal(starts.length, 1);
    const req = starts[0]!.request as {
      commit: string;
      requester: { handle: string };
      reason: string;
      trigger: { detectedAt: string; failed: unknown[] };
    };
    assert.deepEqual(
      [starts[0]!.workflowId, req.commit, req.requester.handle, req.trigger.detectedAt],
      ['rewind/users-api/staging', SHA, 'alice', failed.detectedAt],
    );
    assert.equal(req.reason, 'users-api/staging degraded after promotion 3f2a9c1 (error rate 4.2% > 1% for 2m)');
    assert.match(
      (rec.responses[0] as { text: string }).text,
      /Started run `rewind\/users-api\/staging` to roll back `3f2a9c1`/,
    );
  });

  it('bad input changes nothing: a value without a promotion, a stranger, a dropped verdict', async () => {
    const { rewind, starts } = fakeClient([
      {
        ...failed,
        state: 'superseded',
        message: 'verdict dropped: a newer change 1234567 touched users-api/staging since',
      },
    ]);
    assert.match(
      ((await click(rewind, 'U_ALICE', 'rewind/users-api/staging')).responses[0] as { text: string }).text,
      /names no promotion/,
    );
    assert.match(
      (
        (await click(rewind, 'U_ALICE', `rewind-watch/users-api/staging#${SHA.slice(0, 7)}`)).responses[0] as {
          text: string;
        }
      ).text,
      /names no promotion/,
    );
    assert.match(
      ((await click(rewind, 'U_STRANGER', `rewind-watch/users-api/staging#${SHA}`)).responses[0] as { text: string })
        .text,
      /not a person in rewind\.yaml/,
    );
    assert.match(
      ((await click(rewind, 'U_ALICE', `rewind-watch/users-api/staging#${SHA}`)).responses[0] as { text: string }).text,
      /was dropped: verdict dropped: a newer change 1234567/,
    );
    assert.equal(starts.length, 0);
  });

  it(
    'the message names the promotion, the failed check with ' +
      'numbers, and carries the button unless rewind already rolls back',
    () => {
      const target = {
        app: 'users-api',
        env: 'staging',
        owners: [{ handle: 'alice' }],
        approval: { required: false },
      } as unknown as TargetSnapshot;
      const offered = promotionVerdictMessage(failed, target);
      assert.equal(offered.text, 'users-api/staging degraded after promotion 3f2a9c1 (error rate 4.2% > 1% for 2m)');
      assert.ok(JSON.stringify(offered.blocks).includes(`"value":"rewind-watch/users-api/staging#${SHA}"`));
      const auto = promotionVerdictMessage(
        { ...failed, action: { kind: 'auto-rollback', workflowId: 'rewind/users-api/staging', at: 'x' } },
        target,
      );
      assert.ok(!JSON.stringify(auto.blocks).includes(ROLLBACK_PROMOTION_ACTION));
      assert.match(JSON.stringify(auto.blocks), /Rolling back automatically/);
    },
  );
});
