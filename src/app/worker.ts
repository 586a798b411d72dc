/**
 * The rewind worker: registers the runbook interpreter and every activity on the task
 * queue, and stops gracefully (finishing in-flight activities) on SIGINT / SIGTERM.
 */
import { WebClient } from '@slack/web-api';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { cacheDir } from '../lib/tools/binaries.js';

/** TS sources under tsx; the compiled bundle in the production image (built at image build time). */
export function workflowSource(): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  const prebuilt = process.env.REWIND_WORKFLOW_BUNDLE;
  if (prebuilt && existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const ts = path.resolve(here, '../../workflows/index.ts');
  return { workflowsPath: existsSync(ts) ? ts : path.resolve(here, '../../workflows/index.js') };
}

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: Omit<ActivityDeps, 'cacheDir' | 'client'> & { cacheDir?: string; slackToken?: string; slackApiUrl?: string };
  logger?: Logger;
}

export function slackWebClient(token: string | undefined, apiUrl?: string): WebClient | undefined {
  if (!token) return undefined;
  // Temporal retries the activity; the client only bounds each call, so a Slack that never answers costs seconds.
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    timeout: 8000,
    retryConfig: { retries: 0 },
  });
}

/**
 * Activity slots: the SDK's default is 100. rewind's activities mostly wait (on the API server, on
 * Git, on the one writable clone per repo that serializes pushes), so a slot is cheap; at 200
 * concurrent rollbacks on 100 slots, reverts queued behind the push lock held every slot and a
 * Slack message waited 82 s for one (bench/results/fleet-runs.json). REWIND_ACTIVITY_SLOTS overrides.
 */
export const DEFAULT_ACTIVITY_SLOTS = 400;

export function activitySlots(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.REWIND_ACTIVITY_SLOTS;
  if (raw === undefined || raw === '') return DEFAULT_ACTIVITY_SLOTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new Error(`REWIND_ACTIVITY_SLOTS must be a whole number from 1 to 10000; got ${JSON.stringify(raw)}`);
  return n;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const activities = createActivities({
    ...setup.deps,
    cacheDir: setup.deps.cacheDir ?? path.join(cacheDir(), 'worker'),
    client: slackWebClient(setup.deps.slackToken, setup.deps.slackApiUrl),
  });
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...workflowSource(),
    activities,
    maxConcurrentActivityTaskExecutions: activitySlots(),
    // Stop taking work at once on shutdown, but let running activities finish or heartbeat-cancel.
    shutdownGraceTime: '20s',
  });
}
