/**
 * Outages cost only their own length (issue 15): a rollback and an emergency change on the real
 * world, each run once undisturbed (the baseline) and once with the API server, the git remote and
 * the Slack Web API stand-in all taken away for REWIND_OUTAGE_SECONDS (default 30) at EVERY step
 * boundary. A boundary is seen by polling the run's status query (Temporal stays up): as the first
 * step starts, and whenever a step turns done and another follows, kube-apiserver is killed (etcd
 * keeps running), the git remote closes its port, and Slack accepts connections but never answers;
 * after the outage all three come back on the same addresses (Slack, at the first boundary, only at
 * the end of the second outage, so the update after the first step meets it). Each run must end
 * restored, its time to restore and its whole length grown by no more than the measured outage time plus
 * PER_BOUNDARY_MS per outage, its timeline must name the cause of the Slack failures, and its
 * Slack message must catch up to the final status.
 *
 * REWIND_OUTAGE_SECONDS=5 iterates quickly; REWIND_OUTAGE_WORLD_DIR=<dir> keeps the world and its
 * logs (kube/logs, argocd/, flux/) for a look afterwards.
 * Runtime (2 cores, 30 s outages): about 11.5 minutes, most of it the outages themselves
 * (5 of the rollback, 10 of the emergency change, about 33 s each).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import * as k8s from '@kubernetes/client-node';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import { statusQuery, timelineQuery } from '../../../workflows/messages.js';
import type { RunStatus, TimelineEvent } from '../../../workflows/types.js';
import { argoApp, refreshArgo } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { start, terminateRunning } from '../../support/world-runs.js';

const OUTAGE_MS = Number(process.env.REWIND_OUTAGE_SECONDS || 30) * 1000;
if (!(OUTAGE_MS > 0))
  throw new Error(`REWIND_OUTAGE_SECONDS=${process.env.REWIND_OUTAGE_SECONDS}: give a number of seconds`);
/**
 * What one outage may cost beyond its own length: the next read attempt (readActs retry at most
 * every 5 s), a wait's watch re-opened, and the engine's own return. Measured on 2 cores with 30 s
 * outages (diagnostics below): the costliest single boundary was 6.6-8.3 s, the wait-for-sync of
 * a rollback, where Argo CD re-lists about 5 s after the API server is back, then syncs (~2 s);
 * in all, 5.5-7.8 s beyond the outages for the rollback's 5 and -48 to +2 s for the emergency's 10.
 */
const PER_BOUNDARY_MS = 10_000;
/** How long one Slack call may take (workflows/activities.ts, notifyActs). */
const SLACK_CALL_MS = 10_000;

const ENDED = new Set([
  'restored',
  'not-restored',
  'failed',
  'cancelled',
  'rejected',
  'expired',
  'held-paused',
  'resolved',
  'abandoned',
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

let world: World;

interface Boundary {
  /** The step(s) seen turned done since the last poll ('start' for the outage as the first step began). */
  after: string[];
  /** Steps running when everything went away. */
  running: string[];
  /** From the first stop to the last system answering again (kube-apiserver /readyz). */
  downMs: number;
  stopMs: number;
  startMs: number;
  /** When everything answered again. */
  upAt: number;
}

/**
 * Takes kube-apiserver, the git remote and Slack (hang) away for `ms`, then brings them back.
 * kube-apiserver is killed outright: stopped with SIGTERM it closes its port at once but keeps
 * serving open watches while it drains (5 s here), so a step could still finish inside the outage.
 */
async function outage(
  ms: number,
  opts: { keepSlackDown?: boolean } = {},
): Promise<Omit<Boundary, 'after' | 'running'>> {
  const t0 = Date.now();
  await Promise.all([
    world.kube.stopApiServer({ graceMs: 0 }),
    world.git.stop(),
    // Stopped again while down, the stand-in would cut the requests it holds: a hang must last.
    world.slack.down ? undefined : world.slack.stopApi({ mode: 'hang' }),
  ]);
  const stopMs = Date.now() - t0;
  await sleep(ms);
  const t1 = Date.now();
  await Promise.all([
    world.kube.startApiServer(),
    world.git.start(),
    opts.keepSlackDown ? undefined : world.slack.startApi(),
  ]);
  const upAt = Date.now();
  return { downMs: upAt - t0, stopMs, startMs: upAt - t1, upAt };
}

/**
 * Follows a run to its end through the status query; with `outageMs`, takes everything away at each
 * step boundary: as soon as a poll sees a step turned done (and one still to come), one outage. Steps
 * that end within milliseconds of each other (a refresh after a resume) share it: an outage queued
 * for the second would land in the middle of a later step, not at a boundary.
 */
async function follow(
  handle: WorkflowHandle,
  outageMs: number | undefined,
): Promise<{ status: RunStatus; boundaries: Boundary[] }> {
  const boundaries: Boundary[] = [];
  const seen = new Set<string>();
  for (;;) {
    let status: RunStatus;
    try {
      status = await handle.query(statusQuery);
    } catch {
      await sleep(100);
      continue;
    }
    if (ENDED.has(status.phase)) return { status, boundaries };
    // The boundary before the first step too: the plan's reads are where a restart used to fail the run.
    if (outageMs !== undefined && !seen.has('start') && status.steps[0]!.state === 'running') {
      seen.add('start');
      // Slack stays down into the next step: the message update after the first step then meets the
      // outage for certain, instead of racing this poll to Slack and usually winning.
      boundaries.push({
        after: ['start'],
        running: [status.steps[0]!.name],
        ...(await outage(outageMs, { keepSlackDown: true })),
      });
      continue;
    }
    const last = status.steps.at(-1)!.name;
    const turned = status.steps
      .filter((x) => x.state === 'done' && !seen.has(x.name) && x.name !== last)
      .map((x) => x.name);
    for (const name of turned) seen.add(name);
    if (outageMs !== undefined && turned.length) {
      const running = status.steps.filter((x) => x.state === 'running').map((x) => x.name);
      boundaries.push({ after: turned, running, ...(await outage(outageMs)) });
      continue;
    }
    await sleep(50);
  }
}

async function explain(handle: WorkflowHandle, status: RunStatus): Promise<string> {
  const timeline = await handle.query(timelineQuery).catch(() => [] as TimelineEvent[]);
  const failures = timeline
    .filter((e) => e.kind === 'failure' || e.kind === 'retry')
    .map((e) => `${e.at} ${e.summary}`);
  return (
    `run ${status.workflowId} ended ${status.phase}: ${status.result}\n` +
    `steps: ${status.steps.map((x) => `${x.name}:${x.state}${x.error ? ` (${x.error})` : ''}`).join(', ')}\n` +
    `failures: ${failures.join('\n  ') || 'none'}`
  );
}

/** From the run's start to the end of its last step (the time to restore ends where health began). */
const runMs = (st: RunStatus) =>
  Math.max(...st.steps.map((x) => (x.endedAt ? Date.parse(x.endedAt) : 0))) - Date.parse(st.startedAt);
const stepMs = (st: RunStatus) =>
  Object.fromEntries(
    st.steps.map((x) => [x.name, x.startedAt && x.endedAt ? Date.parse(x.endedAt) - Date.parse(x.startedAt) : 0]),
  );

/** The measurements, as test diagnostics: per run and per step, so a regression says where the time went. */
function report(
  t: TestContext,
  name: string,
  base: RunStatus,
  hit: RunStatus,
  boundaries: Boundary[],
): { growthMs: number; runGrowthMs: number; outageMs: number } {
  const growthMs = hit.timeToRestoreMs! - base.timeToRestoreMs!;
  const runGrowthMs = runMs(hit) - runMs(base);
  const outageMs = boundaries.reduce((n, b) => n + b.downMs, 0);
  const beyond = (ms: number) =>
    `${s(ms - outageMs)} beyond the outages, ${s((ms - outageMs) / Math.max(1, boundaries.length))} per ` +
    `boundary; allowed ${s(PER_BOUNDARY_MS)}`;
  t.diagnostic(
    `${name}: ${boundaries.length} outage(s) of ${s(OUTAGE_MS)}, measured ${s(outageMs)} in all (stop to /readyz)`,
  );
  t.diagnostic(
    `  time to restore: baseline ${s(base.timeToRestoreMs!)}, with ` +
      `outages ${s(hit.timeToRestoreMs!)}: grew ${s(growthMs)} (${beyond(growthMs)})`,
  );
  t.diagnostic(
    `  whole run (to the end of its last step): baseline ${s(runMs(base))}, with ` +
      `outages ${s(runMs(hit))}: grew ${s(runGrowthMs)} (${beyond(runGrowthMs)})`,
  );
  for (const b of boundaries)
    t.diagnostic(
      `  after ${b.after.join(' + ')} (running: ${b.running.join(', ') || 'none'}): ` +
        `down ${s(b.downMs)} (stopping ${s(b.stopMs)}, back up in ${s(b.startMs)})`,
    );
  const [a, c] = [stepMs(base), stepMs(hit)];
  t.diagnostic(
    `  step durations baseline → with outages: ` +
      `${hit.steps.map((x) => `${x.name} ${s(a[x.name] ?? 0)} → ${s(c[x.name] ?? 0)}`).join(', ')}`,
  );
  return { growthMs, runGrowthMs, outageMs };
}

/** The run's timeline names what went wrong with Slack, and its message caught up to the final status. */
async function assertSlackCaughtUp(t: TestContext, handle: WorkflowHandle, status: RunStatus, boundaries: Boundary[]) {
  const timeline = await handle.query(timelineQuery);
  const slackFailures = timeline.filter((e) => e.kind === 'failure' && /^Slack update failed/.test(e.summary));
  for (const e of timeline.filter((x) => /^Slack /.test(x.summary)))
    t.diagnostic(`  timeline ${e.at} ${e.kind}: ${e.summary}`);
  // A Slack call gives up after 10 s (notifyActs' startToClose): a shorter outage only delays it.
  if (OUTAGE_MS <= SLACK_CALL_MS) return assertMessageCaughtUp(status, boundaries);
  assert.ok(
    slackFailures.length > 0,
    `the timeline records the Slack outages: ${timeline.map((e) => e.summary).join(' | ')}`,
  );
  for (const f of slackFailures) {
    assert.doesNotMatch(
      f.summary,
      /Activity task failed|Activity task timed out/,
      'the failure names its cause, not the activity wrapper',
    );
    assert.match(
      f.summary,
      /^Slack update failed: .*(timeout|timed out|aborted|ECONN|socket|hang up|closed)/i,
      'the cause is the unanswered (or cut) request',
    );
  }
  assert.ok(
    timeline.some((e) => /^Slack reachable again/.test(e.summary)),
    'the timeline says when Slack answered again',
  );
  assertMessageCaughtUp(status, boundaries);
}

function assertMessageCaughtUp(status: RunStatus, boundaries: Boundary[]) {
  const msg = status.slackMessage;
  assert.ok(msg, 'the run was posted to Slack');
  const lastUp = Math.max(...boundaries.map((b) => b.upAt));
  const updates = world.slack.calls.filter(
    (c) => c.method === 'chat.update' && c.args.channel === msg.channel && c.args.ts === msg.ts && c.ok,
  );
  assert.match(
    String(updates.at(-1)?.args.text),
    new RegExp(`^${status.runbook} ${status.app}/${status.env}: Restored$`),
    'the last update shows the restored run',
  );
  // A hung request is recorded as it arrives and answered once Slack is back, so the update that
  // landed was sent after the last outage or within one call timeout before its end; an earlier one
  // would have timed out, and a message that only caught up that way would not have caught up.
  if (OUTAGE_MS > SLACK_CALL_MS)
    assert.ok(
      updates.at(-1)!.at >= lastUp - SLACK_CALL_MS,
      `and it was sent after the last outage, or late enough in it to be answered ` +
        `(${new Date(updates.at(-1)!.at).toISOString()} vs Slack back at ${new Date(lastUp).toISOString()})`,
    );
  const shown = world.slack.messages(msg.channel).find((m) => m.ts === msg.ts);
  assert.match(shown?.text ?? '', /: Restored$/);
  const posts = world.slack.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.ok &&
      c.args.channel === msg.channel &&
      c.at >= Date.parse(status.startedAt) &&
      !c.args.thread_ts,
  );
  assert.equal(posts.length, 1, 'one message for the run, however many times Slack went away');
}

function assertBudget(growthMs: number, runGrowthMs: number, outageMs: number, boundaries: number) {
  const budget = outageMs + boundaries * PER_BOUNDARY_MS;
  assert.ok(
    growthMs <= budget,
    `time to restore grew ${s(growthMs)}; the outages lasted ${s(outageMs)}, allowed ${s(budget)}`,
  );
  assert.ok(
    runGrowthMs <= budget,
    `the run grew ${s(runGrowthMs)}; the outages lasted ${s(outageMs)}, allowed ${s(budget)}`,
  );
}

async function syncedHealthy(name: string) {
  return waitFor(
    `${name} Synced and Healthy`,
    async () => {
      const app = await argoApp(world.kube.kc, name);
      return app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' && !app.operation
        ? app
        : undefined;
    },
    180_000,
  );
}

/** A fresh bad promotion of users-api to staging, synced by Argo CD: the incident each rollback undoes. */
async function badPromotion() {
  await syncedHealthy('users-api-staging');
  const bad = await world.repo.promote('users-api', 'staging', '1.43.0');
  await refreshArgo(world.kube.kc, 'users-api-staging');
  await waitFor(
    'users-api-staging synced at the bad promotion',
    async () => {
      const app = await argoApp(world.kube.kc, 'users-api-staging');
      return app.status?.sync?.status === 'Synced' && app.status.sync.revision === bad.sha ? app : undefined;
    },
    120_000,
  );
}

async function run(kind: 'rollback' | 'emergency', value: string, outageMs: number | undefined) {
  const req =
    kind === 'rollback'
      ? {
          app: 'users-api',
          env: 'staging',
          as: 'alice',
          reason: `crashloop after 1.43.0${outageMs ? ' (with outages)' : ''}`,
        }
      : {
          runbook: 'emergency-change',
          app: 'users-api',
          env: 'staging',
          as: 'alice',
          reason: `need LOG_LEVEL=${value}`,
          changes: [parseChange(`configmap/users-api-env LOG_LEVEL=${value}`, 'users-api-staging')],
        };
  const started = await start(world, req);
  const { status, boundaries } = await follow(started.handle, outageMs);
  if (status.phase !== 'restored') assert.fail(await explain(started.handle, status));
  const result = (await started.handle.result()) as RunStatus;
  assert.equal(result.phase, 'restored', result.result);
  assert.ok(result.timeToRestoreMs! > 0);
  return { handle: started.handle, status: result, boundaries };
}

describe('outages cost only their own length', { concurrency: false }, () => {
  before(async () => {
    // REWIND_OUTAGE_WORLD_DIR keeps the world's logs (kube/logs, argocd, flux) after the run.
    world = await startWorld({
      temporal: 'dev',
      health: { window: '6s', timeout: '5m' },
      ...(process.env.REWIND_OUTAGE_WORLD_DIR ? { dir: process.env.REWIND_OUTAGE_WORLD_DIR } : {}),
    });
    await world.startWorker();
  });
  after(async () => {
    await world?.stop();
  });
  // A run that failed the test (held, say) must not hold users-api/staging for the next one.
  afterEach(async () => {
    await Promise.all([world.kube.startApiServer(), world.git.start(), world.slack.startApi()]);
    await terminateRunning(world);
  });

  it('rollback (users-api staging): API server, git and Slack gone at every step boundary', async (t) => {
    await badPromotion();
    const base = await run('rollback', '', undefined);
    await badPromotion();
    const hit = await run('rollback', '', OUTAGE_MS);
    const { growthMs, runGrowthMs, outageMs } = report(t, 'rollback', base.status, hit.status, hit.boundaries);
    assert.deepEqual(
      hit.boundaries.flatMap((b) => b.after),
      ['start', 'plan', 'revert', 'refresh', 'wait-for-sync'],
      'an outage at every boundary',
    );
    assertBudget(growthMs, runGrowthMs, outageMs, hit.boundaries.length);
    await assertSlackCaughtUp(t, hit.handle, hit.status, hit.boundaries);
  });

  // Found by this test: a failed last update was retried only after the 30 s catch-up delay, which
  // outlasted the run's last flush, so a Slack that refused for a few seconds as the run ended
  // left the run's message at "Running" for good (workflows/notify.ts).
  it('the final status reaches Slack when Slack refuses for a few seconds as the run ends', async (t) => {
    await badPromotion();
    const started = await start(world, {
      app: 'users-api',
      env: 'staging',
      as: 'alice',
      reason: 'crashloop after 1.43.0 (Slack refuses as the run ends)',
    });
    const verifying = await waitFor(
      'verify-health running, with the message showing it',
      async () => {
        const st = await started.handle.query(statusQuery);
        const vh = st.steps.find((x) => x.name === 'verify-health');
        if (vh?.state !== 'running' || !st.slackMessage) return undefined;
        return world.slack.calls.some(
          (c) =>
            c.method === 'chat.update' &&
            c.ok &&
            c.args.ts === st.slackMessage!.ts &&
            c.at >= Date.parse(vh.startedAt!),
        )
          ? st
          : undefined;
      },
      300_000,
      50,
    );
    await world.slack.stopApi({ mode: 'refuse' });
    const downAt = Date.now();
    let endedAt: number;
    try {
      await waitFor(
        'the run to end',
        async () => (ENDED.has((await started.handle.query(statusQuery)).phase) ? true : undefined),
        300_000,
        50,
      );
      endedAt = Date.now();
      await sleep(5_000);
    } finally {
      await world.slack.startApi();
    }
    const result = (await started.handle.result()) as RunStatus;
    assert.equal(result.phase, 'restored', result.result);
    const msg = verifying.slackMessage!;
    const last = world.slack.calls.filter((c) => c.method === 'chat.update' && c.ok && c.args.ts === msg.ts).at(-1);
    t.diagnostic(
      `Slack refused from ${s(endedAt - downAt)} before the run ended until ` +
        `5 s after; the run message last said: ${String(last?.args.text)}`,
    );
    assert.match(String(last?.args.text), /: Restored$/, 'the run message shows the final status');
  });

  it(
    'emergency change (users-api staging ConfigMap): API ' + 'server, git and Slack gone at every step boundary',
    async (t) => {
      await syncedHealthy('users-api-staging');
      const base = await run('emergency', 'debug', undefined);
      await syncedHealthy('users-api-staging');
      const hit = await run('emergency', 'warn', OUTAGE_MS);
      const { growthMs, runGrowthMs, outageMs } = report(t, 'emergency', base.status, hit.status, hit.boundaries);
      assert.deepEqual(
        hit.boundaries.flatMap((b) => b.after),
        [
          'start',
          'plan',
          'pause',
          'patch',
          'verify-service',
          'commit',
          'gate',
          'engine-fetched',
          'resume',
          'refresh',
          'wait-for-sync',
        ],
        'an outage at every boundary',
      );
      assertBudget(growthMs, runGrowthMs, outageMs, hit.boundaries.length);
      await assertSlackCaughtUp(t, hit.handle, hit.status, hit.boundaries);
      const live = await world.kube.kc
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedConfigMap({ namespace: 'users-api-staging', name: 'users-api-env' });
      assert.equal(live.data?.LOG_LEVEL, 'warn');
    },
  );
});
