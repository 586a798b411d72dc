import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RefusedError } from '../../../src/lib/runs.js';
import { worldConfig } from '../../../src/sandbox/world/world-config.js';
import { resolveTimelineTarget } from '../../../src/lib/timeline/target.js';

const { config: cfg } = worldConfig({
  kubeconfigPath: '/nonexistent/kubeconfig',
  repoUrl: 'http://127.0.0.1:9/config.git',
  temporalAddress: '127.0.0.1:9',
  taskQueue: 'q',
});

describe('timeline target', () => {
  it('reads run ids, app/env, an app alone (its default env) and incident ids', () => {
    assert.deepEqual(resolveTimelineTarget(cfg, 'rewind/users-api/prod'), {
      kind: 'run',
      workflowId: 'rewind/users-api/prod',
    });
    assert.deepEqual(resolveTimelineTarget(cfg, 'users-api/staging', { runId: 'r-1' }), {
      kind: 'run',
      workflowId: 'rewind/users-api/staging',
      runId: 'r-1',
    });
    assert.deepEqual(resolveTimelineTarget(cfg, 'users-api'), { kind: 'run', workflowId: 'rewind/users-api/prod' });
    assert.deepEqual(resolveTimelineTarget(cfg, 'billing-worker', { env: 'dev' }), {
      kind: 'run',
      workflowId: 'rewind/billing-worker/dev',
    });
    assert.deepEqual(resolveTimelineTarget(cfg, 'INC-42'), { kind: 'incident', incidentId: 'INC-42' });
    assert.deepEqual(resolveTimelineTarget(cfg, undefined, { incident: 'INC-7' }), {
      kind: 'incident',
      incidentId: 'INC-7',
    });
  });

  it('refuses what it cannot read, saying what would work', () => {
    const refused = (f: () => unknown, re: RegExp) =>
      assert.throws(f, (e: Error) => e instanceof RefusedError && re.test(e.message));
    refused(() => resolveTimelineTarget(cfg, undefined), /say which timeline/);
    refused(() => resolveTimelineTarget(cfg, 'rewind/users-api'), /not a rewind run id/);
    refused(() => resolveTimelineTarget(cfg, 'users-api/qa'), /no environment "qa"/);
    refused(() => resolveTimelineTarget(cfg, "x' OR '1'='1"), /neither an app/);
    refused(() => resolveTimelineTarget(cfg, 'users-api', { incident: 'INC-1' }), /not both/);
    refused(() => resolveTimelineTarget(cfg, undefined, { incident: "INC-1'" }), /not an incident id/);
    refused(() => resolveTimelineTarget(cfg, 'INC-42', { runId: 'r' }), /--run-id needs a run/);
  });
});
