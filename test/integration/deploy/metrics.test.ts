/**
 * GET /metrics of the production entry point (src/app/serve.ts startProduction: config file, worker,
 * probes, metrics) against the real world: a rollback and an emergency change run on the production
 * worker, and the scrape shows the runs, their outcomes, step and activity durations, the time to
 * restore, and the auto-sync pause held by rewind coming and going.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import YAML from 'yaml';
import type { CDEvent } from '../../../src/lib/cdevents/events.js';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { createLogger } from '../../../src/lib/log.js';
import { abandonRun, person } from '../../../src/lib/runs.js';
import { startProduction, type Production } from '../../../src/app/serve.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { workflowSource } from '../../../src/app/worker.js';
import type { RunStatus } from '../../../workflows/types.js';
import { argoApp, mergePatch } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { start, untilPhase } from '../../support/world-runs.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough for assertions: `name{a="b",…} value` lines. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

let world: World;
let prod: Production;
/** The loopback CDEvents sink rewind.yaml names (`cdevents.url`): what it was sent, in order. */
let sink: Server;
const sunk: Array<{ headers: IncomingHttpHeaders; event: CDEvent }> = [];
let running: Promise<void>;
/** Every run the tests finished, for the replay check at the end. */
const finished: WorkflowHandle[] = [];

const get = async (p: string) => {
  const res = await fetch(`http://127.0.0.1:${prod.probePort}${p}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

async function scrape(): Promise<{ samples: Sample[]; text: string }> {
  const res = await get('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.type, /^text\/plain; version=0\.0\.4/);
  return { samples: parseExposition(res.text), text: res.text };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Scrapes until `name{labels}` equals `expected` (the collectors run on their own timers). */
async function until(name: string, labels: Record<string, string>, expected: number): Promise<Sample[]> {
  return waitFor(
    `${name}${JSON.stringify(labels)} = ${expected}`,
    async () => {
      const { samples } = await scrape();
      return value(samples, name, labels) === expected ? samples : undefined;
    },
    30_000,
    300,
  );
}

describe('metrics: /metrics of the production entry point', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', health: { window: '2s', timeout: '75s' } });
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        sunk.push({ headers: req.headers, event: JSON.parse(body) as CDEvent });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    // The world's rewind.yaml, plus the CDEvents sink.
    const config = YAML.parse(await readFile(world.configPath, 'utf8'));
    config.cdevents = { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/cdevents` };
    const configPath = path.join(world.dir, 'rewind-with-cdevents.yaml');
    await writeFile(configPath, YAML.stringify(config));
    // No world worker: the production entry point (src/app/serve.ts) runs the only one, from that rewind.yaml.
    prod = await startProduction(configPath, createLogger('metrics-test', 'warn'), {
      probePort: 0,
      installRuntime: false,
      dataDir: path.join(world.dir, 'prod-data'),
      metricsIntervals: { runsMs: 300, pausesMs: 300, doraMs: 3000 },
    });
    running = prod.run();
    await waitFor(
      'users-api staging Healthy',
      async () =>
        (await argoApp(world.kube.kc, 'users-api-staging')).status?.health?.status === 'Healthy' ? true : undefined,
      90_000,
    );
  });
  after(async () => {
    prod?.shutdown();
    await running?.catch(() => undefined);
    sink?.close();
    await world?.stop();
  });

  it('serves /healthz, /readyz and the metric families before any run', async () => {
    assert.equal((await get('/healthz')).status, 200);
    await waitFor('ready', async () => ((await get('/readyz')).status === 200 ? true : undefined));
    assert.equal((await get('/nope')).status, 404);
    const { text, samples } = await scrape();
    for (const family of [
      'rewind_runs_started_total',
      'rewind_runs_finished_total',
      'rewind_step_duration_seconds',
      'rewind_time_to_restore_seconds',
      'rewind_activity_duration_seconds',
      'rewind_autosync_paused',
      'rewind_autosync_paused_by_rewind',
      'rewind_drill_score',
      'rewind_drill_last_run_timestamp_seconds',
      'rewind_dora_deployments',
      'rewind_dora_change_failure_rate',
      'rewind_dora_lead_time_seconds',
      'rewind_dora_time_to_restore_seconds',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is defined`);
    }
    assert.ok(value(samples, 'rewind_process_resident_memory_bytes')! > 0, 'process metrics');
    await until('rewind_autosync_paused_by_rewind', {}, 0);
  });

  it(
    'a rollback: started and finished (restored), step ' + 'durations by kind, time to restore, activity durations',
    async () => {
      const bad = await world.repo.promote('users-api', 'staging', '1.43.0');
      await world.kube.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: 'argocd',
          plural: 'applications',
          name: 'users-api-staging',
          body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
        },
        mergePatch,
      );
      await waitFor('staging synced at the bad promotion', async () =>
        (await argoApp(world.kube.kc, 'users-api-staging')).status?.sync?.revision === bad.sha ? true : undefined,
      );

      const run = await start(world, {
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'crash loop after 1.43.0',
      });
      await until('rewind_runs_started_total', { runbook: 'rollback', source: 'cli' }, 1);
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      finished.push(run.handle);

      const samples = await until(
        'rewind_runs_finished_total',
        { runbook: 'rollback', source: 'cli', outcome: 'restored' },
        1,
      );
      assert.equal(value(samples, 'rewind_time_to_restore_seconds_count', { runbook: 'rollback', source: 'cli' }), 1);
      // The DORA gauges: the rolled-back promotion is staging's one failed deployment, and its time to
      // restore is the run's own, request to health held.
      const staging = { app: 'users-api', env: 'staging' };
      // The gauges are recomputed on their own timer: wait for a computation that saw the run restored.
      // Thrown with what the scrape shows, so a timeout says where the gauges stand.
      const dora = await waitFor(
        'rewind_dora_time_to_restore_seconds of users-api/staging',
        async () => {
          const { samples, text } = await scrape();
          if (value(samples, 'rewind_dora_time_to_restore_seconds', { ...staging, quantile: '0.5' }) !== undefined)
            return samples;
          throw new Error(
            text
              .split('\n')
              .filter((l) => /^rewind_dora_(failed|errors|computed)/.test(l))
              .join(' | '),
          );
        },
        60_000,
        500,
      );
      assert.equal(value(dora, 'rewind_dora_failed_deployments', staging), 1);
      assert.equal(
        value(dora, 'rewind_dora_time_to_restore_seconds', { ...staging, quantile: '0.5' }),
        (Date.parse(result.restoredAt!) - Date.parse(result.startedAt)) / 1000,
      );
      assert.equal(value(dora, 'rewind_dora_window_seconds'), 30 * 86_400);
      assert.equal(value(dora, 'rewind_dora_errors'), 0);

      // CDEvents: the incident detected as the run started, resolved and the service rolled back as it restored.
      const runKey = `rewind/users-api/staging/${run.runId}`;
      const events = await waitFor(
        'three CDEvents of the rollback',
        async () => {
          const mine = sunk.filter((x) => x.event.context.id.startsWith(runKey));
          return mine.length >= 3 ? mine : undefined;
        },
        30_000,
        300,
      );
      assert.deepEqual(
        events.map((x) => x.event.context.type),
        [
          'dev.cdevents.incident.detected.0.3.0',
          'dev.cdevents.incident.resolved.0.3.0',
          'dev.cdevents.service.rolledback.0.3.0',
        ],
      );
      for (const { headers, event } of events) {
        assert.equal(headers['ce-specversion'], '1.0');
        assert.equal(headers['ce-type'], event.context.type);
        assert.equal(headers['ce-id'], event.context.id);
        assert.equal(headers['ce-source'], '/rewind/users-api/staging');
        assert.equal(event.context.specversion, '0.5.1');
      }
      const [detected, resolved, rolledBack] = events.map((x) => x.event);
      assert.equal(detected!.subject.id, runKey, 'no incident id given: the run names the incident');
      assert.equal(detected!.subject.content.description, 'rollback requested by alice: crash loop after 1.43.0');
      assert.ok(Math.abs(Date.parse(detected!.context.timestamp) - Date.parse(result.startedAt)) < 5000);
      assert.equal(resolved!.context.timestamp, result.restoredAt);
      assert.deepEqual(rolledBack!.subject, {
        id: 'users-api',
        source: '/rewind/users-api/staging',
        content: {
          environment: { id: 'staging' },
          artifactId: 'pkg:oci/users-api?repository_url=ghcr.io/acme/users-api&tag=1.42.0',
        },
      });
      const ttr = value(samples, 'rewind_time_to_restore_seconds_sum', { runbook: 'rollback' })!;
      assert.ok(
        Math.abs(ttr - result.timeToRestoreMs! / 1000) < 0.01,
        `time to restore ${ttr}s is the run's own ${result.timeToRestoreMs}ms`,
      );
      for (const kind of ['planRollback', 'revertPromotion', 'refresh', 'waitForSynced', 'verifyHealth']) {
        assert.equal(
          value(samples, 'rewind_step_duration_seconds_count', { kind, state: 'done' }),
          1,
          `one ${kind} step`,
        );
      }
      assert.equal(
        value(samples, 'rewind_step_duration_seconds_count', { kind: 'approve' }),
        undefined,
        'a skipped step has no duration',
      );
      const health = result.steps.find((s) => s.kind === 'verifyHealth')!;
      assert.equal(
        value(samples, 'rewind_step_duration_seconds_sum', { kind: 'verifyHealth', state: 'done' }),
        (Date.parse(health.endedAt!) - Date.parse(health.startedAt!)) / 1000,
      );
      assert.ok(
        value(samples, 'rewind_step_duration_seconds_sum', { kind: 'verifyHealth', state: 'done' })! >= 2,
        'health held for the 2 s window',
      );
      assert.ok(
        value(samples, 'rewind_step_duration_seconds_bucket', { kind: 'verifyHealth', state: 'done', le: '+Inf' }) ===
          1,
      );
      assert.ok(
        value(samples, 'rewind_activity_duration_seconds_count', {
          activity: 'revertPromotion',
          outcome: 'completed',
        })! >= 1,
      );
      assert.ok(
        value(samples, 'rewind_activity_duration_seconds_count', { activity: 'driftReport', outcome: 'completed' })! >=
          1,
        'the plan reports drift',
      );
    },
  );

  it(
    'an emergency change held paused shows in the pause ' + 'gauges, and its end (abandoned) in the run counters',
    async () => {
      const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
      await writeFile(hook, '#!/bin/sh\necho "rejected: main is protected" >&2\nexit 1\n');
      await chmod(hook, 0o755);
      try {
        const run = await start(world, {
          runbook: 'emergency-change',
          app: 'users-api',
          env: 'dev',
          as: 'alice',
          reason: 'try a flag',
          changes: [parseChange('configmap/users-api-env FEATURE_FLAGS=beta', 'users-api-dev')],
        });
        await untilPhase(world, run.workflowId, 'held-paused');
        let samples = await until(
          'rewind_autosync_paused',
          { app: 'users-api', env: 'dev', engine: 'argocd', lease: 'active' },
          1,
        );
        assert.equal(value(samples, 'rewind_autosync_paused_by_rewind'), 1);
        assert.equal(value(samples, 'rewind_runs_started_total', { runbook: 'emergency-change' }), 1);
        assert.equal(
          value(samples, 'rewind_runs_finished_total', { runbook: 'emergency-change' }),
          undefined,
          'a held run is still running',
        );

        await abandonRun(world.rewind(), run.workflowId, person(world.rewind().cfg, 'alice'), true, 'not worth it');
        assert.equal(((await run.handle.result()) as RunStatus).phase, 'abandoned');
        finished.push(run.handle);
        samples = await until('rewind_runs_finished_total', { runbook: 'emergency-change', outcome: 'abandoned' }, 1);
        const emergency = sunk.filter((x) => x.event.context.id.startsWith(`${run.workflowId}/${run.runId}`));
        assert.deepEqual(
          emergency.map((x) => x.event.context.type),
          ['dev.cdevents.incident.detected.0.3.0'],
          'abandoned: the incident is not resolved by this run',
        );
        samples = await until('rewind_autosync_paused_by_rewind', {}, 0);
        assert.equal(
          value(samples, 'rewind_autosync_paused', { app: 'users-api', env: 'dev' }),
          undefined,
          'the pause is gone',
        );
        assert.equal(
          value(samples, 'rewind_step_duration_seconds_count', { kind: 'commitToGit', state: 'failed' }),
          1,
          'the rejected push is a failed commit step',
        );
        assert.equal(
          value(samples, 'rewind_time_to_restore_seconds_count', { runbook: 'emergency-change' }),
          undefined,
          'abandoned is not restored',
        );
        assert.equal(
          value(samples, 'rewind_runs_finished_total', { runbook: 'rollback', outcome: 'restored' }),
          1,
          'still counted once',
        );
      } finally {
        await rm(hook, { force: true });
      }
    },
  );

  // The upgrade check README's "Upgrading workers safely" asks for: real histories replayed on the
  // workflow code about to ship. Here the histories are fresh, so it must pass; in CI, replay
  // histories exported from production against a new bundle.
  it('the histories of those runs replay on the current workflow code', async () => {
    assert.equal(finished.length, 2);
    const histories = await Promise.all(
      finished.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })),
    );
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ ...workflowSource() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId} replays: ${r.error?.message}`);
      replayed++;
    }
    assert.equal(replayed, 2);
  });
});
