import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION, objectLabel, parseRunButtonValue, runMessage } from '../../../src/lib/slack-messages/run-message.js';
import type { RunStatus, TargetSnapshot } from '../../../workflows/types.js';

const target = { app: 'users-api', env: 'prod' } as TargetSnapshot;
const base = {
  workflowId: 'rewind/users-api/prod',
  runbook: 'emergency-change',
  app: 'users-api',
  env: 'prod',
  requester: 'alice',
  reason: 'need <debug> logs',
  steps: [{ name: 'plan', kind: 'planEmergency', state: 'done' }],
  approvals: [],
  startedAt: '2026-01-01T00:00:00Z',
  emergency: {
    changes: [
      {
        object: '/ConfigMap/users-api-prod/users-api-env',
        resourceVersion: '41',
        fields: [
          { path: '/data/LOG_LEVEL', live: 'info', desired: 'debug' },
          { path: '/data/NEW', live: undefined, desired: 'x`y' },
        ],
      },
    ],
    gitEdits: [
      {
        file: 'apps/users-api/overlays/prod/configmap-patch.yaml',
        docIndex: 0,
        yamlPath: ['data', 'LOG_LEVEL'],
        value: 'debug',
        before: 'info',
        why: '',
      },
    ],
    gitDiff: '-  LOG_LEVEL: info\n+  LOG_LEVEL: debug',
    engine: {
      engine: 'argocd',
      syncStatus: 'Synced',
      health: 'Healthy',
      autoSync: { engine: 'argocd', automated: { prune: true, selfHeal: true } },
      resourceVersion: '7',
    },
    warnings: [],
  },
} as unknown as RunStatus;

const buttons = (blocks: Array<Record<string, unknown>>) =>
  blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as Array<Record<string, unknown>>);

describe('runMessage for the emergency path', () => {
  it('shows each field before → after and the Git files, with typed text escaped', () => {
    const { blocks } = runMessage({ ...base, phase: 'awaiting-approval' }, target);
    const all = JSON.stringify(blocks);
    assert.match(all, /ConfigMap users-api-prod\/users-api-env/);
    assert.match(all, /`\/data\/LOG_LEVEL`: `\\"info\\"` → `\\"debug\\"`/);
    assert.match(
      all,
      /`\/data\/NEW`: `∅` → `\\"x'y\\"`/,
      'a missing value reads ∅; a backtick cannot end the code span',
    );
    assert.match(all, /\*Git\*: will edit `apps\/users-api\/overlays\/prod\/configmap-patch.yaml`/);
    assert.deepEqual(
      buttons(blocks).map((b) => b.action_id),
      [ACTION.approve, ACTION.reject, ACTION.cancel],
    );
  });

  it(
    'Approve and Reject carry the run id whose plan the message ' +
      'shows, after the workflow id; Cancel the workflow id',
    () => {
      const { blocks } = runMessage({ ...base, runId: 'first-run-id', phase: 'awaiting-approval' }, target);
      const [approve, reject, cancel] = buttons(blocks);
      assert.equal(approve!.value, 'rewind/users-api/prod#first-run-id');
      assert.equal(reject!.value, 'rewind/users-api/prod#first-run-id');
      assert.equal(cancel!.value, 'rewind/users-api/prod');
      assert.deepEqual(parseRunButtonValue(approve!.value as string), {
        workflowId: 'rewind/users-api/prod',
        runId: 'first-run-id',
      });
    },
  );

  it('held-paused: Resolve and Abandon carry the run id; Abandon asks Slack to confirm first; no Cancel', () => {
    const { blocks, text } = runMessage(
      { ...base, phase: 'held-paused', result: 'Auto-sync of users-api/prod stays PAUSED: push rejected.' },
      target,
    );
    assert.match(text, /HELD/);
    const [resolve, abandon, ...rest] = buttons(blocks);
    assert.deepEqual(rest, []);
    assert.equal(resolve!.action_id, 'rewind_resolve');
    assert.equal(resolve!.value, 'rewind/users-api/prod');
    assert.equal(abandon!.action_id, 'rewind_abandon');
    assert.equal(abandon!.value, 'rewind/users-api/prod');
    const confirm = abandon!.confirm as {
      title: { text: string };
      text: { text: string };
      confirm: { text: string };
      deny: { text: string };
    };
    assert.ok(confirm, 'Slack shows a confirm dialog before sending the click');
    assert.match(
      confirm.text.text,
      /Git wins: the engine undoes the live change to ConfigMap users-api-prod\/users-api-env/,
    );
    assert.ok(
      confirm.title.text.length <= 100 &&
        confirm.text.text.length <= 300 &&
        confirm.confirm.text.length <= 30 &&
        confirm.deny.text.length <= 30,
      "within Slack's limits",
    );
    assert.match(JSON.stringify(blocks), /rewind resolve users-api --env prod/);
  });

  it('once ended (resolved), no buttons', () => {
    assert.deepEqual(buttons(runMessage({ ...base, phase: 'resolved', commitSha: 'abcdef0123' }, target).blocks), []);
  });

  it('labels object keys as people read them', () => {
    assert.equal(objectLabel('/ConfigMap/ns/name'), 'ConfigMap ns/name');
    assert.equal(objectLabel('apps/Deployment/ns/web'), 'Deployment.apps ns/web');
  });
});
