/**
 * A worker killed with SIGKILL in the middle of a rollback, and replaced: the run completes
 * and Git holds exactly one revert commit. Workers run as child processes here.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import type { RunStatus } from '../../../workflows/types.js';
import { waitFor } from '../../support/wait.js';
import { gitLog, start } from '../../support/world-runs.js';
import { runStatus } from '../../../src/lib/runs.js';

const WORKER = fileURLToPath(new URL('../../support/worker-process.ts', import.meta.url));
let world: World;

function startWorkerProcess(dataDir: string): Promise<ChildProcess> {
  const address = world.config.temporal.address;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, world.configPath, address, world.taskQueue, dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('worker-ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code} before it was ready`)));
  });
}

describe('rollback durability', () => {
  before(async () => {
    world = await startWorld({ temporal: 'dev', health: { window: '6s', timeout: '90s' } });
  });
  after(async () => {
    await world?.stop();
  });

  it('finishes with exactly one revert when the worker is killed during the health wait', async () => {
    const bad = await world.repo.promote('users-api', 'staging', '1.43.0');
    let worker = await startWorkerProcess(path.join(world.dir, 'w1'));
    try {
      const run = await start(world, {
        app: 'users-api',
        env: 'staging',
        as: 'alice',
        reason: 'crashloop after 1.43.0',
      });
      await waitFor(
        'the health wait to be running',
        async () => {
          const s = await runStatus(world.rewind(), run.workflowId);
          return s.steps.find((x) => x.name === 'verify-health')?.state === 'running' ? s : undefined;
        },
        90_000,
        100,
      );
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      // A different data dir: the replacement has a cold cache, like a new pod.
      worker = await startWorkerProcess(path.join(world.dir, 'w2'));
      const result = (await run.handle.result()) as RunStatus;
      assert.equal(result.phase, 'restored', result.result);
      const revertsOfThisRun = (await gitLog(world, 20)).filter((c) =>
        c.body.includes(`Rewind-Run: ${run.workflowId}/`),
      );
      assert.equal(revertsOfThisRun.length, 1);
      assert.equal(revertsOfThisRun[0]!.sha, result.revertSha);
      assert.match(revertsOfThisRun[0]!.body, new RegExp(`This reverts commit ${bad.sha}`));
      const history = await run.handle.fetchHistory();
      const retried = history.events!.some(
        (e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) > 1,
      );
      assert.ok(retried, 'the health wait was retried on the new worker');
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
