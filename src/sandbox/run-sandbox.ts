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
import { installTemporalRuntime } from '../lib/temporal/runtime.js';
import { startSlackIfConfigured } from '../app/slack/start.js';
import { cacheDir } from '../lib/tools/binaries.js';
import { freePort } from './world/processes.js';
import { startWorld, type EngineMode } from './world/index.js';
import { findPrometheus } from './world/prometheus.js';

export async function runSandbox(log: Logger, opts: { engines: EngineMode; why: string }): Promise<void> {
  installTemporalRuntime(log);
  const dir = path.join(process.env.REWIND_SANDBOX_DIR ?? path.join(cacheDir(), 'sandbox'));
  await rm(dir, { recursive: true, force: true });
  const temporalPort = Number(process.env.REWIND_SANDBOX_TEMPORAL_PORT ?? 7233);
  const t0 = Date.now();
  const engineText = opts.engines === 'real' ? 'real Argo CD v3.6.1 and Flux v1.9.6' : 'the GitOps stand-in';
  log.info(
    `starting the sandbox: kube-apiserver + etcd, Temporal dev server, config repo, ${engineText} (${opts.why})…`,
  );
  // With Debian's prometheus installed, users-api dev and staging verify every promotion by its error rate.
  const prometheus = !!findPrometheus();
  const world = await startWorld({
    dir,
    temporal: 'dev',
    temporalUi: true,
    temporalPort,
    taskQueue: 'rewind',
    engines: opts.engines,
    prometheus,
  });
  const stopAll = async () => {
    await slack?.stop();
    await world.stop();
  };
  let slack: Awaited<ReturnType<typeof startSlackIfConfigured>>;
  try {
    await world.startWorker();
    // The per-target watches (live-edit journal, promotion watch), as the production worker starts them.
    await world.startWatches();
    const signingSecret = randomBytes(16).toString('hex');
    process.env.SLACK_PORT ??= String(await freePort());
    slack = await startSlackIfConfigured({
      cfg: world.config,
      client: world.temporal!.client,
      taskQueue: world.taskQueue,
      log,
      slackApiUrl: world.slack.apiUrl,
      token: world.slack.token,
      signingSecret,
      appToken: false,
      botId: world.slack.botId,
      botUserId: world.slack.botUserId,
    });
    const bad = await world.repo.promote('users-api', 'prod', '1.43.0');
    // As a CI webhook would: make the engine see the bad promotion now, not after its 180 s poll.
    await world.kube.kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: 'argocd',
        plural: 'applications',
        name: 'users-api-prod',
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const ui = `http://127.0.0.1:${temporalPort + 1000}`;
    const env = `export REWIND_CONFIG=${world.configPath} KUBECONFIG=${world.kube.kubeconfigPath}`;
    process.stdout.write(`
rewind sandbox is up (${((Date.now() - t0) / 1000).toFixed(1)}s). Everything runs on loopback; Ctrl-C stops it all.

  Kubernetes API   ${world.kube.server}   (kubeconfig: ${world.kube.kubeconfigPath})
  Temporal         127.0.0.1:${temporalPort}   UI: ${ui}
  Config repo      ${world.repo.remote}   (bare; clone it to look around)
  Slack app        http://127.0.0.1:${slack?.port}/slack/events (Web API calls go to the stand-in \
at ${world.slack.apiUrl})
  Engines          ${
    opts.engines === 'real'
      ? 'real Argo CD v3.6.1 (poll 120 s) and Flux v1.9.6'
      : `the stand-in (${opts.why}; --engines real once built)`
  }
  Apps             users-api dev/staging/prod (Argo CD), billing-worker dev/prod (Flux)

An incident is in progress: ${bad.sha.slice(0, 7)} "promote users-api 1.43.0 to prod" crashes (Argo app users-api-prod \
goes Degraded in ~20s).

Try, in another terminal:
  ${env}
  npm run rewind -- status
  npm run rewind -- rollback users-api --env prod --reason "5xx after 1.43.0" --as alice
  npm run rewind -- approve users-api --env prod --as bob        # prod needs a second person; \
alice cannot approve her own run
  git -C ${world.repo.workdir} pull -q && \
git -C ${world.repo.workdir} log --format='%h %an %s%n%(trailers:key=Rewind-Run)' -3
${
  world.prometheus
    ? `
Promotion watch: Prometheus ${world.prometheus.url} scrapes the workloads' http_requests_total every second, \
and users-api
dev and staging verify each promotion by its error rate. users-api 1.46.0 answers 4.2% of requests with 500 but stays
ready; promote it and, within Argo CD's poll, the watch posts "users-api/staging degraded after promotion …" with a
Roll back button to #C_USERS_API (the Slack stand-in):
  git -C ${world.repo.workdir} pull -q && \
sed -i 's/newTag: .*/newTag: 1.46.0/' ${world.repo.workdir}/apps/users-api/overlays/staging/kustomization.yaml \
    && git -C ${world.repo.workdir} commit -qam "promote users-api 1.46.0 to staging" && \
git -C ${world.repo.workdir} push -q
`
    : `
(Install Debian's prometheus, or run npm run provision as root, to get the promotion watch's metrics in the sandbox.)
`
}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    log.info('stopping the sandbox');
  } finally {
    await stopAll();
  }
}
