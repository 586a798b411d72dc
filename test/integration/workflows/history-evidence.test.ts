/**
 * A run's timeline rebuilt from its history (the source for runs whose worker is gone) carries the
 * evidence the workflow recorded itself, step by step: both come from workflows/evidence.ts, and this
 * checks that the history source feeds the builders the results the workflow fed them. Every golden
 * scenario (test/fixtures/histories/record.ts) is run on the time-skipping server with the fake
 * activities, and its result's timeline is compared with the one rebuilt from its history.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { startTemporalTimeSkipping } from '../../../src/sandbox/world/temporal.js';
import { runTimelineFromHistory } from '../../../src/lib/timeline/from-history.js';
import { runScenario, SCENARIOS } from '../../fixtures/histories/record.js';
import { freshIds, workflowBundle } from './runbook-runs.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
before(async () => {
  [env, bundle] = await Promise.all([startTemporalTimeSkipping(), workflowBundle()]);
});
after(async () => {
  await env?.teardown();
});

describe('evidence rebuilt from history equals the workflow’s own', () => {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, { timeout: 120_000 }, async () => {
      const ids = freshIds(`evidence-${name}`);
      const { result, history } = await runScenario(env, bundle, name, scenario, ids);
      const rebuilt = runTimelineFromHistory(history, { workflowId: ids.workflowId, runId: 'run' });
      const own = result.timeline.filter((e) => e.kind === 'step' && e.step && e.evidence);
      assert.ok(own.length > 0, `${name}: the run recorded evidence for its steps`);
      for (const event of own) {
        const found = rebuilt.events.find((e) => e.kind === 'step' && e.step === event.step && e.evidence);
        assert.ok(found, `${name}, step ${event.step}: rebuilt without evidence`);
        const defined = Object.fromEntries(Object.entries(event.evidence ?? {}).filter(([, v]) => v !== undefined));
        const rebuiltSame = Object.fromEntries(Object.keys(defined).map((k) => [k, found.evidence?.[k]]));
        assert.deepEqual(rebuiltSame, defined, `${name}, step ${event.step}`);
      }
    });
  }
});
