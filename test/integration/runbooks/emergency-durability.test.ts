/**
 * The emergency path's durability: a held pause keeps reminding on durable timers, and a worker
 * killed after the pause is replaced and finishes the run with one commit and one resume. The
 * reminders are checked on the dev server with a 3 s interval, not by skipping time: while a pause
 * is held its guard watches the engine in a long-running activity, and the time-skipping server
 * skips no time while an activity runs (workflows/runbook-interpreter.test.ts and hold-weeks.test.ts
 * cover months of reminders on it, with the activities faked).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseChange } from '../../../src/lib/emergency/parse-change.js';
import { loadRunbook } from '../../../src/lib/runbooks/load.js';
import { person, runStatus, targetSnapshot } from '../../../src/lib/runs.js';
import { startWorld } from '../../../src/sandbox/world/index.js';
import type { RunStatus, TimelineEvent } from '../../../workflows/types.js';
import { argoApp } from '../../support/kube.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start, untilPhase } from '../../support/world-runs.js';

const WORKER = fileURLToPath(new URL('../../support/worker-process.ts', import.meta.url));

describe('emergency path durability', () => {
  it(
    'keeps auto-sync paused after a rejected push and reminds ' +
      'the channel on durable timers, with the guard watching',
    async () => {
      const world = await startWorld({ temporal: 'dev', health: { window: '1s', timeout: '60s' } });
      try {
        await world.startWorker();
        await waitFor(
          'staging healthy',
          async () =>
            (await argoApp(world.kube.kc, 'users-api-staging')).status?.health?.status === 'Healthy' || undefined,
        );
        const hook = path.join(world.repo.remote, 'hooks', 'pre-receive');
        await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
        await chmod(hook, 0o755);
        // Started directly, with the runbook's reminder interval cut from 15 min to 3 s.
        const rw = world.rewind();
        const runbook = await loadRunbook('emergency-change');
        const pause = runbook.steps.find((x) => x.kind === 'pauseAutoSync')!;
        assert.equal(pause.with.remindEveryMinutes, 15);
        pause.with.remindEveryMinutes = 0.05;
        const handle = await rw.client.workflow.start('runbookWorkflow', {
          taskQueue: rw.taskQueue,
          workflowId: 'rewind/users-api/staging',
          args: [
            {
              runbook,
              target: targetSnapshot(rw.cfg, 'users-api', 'staging'),
              request: {
                requester: person(rw.cfg, 'alice'),
                reason: 'debug logs',
                source: 'cli',
                changes: [parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-staging')],
              },
            },
          ],
        });
        const run = { workflowId: handle.workflowId, handle };
        await untilPhase(world, run.workflowId, 'held-paused');
        // Three reminders: about 10 s at one every 3 s.
        const timeline = await waitFor(
          'three reminders',
          async () => {
            const t = await run.handle.query<TimelineEvent[]>('timeline');
            const r = t.find((e) => /^reminded the channel \d+ time\(s\)/.test(e.summary));
            return Number(r?.evidence?.reminders ?? 0) >= 3 ? t : undefined;
          },
          120_000,
          500,
        );
        const reminders = timeline.filter((e) =>
          /^reminded the channel \d+ time\(s\), every [^:]+: auto-sync of users-api\/staging paused since/.test(
            e.summary,
          ),
        );
        assert.equal(reminders.length, 1, 'one timeline entry, updated in place');
        assert.ok(
          Number(reminders[0]!.evidence?.reminders) >= 3,
          `expected 3 reminders, got ${reminders[0]!.evidence?.reminders}`,
        );
        const app = await argoApp(world.kube.kc, 'users-api-staging');
        assert.equal(app.spec.syncPolicy?.automated ?? null, null, 'still paused');
        // Chat goes beside the run, so the posts may trail the timeline by a moment.
        const slackReminders = await waitFor(
          'three reminders in Slack',
          async () => {
            const posted = world.slack.calls.filter(
              (c) =>
                c.method === 'chat.postMessage' &&
                /Reminder \d+: auto-sync of \*users-api\/staging\* is still paused/.test(String(c.args.text)),
            );
            return posted.length >= 3 ? posted : undefined;
          },
          30_000,
          200,
        );
        assert.ok(
          slackReminders.every((c) => typeof c.args.thread_ts === 'string'),
          'reminders go to the run message thread',
        );
        await rm(hook);
      } finally {
        await world.stop();
      }
    },
  );

  it('finishes with one commit and one resume when the worker is killed after the pause', async () => {
    const world = await startWorld({ temporal: 'dev', health: { window: '6s', timeout: '90s' } });
    const startWorker = (dir: string) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            WORKER,
            world.configPath,
            world.config.temporal.address,
            world.taskQueue,
            path.join(world.dir, dir),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('worker-ready')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
      });
    let worker = await startWorker('w1');
    try {
      await waitFor(
        'staging healthy',
        async () =>
          (await argoApp(world.kube.kc, 'users-api-staging')).status?.health?.status === 'Healthy' || undefined,
      );
      const run = await start(world, {
        runbook: 'emergency-change',
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'debug logs',
        changes: [parseChange('configmap/users-api-env LOG_LEVEL=debug', 'users-api-staging')],
      });
      await waitFor(
        'the service check after the pause',
        async () => {
          const s = await runStatus(world.rewind(), run.workflowId);
          return s.steps.find((x) => x.name === 'pause')?.state === 'done' &&
            s.steps.find((x) => x.name === 'verify-service')?.state === 'running'
            ? s
            : undefined;
        },
        90_000,
        100,
      );
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      worker = await startWorker('w2');
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      const commits = (await gitLog(world, 20)).filter((c) => c.body.includes(`Rewind-Run: ${run.workflowId}/`));
      assert.equal(commits.length, 1);
      const history = await run.handle.fetchHistory();
      const scheduled = new Map<string, string>();
      for (const e of history.events ?? []) {
        const a = e.activityTaskScheduledEventAttributes;
        if (a?.activityType?.name) scheduled.set(String(e.eventId), a.activityType.name);
      }
      const completed = (history.events ?? [])
        .filter((e) => e.activityTaskCompletedEventAttributes)
        .map((e) => scheduled.get(String(e.activityTaskCompletedEventAttributes!.scheduledEventId)));
      assert.equal(completed.filter((n) => n === 'resumeAutoSync').length, 1, 'one resume');
      assert.equal(completed.filter((n) => n === 'pauseAutoSync').length, 1, 'one pause');
      const app = await argoApp(world.kube.kc, 'users-api-staging');
      assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
    } finally {
      worker.kill('SIGKILL');
      await world.stop();
    }
  });
});
