/**
 * The shape of rewind.yaml. This one validator serves the loader, the error messages and
 * the published JSON Schema, so the three cannot disagree.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = (fallback: string) =>
  z.string().refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration such as "30s", "5m" or "1h30m"' }).default(fallback);

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lowercase DNS-1123 name (letters, digits, "-")');
const handle = z.string().regex(/^[a-z][a-z0-9._-]*$/, 'expected a person handle such as "alice"');

export const personSchema = z.strictObject({
  name: z.string().min(1).describe('Full name, used as the Git author name'),
  email: z.string().email().describe('Git author email'),
  slack: z.string().regex(/^[UW][A-Z0-9_]+$/, 'expected a Slack user id such as U012AB3CD').optional().describe('Slack user id'),
});

export const clusterSchema = z.strictObject({
  kubeconfig: z.string().optional().describe('Path of a kubeconfig; default: $KUBECONFIG, ~/.kube/config, then in-cluster'),
  context: z.string().optional().describe('Context inside the kubeconfig; default: its current context'),
  inCluster: z.boolean().default(false).describe('Use the pod service account'),
});

export const repoSchema = z.strictObject({
  url: z.string().min(1).describe('Clone URL of the config repository (https, ssh or a local path)'),
  branch: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'expected a branch name').default('main'),
  webUrl: z.string().url().optional().describe('Base URL for commit links, e.g. https://github.com/acme/config'),
});

const engineSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('argocd'), name: dnsName.describe('Application name'), namespace: dnsName.default('argocd') }),
  z.strictObject({
    kind: z.literal('flux'), name: dnsName.describe('Kustomization name'), namespace: dnsName.default('flux-system'),
    source: dnsName.optional().describe('GitRepository to refresh with the Kustomization; default: its sourceRef'),
  }),
]);

const approvalFields = {
  required: z.boolean().describe('Whether a second person must approve before any change'),
  minApprovers: z.number().int().min(1),
  allowSelfApproval: z.boolean().describe('Whether the requester may approve their own run'),
  timeout: duration('15m').describe('No answer within this time cancels the run'),
  allowCliYes: z.boolean().describe('Whether `--yes` on the CLI may stand in for approval'),
};

export const approvalSchema = z.strictObject({
  ...approvalFields,
  minApprovers: approvalFields.minApprovers.default(1),
  allowSelfApproval: approvalFields.allowSelfApproval.default(false),
  allowCliYes: approvalFields.allowCliYes.default(false),
});

/** Per-environment overrides: no defaults here, so unset keys fall through to the prod/non-prod default. */
const approvalOverrideSchema = z.strictObject({
  required: approvalFields.required.optional(),
  minApprovers: approvalFields.minApprovers.optional(),
  allowSelfApproval: approvalFields.allowSelfApproval.optional(),
  timeout: approvalFields.timeout.unwrap().optional(),
  allowCliYes: approvalFields.allowCliYes.optional(),
});

const workloadRef = z.string().regex(/^(deployment|statefulset|daemonset)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected kind/name such as deployment/users-api');

export const environmentSchema = z.strictObject({
  cluster: z.string().min(1).describe('Key under clusters:'),
  engine: engineSchema,
  repo: z.string().min(1).describe('Key under repos:'),
  path: z.string().min(1).regex(/^[^-][^\0]*$/, 'must not start with "-"').describe("Directory in the repo rendered for this environment"),
  namespace: dnsName.describe('Namespace of the workloads'),
  workloads: z.array(workloadRef).min(1).describe('Workloads whose rollout proves health'),
  health: z.strictObject({
    window: duration('30s').describe('How long health must hold before a run calls service restored'),
    timeout: duration('10m').describe('How long to wait for Synced and Healthy before declaring not restored'),
    probeUrl: z.string().url().optional().describe('Optional HTTP probe that must answer 2xx'),
  }).prefault({}),
  approval: approvalOverrideSchema.optional().describe('Overrides of the default policy for this environment'),
  drillTarget: z.boolean().default(false).describe('Drills may inject faults here'),
});

export const appSchema = z.strictObject({
  owners: z.array(handle).min(1).describe('People who may start runbooks for this app'),
  approvers: z.array(handle).default([]).describe('People who may approve runs'),
  channel: z.string().optional().describe('Slack channel id for plans and progress; default: slack.defaultChannel'),
  environments: z.record(dnsName, environmentSchema).refine((e) => Object.keys(e).length > 0, 'an app needs at least one environment'),
});

export const DRILL_KINDS = ['rollback', 'drift', 'rebuild', 'emergency', 'access-audit'] as const;

export const drillSchema = z.strictObject({
  name: dnsName.describe('Unique name; the Temporal Schedule is rewind-drill-<name>'),
  kind: z.enum(DRILL_KINDS),
  app: dnsName.optional().describe('Required for every kind but access-audit'),
  env: dnsName.optional().describe('Must be an environment marked drillTarget: true'),
  schedule: z.strictObject({
    cron: z.string().min(9).describe('Cron expression, e.g. "0 10 * * 2" (Tuesdays 10:00)'),
    timezone: z.string().default('UTC').describe('IANA time zone of the cron expression'),
  }).optional().describe('Without a schedule the drill only runs on demand (`rewind drills run <name>`)'),
  targets: z.strictObject({
    timeToDetect: duration('2m').describe('Detection slower than this fails the check'),
    timeToRestore: duration('10m').describe('Restoring slower than this fails the check'),
  }).prefault({}),
  badTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/).optional().describe('rollback drill: an image tag the environment treats as broken'),
  channel: z.string().optional().describe('Slack channel for the scorecard; default: the app channel'),
});

export const configSchema = z.strictObject({
  temporal: z.strictObject({
    address: z.string().default('127.0.0.1:7233'),
    namespace: z.string().default('default'),
    taskQueue: z.string().default('rewind'),
    uiUrl: z.string().url().optional().describe('Temporal UI base URL for run links'),
    tls: z.boolean().default(false).describe('TLS to the frontend; TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/KEY from env'),
  }).prefault({}),
  slack: z.strictObject({ defaultChannel: z.string().optional() }).prefault({}),
  people: z.record(handle, personSchema).default({}),
  clusters: z.record(z.string(), clusterSchema).default({}),
  repos: z.record(z.string(), repoSchema).default({}),
  defaults: z.strictObject({
    approval: z.strictObject({
      prod: approvalSchema.prefault({ required: true }),
      other: approvalSchema.prefault({ required: false }),
    }).prefault({}),
    prodEnvironments: z.array(dnsName).default(['prod', 'production']).describe('Environments that get the prod approval policy'),
  }).prefault({}),
  apps: z.record(dnsName, appSchema).default({}),
  ci: z.strictObject({ identities: z.array(z.string()).default([]) }).prefault({}).describe('Identities of CI systems, for the access audit'),
  drills: z.array(drillSchema).default([]).describe('Game-day drills, run on a schedule by `rewind drills apply`'),
});

export type RewindConfig = z.infer<typeof configSchema>;
export type AppConfig = z.infer<typeof appSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type ApprovalPolicy = z.infer<typeof approvalSchema>;
export type Person = z.infer<typeof personSchema>;
export type DrillConfig = z.infer<typeof drillSchema>;
