import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { completingIdentity, startRunCollector } from '../../../src/lib/metrics/run-collector.js';
import type { RunStatus } from '../../../workflows/types.js';

interface FakeRun {
  runId: string;
  runbook: string;
  source?: string;
  start: number;
  close?: number;
  status: 'RUNNING' | 'COMPLETED' | 'TERMINATED';
  first?: string;
  last?: string;
  phase?: RunStatus['phase'];
}

/** Just the client calls the collector makes, answering from `runs` (queries filtered by their time bound). */
function fakeClient(runs: FakeRun[]) {
  const calls = { results: 0 };
  const event = (identity?: string) => (identity ? [{ workflowTaskCompletedEventAttributes: { identity } }] : []);
  const started = (r: FakeRun | undefined) => ({
    workflowExecutionStartedEventAttributes: {
      input: { payloads: [{ runbook: { name: r?.runbook }, request: { source: r?.source ?? 'cli' } }] },
    },
  });
  const client = {
    // Payloads here are already the decoded values.
    options: { loadedDataConverter: { payloadConverter: { fromPayload: (p: unknown) => p } } },
    workflow: {
      async *list({ query }: { query: string }) {
        const [, field, iso] = /(StartTime|CloseTime) >= '([^']+)'/.exec(query)!;
        const from = Date.parse(iso!);
        for (const r of runs) {
          const t = field === 'StartTime' ? r.start : r.close;
          if (t === undefined || t < from) continue;
          yield {
            workflowId: `rewind/app/${r.runId}`,
            runId: r.runId,
            startTime: new Date(r.start),
            ...(r.close !== undefined ? { closeTime: new Date(r.close) } : {}),
            status: { name: r.status },
            typedSearchAttributes: { get: () => undefined }, // like drill children: no search attributes
          };
        }
      },
      getHandle: (_id: string, runId: string) => ({
        async result() {
          calls.results++;
          const r = runs.find((x) => x.runId === runId)!;
          return { runbook: r.runbook, phase: r.phase, steps: [] } as unknown as RunStatus;
        },
      }),
    },
    workflowService: {
      async getWorkflowExecutionHistory({ execution }: { execution: { runId: string } }) {
        const r = runs.find((x) => x.runId === execution.runId);
        return {
          history: { events: [started(r), { workflowTaskCompletedEventAttributes: null }, ...event(r?.first)] },
          nextPageToken: new Uint8Array(),
        };
      },
      async getWorkflowExecutionHistoryReverse({ execution }: { execution: { runId: string } }) {
        return {
          history: { events: event(runs.find((r) => r.runId === execution.runId)?.last) },
          nextPageToken: new Uint8Array(),
        };
      },
    },
  };
  return { client: client as unknown as Client, calls };
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    metrics: {
      runStarted: (runbook: string, source: string) => log.push(`started ${runbook} ${source}`),
      runFinished: (s: RunStatus, source: string) => log.push(`finished ${s.runbook} ${source} ${s.phase}`),
      runClosed: (runbook: string, source: string, outcome: string) =>
        log.push(`closed ${runbook} ${source} ${outcome}`),
    },
  };
}

describe('run collector', () => {
  it('completingIdentity: the first event that completed a workflow task', () => {
    assert.equal(
      completingIdentity([
        { workflowTaskCompletedEventAttributes: null },
        { workflowTaskCompletedEventAttributes: { identity: '1@pod-a' } },
        { workflowTaskCompletedEventAttributes: { identity: '1@pod-b' } },
      ]),
      '1@pod-a',
    );
    assert.equal(completingIdentity([{}]), undefined);
  });

  it('counts only the runs this worker executed, each once, and none from before it started', async () => {
    const now = Date.now(),
      since = new Date(now - 60_000);
    const runs: FakeRun[] = [
      {
        runId: 'mine',
        runbook: 'rollback',
        start: now - 30_000,
        close: now - 1_000,
        status: 'COMPLETED',
        first: 'me',
        last: 'me',
        phase: 'restored',
      },
      {
        runId: 'theirs',
        runbook: 'rollback',
        start: now - 30_000,
        close: now - 1_000,
        status: 'COMPLETED',
        first: 'other',
        last: 'other',
        phase: 'restored',
      },
      {
        runId: 'handed-over',
        runbook: 'emergency-change',
        start: now - 20_000,
        close: now - 2_000,
        status: 'COMPLETED',
        first: 'other',
        last: 'me',
        phase: 'resolved',
      },
      {
        runId: 'old',
        runbook: 'rollback',
        start: now - 120_000,
        close: now - 90_000,
        status: 'COMPLETED',
        first: 'me',
        last: 'me',
        phase: 'restored',
      },
      {
        runId: 'killed',
        runbook: 'rollback',
        source: 'drill',
        start: now - 10_000,
        close: now - 5_000,
        status: 'TERMINATED',
        first: 'me',
        last: 'me',
      },
      // no workflow task completed yet
      { runId: 'fresh', runbook: 'emergency-change', start: now - 1_000, status: 'RUNNING' },
    ];
    const { client, calls } = fakeClient(runs);
    const rec = recorder();
    const collector = startRunCollector({
      client,
      namespace: 'default',
      identity: 'me',
      metrics: rec.metrics,
      since,
      autoPoll: false,
    });
    await collector.pollOnce();
    await collector.pollOnce();
    assert.deepEqual(rec.log.sort(), [
      'closed rollback drill terminated',
      'finished emergency-change cli resolved',
      'finished rollback cli restored',
      'started rollback cli',
      'started rollback drill',
    ]);
    assert.equal(calls.results, 2, 'results are read once, only for runs this worker finished');

    runs.find((r) => r.runId === 'fresh')!.first = 'me';
    await collector.pollOnce();
    assert.ok(rec.log.includes('started emergency-change cli'), 'counted once its first workflow task completed');
    assert.equal(rec.log.length, 6);
    await collector.stop();
  });
});
