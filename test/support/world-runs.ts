/** Helpers that drive runbook runs in a test world through the same API Slack and the CLI use. */
import type { WorkflowHandle } from '@temporalio/client';
import { person, runStatus, startRun, type StartRequest } from '../../src/lib/runs.js';
import type { World } from '../../src/sandbox/world/index.js';
import { TERMINAL_PHASES, type RunPhase, type RunStatus } from '../../workflows/types.js';
import { waitFor } from './wait.js';

export async function start(
  world: World,
  req: Omit<StartRequest, 'requester' | 'runbook' | 'source'> & { as: string; runbook?: string },
) {
  const rw = world.rewind();
  const { as, ...rest } = req;
  const started = await startRun(rw, { runbook: 'rollback', source: 'cli', requester: person(rw.cfg, as), ...rest });
  const handle: WorkflowHandle = rw.client.workflow.getHandle(started.workflowId, started.runId);
  return { ...started, handle };
}

export async function untilPhase(
  world: World,
  workflowId: string,
  phase: RunPhase,
  timeoutMs = 90_000,
): Promise<RunStatus> {
  return waitFor(
    `phase ${phase} of ${workflowId}`,
    async () => {
      const s = await runStatus(world.rewind(), workflowId);
      if (TERMINAL_PHASES.includes(s.phase) && s.phase !== phase) {
        throw new Error(`run ended ${s.phase}: ${s.result}`);
      }
      return s.phase === phase ? s : undefined;
    },
    timeoutMs,
  );
}

export async function gitLog(
  world: World,
  count = 5,
): Promise<Array<{ sha: string; author: string; subject: string; body: string }>> {
  const { simpleGit } = await import('simple-git');
  const out = await simpleGit({ baseDir: world.repo.remote }).raw([
    'log',
    `-${count}`,
    '--format=%H%x1f%an <%ae>%x1f%s%x1f%b%x1e',
    'main',
  ]);
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha = '', author = '', subject = '', body = ''] = r.split('\x1f');
      return { sha, author, subject, body };
    });
}

/** Terminates every run still going, so a failed test does not leave its run holding an app for the next one. */
export async function terminateRunning(world: World): Promise<void> {
  const { client } = world.rewind();
  for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` }))
    await client.workflow
      .getHandle(wf.workflowId)
      .terminate('test cleanup')
      .catch(() => undefined);
}
