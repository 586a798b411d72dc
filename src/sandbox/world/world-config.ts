/**
 * The rewind.yaml of the test world and the sandbox: the seeded apps, the stand-in Slack
 * users, the loopback cluster and the bare config repo. Written to disk so the CLI can use it.
 */
import { stringify } from 'yaml';
import { parseConfig } from '../../lib/config/load.js';
import type { RewindConfig } from '../../lib/config/schema.js';
import type { FaultRule } from '../workloads/index.js';

export interface WorldConfigInput {
  kubeconfigPath: string;
  repoUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  taskQueue: string;
  health?: { window: string; timeout: string };
  /** Context of `kubeconfigPath` rewind uses (default: its current context, admin). */
  kubeContext?: string;
  /**
   * The world's Prometheus: named in rewind.yaml, and users-api dev and staging verify promotions by their error rate.
   */
  prometheusUrl?: string;
  /** The world's registry, listed as the registry of ghcr.io (where the seeded apps' images live). */
  registryUrl?: string;
  /** The forge stand-in: the config repo's main only takes pull requests (acme/config there). */
  pullRequests?: { api: string; tokenEnv: string; merge: 'wait' | 'api' };
}

/**
 * Faults the sandbox workload simulator applies: the incidents a newcomer (and the tests) can
 * replay. The DB_HOST one is an app whose readiness probe does not check its database: a rollout
 * with the wrong DB_HOST completes, then its pods crash.
 */
export const SANDBOX_FAULTS: FaultRule[] = [
  {
    name: 'users-api 1.43.0 crashes',
    image: 'ghcr.io/acme/users-api:1.43.0',
    message: 'CrashLoopBackOff: panic: assignment to entry in nil map (handlers/users.go:88)',
  },
  {
    name: 'users-api prod needs its primary',
    namespace: 'users-api-prod',
    deployment: 'users-api',
    env: { name: 'DB_HOST', mustEqual: 'db-prod.internal' },
    crashAfterReadyMs: 4000,
    message: 'panic: dial tcp: lookup DB_HOST: connection refused',
  },
  {
    name: 'users-api 1.46.0 answers 4.2% of requests with 500',
    image: 'ghcr.io/acme/users-api:1.46.0',
    errorRate: 0.042,
    message: 'HTTP 500: upstream timeout in handlers/avatars.go:41 (pods stay ready)',
  },
  {
    name: 'billing-worker 2.5.0 crashes',
    image: 'ghcr.io/acme/billing-worker:2.5.0',
    message: 'CrashLoopBackOff: missing QUEUE_URL scheme',
  },
];

/** Prod in the sandbox: decisions by a name typed with --as count (every user shares one kubeconfig). */
const TYPED_NAMES_DECIDE = { approval: { requireProvenIdentity: false } };

/**
 * The sandbox's promotion verification (with a Prometheus): the 5xx share of users-api's requests
 * in the environment's namespace, at most 1% for 10 s, sampled every second.
 */
export function errorRateCheck(env: string, opts: { for?: string; range?: string } = {}) {
  const ns = `users-api-${env}`,
    range = opts.range ?? '10s';
  return {
    name: 'error-rate',
    prometheus: {
      query:
        `sum(rate(http_requests_total{namespace="${ns}",app="users-api",code=~"5.."}[${range}])) ` +
        `/ sum(rate(http_requests_total{namespace="${ns}",app="users-api"}[${range}]))`,
      max: 0.01,
      for: opts.for ?? '10s',
      every: '1s',
      format: 'percent',
    },
  };
}

export function worldConfig(input: WorldConfigInput): { text: string; config: RewindConfig } {
  const health = input.health ?? { window: '10s', timeout: '3m' };
  const argo = (env: string, extra: object = {}) => ({
    cluster: 'sandbox',
    engine: { kind: 'argocd', name: `users-api-${env}`, namespace: 'argocd' },
    repo: 'config',
    path: `apps/users-api/overlays/${env}`,
    namespace: `users-api-${env}`,
    workloads: ['deployment/users-api'],
    health,
    ...extra,
  });
  const flux = (env: string, extra: object = {}) => ({
    cluster: 'sandbox',
    engine: { kind: 'flux', name: `billing-worker-${env}`, namespace: 'flux-system', source: 'config-repo' },
    repo: 'config',
    path: `apps/billing-worker/${env}`,
    namespace: `billing-worker-${env}`,
    workloads: ['deployment/billing-worker'],
    health,
    ...extra,
  });
  const doc = {
    temporal: {
      address: input.temporalAddress,
      namespace: 'default',
      taskQueue: input.taskQueue,
      ...(input.temporalUiUrl ? { uiUrl: input.temporalUiUrl } : {}),
    },
    slack: { defaultChannel: 'C_INCIDENTS' },
    ...(input.prometheusUrl ? { prometheus: { url: input.prometheusUrl } } : {}),
    ...(input.registryUrl ? { registries: { 'ghcr.io': { url: input.registryUrl } } } : {}),
    people: {
      alice: { name: 'Alice Ops', email: 'alice@acme.test', slack: 'U_ALICE' },
      bob: { name: 'Bob Lead', email: 'bob@acme.test', slack: 'U_BOB' },
      carol: { name: 'Carol Sre', email: 'carol@acme.test', slack: 'U_CAROL' },
      mallory: { name: 'Mallory Intern', email: 'mallory@acme.test', slack: 'U_MALLORY' },
    },
    // Every sandbox user shares the admin kubeconfig, so the cluster cannot tell them apart: people
    // name themselves with --as, and prod takes those typed names for approvals too.
    cli: { allowClaimedIdentity: true },
    clusters: {
      sandbox: { kubeconfig: input.kubeconfigPath, ...(input.kubeContext ? { context: input.kubeContext } : {}) },
    },
    repos: {
      config: {
        url: input.repoUrl,
        branch: 'main',
        ...(input.pullRequests ? { pullRequests: { ...input.pullRequests, repository: 'acme/config' } } : {}),
      },
    },
    apps: {
      'users-api': {
        owners: ['alice', 'carol'],
        approvers: ['bob', 'carol'],
        channel: 'C_USERS_API',
        environments: {
          dev: argo('dev', {
            drillTarget: true,
            ...(input.prometheusUrl ? { verification: [errorRateCheck('dev')] } : {}),
          }),
          staging: argo('staging', {
            drillTarget: true,
            ...(input.prometheusUrl ? { verification: [errorRateCheck('staging')] } : {}),
          }),
          prod: argo('prod', TYPED_NAMES_DECIDE),
        },
      },
      'billing-worker': {
        owners: ['bob', 'alice'],
        approvers: ['alice', 'carol'],
        channel: 'C_BILLING',
        environments: { dev: flux('dev', { drillTarget: true }), prod: flux('prod', TYPED_NAMES_DECIDE) },
      },
    },
    ci: { identities: ['ci-bot'] },
    drills: [
      {
        name: 'users-api-staging-rollback',
        kind: 'rollback',
        app: 'users-api',
        env: 'staging',
        badTag: '1.43.0',
        schedule: { cron: '0 10 * * 2', timezone: 'Europe/Berlin' },
        targets: { timeToDetect: '1m', timeToRestore: '3m' },
        channel: 'C_GAMEDAY',
      },
      {
        name: 'users-api-dev-drift',
        kind: 'drift',
        app: 'users-api',
        env: 'dev',
        schedule: { cron: '0 11 * * 2' },
        targets: { timeToDetect: '30s', timeToRestore: '1m' },
        channel: 'C_GAMEDAY',
      },
      {
        name: 'users-api-dev-rebuild',
        kind: 'rebuild',
        app: 'users-api',
        env: 'dev',
        targets: { timeToRestore: '2m' },
        channel: 'C_GAMEDAY',
      },
      {
        name: 'users-api-dev-emergency',
        kind: 'emergency',
        app: 'users-api',
        env: 'dev',
        targets: { timeToRestore: '3m' },
        channel: 'C_GAMEDAY',
      },
      { name: 'ci-access-audit', kind: 'access-audit', schedule: { cron: '0 9 * * 1' }, channel: 'C_GAMEDAY' },
    ],
  };
  const text = `# Generated by rewind's sandbox: the loopback world's apps, people and systems.\n${stringify(doc)}`;
  return { text, config: parseConfig(text, 'sandbox rewind.yaml') };
}
