/**
 * The sandbox behind `npm start` with no config: the loopback world, a worker, the Slack app
 * on the Web API stand-in, and a live incident (users-api prod promoted to a crashing 1.43.0),
 * so a newcomer can try a rollback in the first minute.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { startSlackIfConfigured } from '../slack/start.js';
import { cacheDir } from './world/binaries.js';
import { freePort } from './world/processes.js';
import { startWorld } from './world/index.js';

export async function runSandbox(log: Logger): Promise<void> {
  installTemporalRuntime(log);
  const dir = path.join(process.env.REWIND_SANDBOX_DIR ?? path.join(cacheDir(), 'sandbox'));
  await rm(dir, { recursive: true, force: true });
  const temporalPort = Number(process.env.REWIND_SANDBOX_TEMPORAL_PORT ?? 7233);
  const t0 = Date.now();
  log.info('starting the sandbox: kube-apiserver + etcd, Temporal dev server, config repo, GitOps stand-in…');
  const world = await startWorld({ dir, temporal: 'dev', temporalUi: true, temporalPort, controller: { pollIntervalMs: 180_000 }, taskQueue: 'rewind' });
  const stopAll = async () => { await slack?.stop(); await world.stop(); };
  let slack: Awaited<ReturnType<typeof startSlackIfConfigured>>;
  try {
    await world.startWorker();
    const signingSecret = randomBytes(16).toString('hex');
    process.env.SLACK_PORT ??= String(await freePort());
    slack = await startSlackIfConfigured({ cfg: world.config, client: world.temporal!.client, taskQueue: world.taskQueue, log, slackApiUrl: world.slack.apiUrl, token: world.slack.token, signingSecret, botId: world.slack.botId, botUserId: world.slack.botUserId });
    const bad = await world.repo.promote('users-api', 'prod', '1.43.0');
    // As a CI webhook would: make the engine see the bad promotion now, not after its 180 s poll.
    await world.kube.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
      { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'users-api-prod', body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const ui = `http://127.0.0.1:${temporalPort + 1000}`;
    const env = `export REWIND_CONFIG=${world.configPath} KUBECONFIG=${world.kube.kubeconfigPath}`;
    process.stdout.write(`
rewind sandbox is up (${((Date.now() - t0) / 1000).toFixed(1)}s). Everything runs on loopback; Ctrl-C stops it all.

  Kubernetes API   ${world.kube.server}   (kubeconfig: ${world.kube.kubeconfigPath})
  Temporal         127.0.0.1:${temporalPort}   UI: ${ui}
  Config repo      ${world.repo.remote}   (bare; clone it to look around)
  Slack app        http://127.0.0.1:${slack?.port}/slack/events (Web API calls go to the stand-in at ${world.slack.apiUrl})
  Apps             users-api dev/staging/prod (Argo CD stand-in), billing-worker dev/prod (Flux stand-in)

An incident is in progress: ${bad.sha.slice(0, 7)} "promote users-api 1.43.0 to prod" crashes (Argo app users-api-prod goes Degraded in ~20s).

Try, in another terminal:
  ${env}
  npm run rewind -- status
  npm run rewind -- rollback users-api --env prod --reason "5xx after 1.43.0" --as alice
  npm run rewind -- approve users-api --env prod --as bob        # prod needs a second person; alice cannot approve her own run
  git -C ${world.repo.workdir} pull -q && git -C ${world.repo.workdir} log --format='%h %an %s%n%(trailers:key=Rewind-Run)' -3
`);
    await new Promise<void>((resolve) => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()); });
    log.info('stopping the sandbox');
  } finally {
    await stopAll();
  }
}
