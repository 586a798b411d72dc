import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { artifactId, incidentDetected, runResolved } from '../../../src/lib/cdevents/events.js';
import { createCDEventSink } from '../../../src/lib/cdevents/sink.js';
import type { RunInput, RunStatus } from '../../../workflows/types.js';

const runKey = 'rewind/users-api/prod/0f3c';
const input = (over: Partial<RunInput['request']> = {}) =>
  ({
    runbook: { name: 'rollback' },
    target: { app: 'users-api', env: 'prod' },
    request: {
      requester: { handle: 'alice' },
      reason: '5xx after 1.43.0',
      source: 'slack',
      ...over,
    },
  }) as unknown as RunInput;
const status = (over: Partial<RunStatus> = {}): RunStatus => ({
  workflowId: 'rewind/users-api/prod',
  runId: '0f3c',
  runbook: 'rollback',
  app: 'users-api',
  env: 'prod',
  phase: 'restored',
  requester: 'alice',
  reason: '5xx after 1.43.0',
  steps: [],
  approvals: [],
  startedAt: '2026-12-03T10:00:00.000Z',
  restoredAt: '2026-12-03T10:04:00.000Z',
  revertSha: 'b'.repeat(40),
  result: 'Restored: users-api/prod is Synced and Healthy',
  ...over,
});

describe('CDEvents', () => {
  it('a run start is an incident detected, at the promotion watch’s detection when it came from one', () => {
    const e = incidentDetected(input({ incidentId: 'INC-9' }), runKey, '2026-12-03T10:00:00.000Z')!;
    assert.deepEqual(e, {
      context: {
        specversion: '0.5.1',
        id: `${runKey}/incident.detected`,
        source: '/rewind/users-api/prod',
        type: 'dev.cdevents.incident.detected.0.3.0',
        timestamp: '2026-12-03T10:00:00.000Z',
      },
      subject: {
        id: 'INC-9',
        source: '/rewind/users-api/prod',
        content: {
          description: 'rollback requested by alice: 5xx after 1.43.0',
          environment: { id: 'prod' },
          service: { id: 'users-api' },
        },
      },
    });
    const auto = incidentDetected(
      input({
        source: 'auto',
        trigger: { detectedAt: '2026-12-03T09:58:30.000Z', promotion: 'a'.repeat(40) } as never,
      }),
      runKey,
      '2026-12-03T10:00:00.000Z',
    )!;
    assert.equal(auto.context.timestamp, '2026-12-03T09:58:30.000Z');
    assert.equal(auto.subject.id, runKey, 'no incident id: the run names it');
    assert.equal(auto.subject.content.artifactId, `pkg:generic/users-api@${'a'.repeat(40)}`);
    assert.equal(incidentDetected(input({ source: 'drill' }), runKey, '2026-12-03T10:00:00.000Z'), undefined);
  });

  it('a restored rollback resolves the incident and rolls the service back to the image it restored', () => {
    const plan = {
      promotion: { images: [{ from: 'ghcr.io/acme/users-api:1.42.0', to: 'ghcr.io/acme/users-api:1.43.0' }] },
    };
    const [resolved, rolledBack] = runResolved(status({ plan: plan as never }), input(), runKey);
    assert.equal(resolved!.context.type, 'dev.cdevents.incident.resolved.0.3.0');
    assert.equal(resolved!.context.timestamp, '2026-12-03T10:04:00.000Z');
    assert.equal(resolved!.subject.content.description, 'Restored: users-api/prod is Synced and Healthy');
    assert.deepEqual(rolledBack, {
      context: {
        specversion: '0.5.1',
        id: `${runKey}/service.rolledback`,
        source: '/rewind/users-api/prod',
        type: 'dev.cdevents.service.rolledback.0.3.0',
        timestamp: '2026-12-03T10:04:00.000Z',
      },
      subject: {
        id: 'users-api',
        source: '/rewind/users-api/prod',
        content: {
          environment: { id: 'prod' },
          artifactId: 'pkg:oci/users-api?repository_url=ghcr.io/acme/users-api&tag=1.42.0',
        },
      },
    });
    assert.equal(
      runResolved(status({ runbook: 'emergency' }), input(), runKey).length,
      1,
      'an emergency resolves only',
    );
    assert.deepEqual(runResolved(status({ phase: 'not-restored' }), input(), runKey), []);
    assert.deepEqual(runResolved(status(), input({ source: 'drill' }), runKey), []);
  });

  it('names images as package URLs', () => {
    assert.equal(
      artifactId('registry.acme:5000/team/api@sha256:abc', 'api', undefined),
      'pkg:oci/api@sha256%3Aabc?repository_url=registry.acme:5000/team/api',
    );
    assert.equal(artifactId(undefined, 'api', undefined), undefined);
  });

  it('the sink posts in CloudEvents binary mode, retries a refusal, and never blocks the sender', async () => {
    const got: Array<{ headers: Record<string, unknown>; body: unknown }> = [];
    let refuse = 1;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        if (refuse-- > 0) return res.writeHead(503).end();
        got.push({ headers: req.headers, body: JSON.parse(body) });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      process.env.TEST_CDEVENTS_TOKEN = 's3cret';
      const sink = createCDEventSink({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
        tokenEnv: 'TEST_CDEVENTS_TOKEN',
        backoffMs: [10, 10],
      });
      const e = incidentDetected(input(), runKey, '2026-12-03T10:00:00.000Z')!;
      sink.send([e]);
      assert.equal(got.length, 0, 'send returns before the post');
      await sink.drain();
      assert.equal(got.length, 1);
      assert.deepEqual(got[0]!.body, e);
      const h = got[0]!.headers;
      assert.equal(h['content-type'], 'application/json');
      assert.equal(h['ce-specversion'], '1.0');
      assert.equal(h['ce-id'], `${runKey}/incident.detected`);
      assert.equal(h['ce-type'], 'dev.cdevents.incident.detected.0.3.0');
      assert.equal(h['ce-source'], '/rewind/users-api/prod');
      assert.equal(h['ce-subject'], runKey);
      assert.equal(h['ce-time'], '2026-12-03T10:00:00.000Z');
      assert.equal(h.authorization, 'Bearer s3cret');
    } finally {
      delete process.env.TEST_CDEVENTS_TOKEN;
      server.close();
    }
  });
});
