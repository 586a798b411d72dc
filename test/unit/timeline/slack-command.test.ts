import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Rewind } from '../../../src/lib/runs.js';
import { worldConfig } from '../../../src/sandbox/world/world-config.js';
import { parseTimelineText, timelineCommand } from '../../../src/app/slack/listeners/commands/timeline.js';

const { config: cfg } = worldConfig({
  kubeconfigPath: '/nonexistent/kubeconfig',
  repoUrl: 'http://127.0.0.1:9/config.git',
  temporalAddress: '127.0.0.1:9',
  taskQueue: 'q',
});

/** A command call with fakes that record what the listener did; no Temporal client is reachable. */
function call(text: string, user = 'U_ALICE') {
  const calls: string[] = [];
  const rewind = {
    cfg,
    client: new Proxy(
      {},
      {
        get: () => {
          throw new Error('Temporal must not be called');
        },
      },
    ),
    taskQueue: 'q',
  } as unknown as Rewind;
  const handler = timelineCommand({ rewind, logger: pino({ level: 'silent' }) });
  const args = {
    command: { text, user_id: user, channel_id: 'C1' },
    ack: async (m?: { text?: string }) => {
      calls.push(`ack:${m?.text ?? ''}`);
    },
    respond: async (m: { text?: string }) => {
      calls.push(`respond:${m.text ?? ''}`);
    },
    client: {
      files: {
        uploadV2: async () => {
          calls.push('upload');
          return { ok: true };
        },
      },
    },
  };
  return { calls, run: () => handler(args as unknown as Parameters<typeof handler>[0]) };
}

describe('/timeline listener', () => {
  it('parses an incident, an app with its env (space or slash), and refuses the rest', () => {
    assert.deepEqual(parseTimelineText(cfg, 'INC-42'), { kind: 'incident', incidentId: 'INC-42' });
    assert.deepEqual(parseTimelineText(cfg, 'users-api staging'), {
      kind: 'run',
      workflowId: 'rewind/users-api/staging',
    });
    assert.deepEqual(parseTimelineText(cfg, 'users-api/dev'), { kind: 'run', workflowId: 'rewind/users-api/dev' });
    assert.throws(() => parseTimelineText(cfg, 'users-api staging more'), /Usage/);
  });

  it('bad input and unknown people are answered in the ack; nothing is built or uploaded', async () => {
    for (const [text, user, expected] of [
      ['', 'U_ALICE', /Usage/],
      ['users-api qa', 'U_ALICE', /no environment "qa"/],
      ['INC-42', 'U_NOBODY', /not a person in rewind\.yaml/],
      ['a b c', 'U_ALICE', /Usage/],
    ] as const) {
      const c = call(text, user);
      await c.run();
      assert.equal(c.calls.length, 1, `${text}: ${c.calls.join(' | ')}`);
      assert.match(c.calls[0]!, /^ack:/);
      assert.match(c.calls[0]!, expected);
    }
  });

  it('acks first, then reports a failure to build ephemerally without uploading', async () => {
    const c = call('INC-42');
    await c.run();
    assert.match(c.calls[0]!, /^ack:.*Building the timeline of incident INC-42/);
    assert.equal(c.calls.includes('upload'), false);
    assert.match(c.calls.at(-1)!, /^respond:.*building the timeline failed unexpectedly/);
  });
});
