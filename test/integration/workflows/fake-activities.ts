/**
 * Fake activities for fast workflow tests on the time-skipping server: every activity the runbook
 * interpreter schedules, answering like a healthy world, with per-test overrides and a call log.
 * They stand in for the outside systems only; the workflow code under test is the real one.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../../activities/index.js';
import {
  FailureType,
  type AutoSyncPolicy,
  type EngineState,
  type PromotionDescription,
  type TargetSnapshot,
} from '../../../workflows/types.js';

type Fn = (...args: any[]) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type FakeActivities = Partial<Record<keyof Activities, Fn>>;

const SHA = (n: number) => n.toString(16).padStart(40, '0');

const engine: EngineState = {
  engine: 'argocd',
  syncStatus: 'Synced',
  syncedRevision: SHA(1),
  health: 'Healthy',
  autoSync: { engine: 'argocd', automated: { prune: true, selfHeal: true } },
  resourceVersion: '1',
};
/** The promotion a healthy world's findPromotion returns. */
export const PROMOTION: PromotionDescription = {
  sha: SHA(2),
  parent: SHA(1),
  subject: 'promote users-api 1.43.0 to prod',
  author: 'ci-bot',
  date: '2026-12-01T10:00:00Z',
  images: [
    { container: 'users-api', object: 'apps/Deployment/users-api-prod/users-api', from: '1.42.0', to: '1.43.0' },
  ],
  config: [],
  added: [],
  removed: [],
  otherChanged: [],
};

/** Activities of a healthy world; `overrides` replace single ones. Every call is logged in `calls`. */
export function fakeActivities(overrides: FakeActivities = {}): {
  activities: Record<string, Fn>;
  calls: Array<{ name: string; input: unknown }>;
} {
  const calls: Array<{ name: string; input: unknown }> = [];
  const base: Record<string, Fn> = {
    findPromotion: async () => PROMOTION,
    engineState: async () => engine,
    driftReport: async () => ({ revision: SHA(2), objects: [], real: 0, allowedOnly: 0 }),
    recentOverwrites: async () => ({ watched: true, overwrites: [], edits: [], baselinesSince: [] }),
    lastSyncReport: async () => ({ revision: SHA(2), changed: [] }),
    checkRevert: async () => ({ conflicts: [], laterCommits: [] }),
    checkImages: async ({ images }: { images: string[] }) => images.map((image) => ({ image, state: 'present' })),
    revertPromotion: async () => ({ revertSha: SHA(3), reused: false, attempts: 1, foreignCommitsRebased: 0 }),
    requestRefresh: async () => ({ annotated: 'argocd.argoproj.io/refresh=normal', syncRequested: false }),
    awaitEngineRevision: async ({ revision }: { revision: string }) => ({
      fetched: revision,
      annotated: 'argocd.argoproj.io/refresh=normal',
      waitedMs: 5,
    }),
    waitForSynced: async ({ revision }: { revision: string }) => ({
      synced: true,
      at: new Date().toISOString(),
      state: { ...engine, syncedRevision: revision },
      waitedMs: 5,
    }),
    verifyHealth: async () => ({
      restored: true,
      healthyAt: new Date().toISOString(),
      message: 'engine Healthy',
      engineHealth: 'Healthy',
      workloads: ['deployment/users-api: Healthy'],
    }),
    planLiveChanges: async () => [
      {
        object: '/ConfigMap/users-api-prod/users-api-env',
        resourceVersion: '10',
        before: {},
        after: {},
        fields: [{ path: '/data/DB_HOST', live: 'db-prod.internal', desired: 'db-prod-2.internal' }],
        readers: [],
      },
    ],
    planGitEdits: async () => ({
      rendersLive: true,
      remaining: [],
      edits: [
        {
          file: 'apps/users-api/overlays/prod/configmap-patch.yaml',
          docIndex: 0,
          yamlPath: ['data', 'DB_HOST'],
          value: 'db-prod-2.internal',
          before: 'db-prod.internal',
          why: 'env patch',
        },
      ],
      diff: '',
      base: SHA(2),
      otherEnvs: { checked: [], changed: [] },
    }),
    pauseAutoSync: async (): Promise<{ policy: AutoSyncPolicy | null }> => ({
      policy: { engine: 'argocd', automated: { prune: true, selfHeal: true } },
    }),
    verifyPauseHeld: async () => ({ held: true, message: 'auto-sync stayed off for 3s' }),
    settlePause: async () => ({ settled: true, waitedMs: 1, last: 'no operation running or queued' }),
    releaseLease: async () => ({ released: true }),
    // Sees the pause hold and returns soon: an activity in flight would stop the time-skipping
    // server from skipping time, and the workflow re-arms the guard no sooner than its period. Not at
    // once: a guard restarted in the workflow task that delivers its completion asks to cancel an
    // activity the test server already closed, and the test server then wedges the run
    // (temporalio/sdk-typescript#1058; the real server takes it). 200 ms of real time puts the
    // restart, which follows the start within milliseconds, before the completion.
    guardPause: async () => {
      await new Promise((r) => setTimeout(r, 200));
      return {};
    },
    patchLive: async () => ({ before: '10', after: '11', reused: false }),
    restartWorkloads: async () => [],
    commitLiveChange: async () => ({
      sha: SHA(4),
      reused: false,
      attempts: 1,
      files: ['apps/users-api/overlays/prod/configmap-patch.yaml'],
    }),
    gitMatchesLive: async () => ({ matches: true, revision: SHA(4), remaining: [] }),
    resumeAutoSync: async () => ({ resumed: true }),
    renewPauseLease: async () => ({ renewed: true }),
    publishRunMessage: async () => ({ channel: 'C_USERS_API', ts: '100.000001' }),
    postReminder: async () => ({ ts: '100.000002' }),
  };
  const activities: Record<string, Fn> = {};
  for (const [name, fn] of Object.entries({ ...base, ...overrides })) {
    activities[name] = async (input: unknown) => {
      calls.push({ name, input });
      return (fn as Fn)(input);
    };
  }
  return { activities, calls };
}

/** A push the config repo refuses: final (the run holds its pause). */
export const refusedPush = async () => {
  throw ApplicationFailure.nonRetryable(
    'http://git.example/config.git refused the push to main (protected branch); nothing was pushed',
    FailureType.PushRejected,
  );
};

export const targetOf = (overrides: Partial<TargetSnapshot> = {}): TargetSnapshot => ({
  app: 'users-api',
  env: 'prod',
  cluster: 'c',
  engine: { kind: 'argocd', name: 'users-api-prod', namespace: 'argocd' },
  repo: { name: 'config', url: 'http://git.example/config.git', branch: 'main' },
  path: 'apps/users-api/overlays/prod',
  namespace: 'users-api-prod',
  workloads: ['deployment/users-api'],
  health: { windowMs: 1000, timeoutMs: 60_000 },
  owners: [{ handle: 'alice', name: 'Alice Ops', email: 'alice@acme.test' }],
  approvers: [
    { handle: 'bob', name: 'Bob Lead', email: 'bob@acme.test' },
    { handle: 'carol', name: 'Carol Sre', email: 'carol@acme.test' },
  ],
  approval: { required: true, minApprovers: 1, allowSelfApproval: false, timeoutMs: 15 * 60_000, allowCliYes: false },
  channel: 'C_USERS_API',
  drillTarget: false,
  ...overrides,
});
