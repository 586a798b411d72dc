/**
 * The shape of rewind.yaml. This one validator serves the loader, the error messages and
 * the published JSON Schema, so the three cannot disagree.
 */
import { z } from 'zod';
import {
  branchFailure,
  linkFailure,
  repoPathFailure,
  repoUrlFailure,
  timeZoneFailure,
  type CheckFailure,
} from './checks.js';
import { cronFailure } from './cron.js';
import { parseDuration } from './duration.js';

/** The longest duration rewind.yaml takes; longer ones are typos, and would overflow timers. */
export const MAX_DURATION_MS = 30 * 86_400_000;

/** A string refined by a check from checks.ts: its message, and its fix for the loader's error. */
const checked =
  (check: (value: string) => CheckFailure | undefined) => (value: string, ctx: z.core.$RefinementCtx<string>) => {
    const failure = check(value);
    if (failure) ctx.addIssue({ code: 'custom', message: failure.message, params: { fix: failure.fix }, input: value });
  };

const duration = (fallback: string) =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined, { message: 'expected a duration such as "30s", "5m" or "1h30m"' })
    .superRefine(
      checked((s) => {
        const ms = parseDuration(s);
        if (ms === undefined) return undefined;
        if (ms <= 0)
          return {
            message: `a duration of ${s.trim()} would end before it starts`,
            fix: 'give a positive duration such as "30s" or "5m"',
          };
        if (ms > MAX_DURATION_MS)
          return { message: `${s.trim()} is longer than 30 days`, fix: 'give a duration of at most 30d' };
        return undefined;
      }),
    )
    .default(fallback);

/** An http(s) link: run links, commit links, health probes. */
const link = () => z.string().url().superRefine(checked(linkFailure));

/** Keys of clusters: and repos:, which environments name; plain names, never `__proto__` and the like. */
const sectionKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" and "-"');

const dnsName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lowercase DNS-1123 name (letters, digits, "-")');
const handle = z.string().regex(/^[a-z][a-z0-9._-]*$/, 'expected a person handle such as "alice"');

/** A Kubernetes user name as a SelfSubjectReview reports it: one line of printable text. */
const kubeUser = z
  .string()
  .trim()
  .min(1)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'expected a Kubernetes user name without control characters');

export const personSchema = z.strictObject({
  name: z.string().min(1).describe('Full name, used as the Git author name'),
  email: z.string().email().describe('Git author email'),
  slack: z
    .string()
    .regex(/^[UW][A-Z0-9_]+$/, 'expected a Slack user id such as U012AB3CD')
    .optional()
    .describe('Slack user id'),
  kube: z
    .union([kubeUser, z.array(kubeUser).min(1)])
    .optional()
    .describe(
      'Kubernetes user name(s) that identify this person on the CLI: ' +
        'the Username `kubectl auth whoami` shows for their own kubeconfig ' +
        '(e.g. alice@acme.com from OIDC, or an EKS/GKE user). The CLI asks ' +
        'the cluster (SelfSubjectReview) and acts as the person mapped here. ' +
        'Groups are never mapped: many people share a group, so a group cannot say which one of them is asking.',
    ),
});

export const clusterSchema = z.strictObject({
  kubeconfig: z
    .string()
    .optional()
    .describe('Path of a kubeconfig; default: $KUBECONFIG, ~/.kube/config, then in-cluster'),
  context: z.string().optional().describe('Context inside the kubeconfig; default: its current context'),
  inCluster: z.boolean().default(false).describe('Use the pod service account'),
  server: z
    .string()
    .url()
    .refine((u) => u.startsWith('https://'), 'expected an https:// URL')
    .optional()
    .describe(
      "The API server URL as people's kubeconfigs name it, e.g. " +
        "https://prod-eu.k8s.acme.com:6443. The CLI takes a person's identity only from " +
        'a SelfSubjectReview by this server (or by the server of the explicit ' +
        'kubeconfig: above). Needed for CLI identity when rewind uses inCluster or ' +
        "the default kubeconfig, because those name no server a person's machine " +
        'can check. rewind itself still connects as kubeconfig/context/inCluster say',
    ),
});

export const repoSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .superRefine(checked(repoUrlFailure))
    .describe(
      'Clone URL of the config repository: https://, ssh://, git@host:path, ' +
        'or the absolute path (or file://) of a local repository',
    ),
  branch: z.string().superRefine(checked(branchFailure)).default('main'),
  webUrl: link().optional().describe('Base URL for commit links, e.g. https://github.com/acme/config'),
  pullRequests: z
    .strictObject({
      api: link().default('https://api.github.com').describe("Base URL of the forge's GitHub-compatible REST API"),
      repository: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name, e.g. acme/config')
        .describe('The repository on the forge, owner/name'),
      tokenEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
        .describe('Worker env var holding a token that may push branches and open (and, with merge: api, merge) PRs'),
      merge: z
        .enum(['wait', 'api'])
        .default('wait')
        .describe(
          'wait: a person reviews and merges the PR; api: rewind merges it through the API at once (break-glass; ' +
            'the forge still enforces its own rules, and a refused merge falls back to waiting)',
        ),
      method: z.enum(['merge', 'squash']).default('merge').describe('How rewind merges with merge: api'),
      timeout: duration('14d').describe(
        'How long a run waits for the merge before it fails, nothing having reached the branch',
      ),
    })
    .optional()
    .describe(
      'The branch only takes pull requests: rewind pushes its revert or emergency commit to a branch of its own, ' +
        'opens a PR with the plan as its body, and continues from the merge commit',
    ),
});

const engineSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('argocd'),
    name: dnsName.describe('Application name'),
    namespace: dnsName.default('argocd'),
  }),
  z.strictObject({
    kind: z.literal('flux'),
    name: dnsName.describe('Kustomization name'),
    namespace: dnsName.default('flux-system'),
    source: dnsName.optional().describe('GitRepository to refresh with the Kustomization; default: its sourceRef'),
  }),
]);

const approvalFields = {
  required: z.boolean().describe('Whether a second person must approve before any change'),
  minApprovers: z.number().int().min(1),
  allowSelfApproval: z.boolean().describe('Whether the requester may approve their own run'),
  timeout: duration('15m').describe('No answer within this time cancels the run'),
  allowCliYes: z.boolean().describe('Whether `--yes` on the CLI may stand in for approval'),
  requireProvenIdentity: z
    .boolean()
    .describe(
      'Whether approvals and rejections must come from a proven identity: ' +
        'a signed Slack click, or the CLI identified by the cluster ' +
        '(people.*.kube). A name typed with --as or REWIND_USER is then refused by ' +
        'the run itself, even where cli.allowClaimedIdentity lets the CLI send it. ' +
        'Default: true for prodEnvironments, false elsewhere',
    ),
};

/**
 * One default policy; `provenByDefault` is requireProvenIdentity's default (prod: true), also when
 * the policy is written out.
 */
const approvalPolicySchema = (provenByDefault: boolean) =>
  z.strictObject({
    ...approvalFields,
    minApprovers: approvalFields.minApprovers.default(1),
    allowSelfApproval: approvalFields.allowSelfApproval.default(false),
    allowCliYes: approvalFields.allowCliYes.default(false),
    requireProvenIdentity: approvalFields.requireProvenIdentity.default(provenByDefault),
  });

export const approvalSchema = approvalPolicySchema(false);

/** Per-environment overrides: no defaults here, so unset keys fall through to the prod/non-prod default. */
const approvalOverrideSchema = z.strictObject({
  required: approvalFields.required.optional(),
  minApprovers: approvalFields.minApprovers.optional(),
  allowSelfApproval: approvalFields.allowSelfApproval.optional(),
  timeout: approvalFields.timeout.unwrap().optional(),
  allowCliYes: approvalFields.allowCliYes.optional(),
  requireProvenIdentity: approvalFields.requireProvenIdentity.optional(),
});

/** Kinds rewind can judge (src/lib/health: kubectl's rollout rules); any other kind is refused at load. */
const workloadRef = z
  .string()
  .regex(
    /^(deployment|statefulset|daemonset|job)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    'expected kind/name such as deployment/users-api; rewind judges deployment, statefulset, daemonset and job',
  );

/**
 * One verification check (see workflows/verification/types.ts for how each is judged): exactly
 * one of `prometheus`, `http`, `analysis`, under a name that autoRollback.when and messages use.
 */
const metricCheckSchema = z
  .strictObject({
    query: z
      .string()
      .trim()
      .min(1)
      .max(4000)
      .describe('PromQL; its value (the worst series when it returns several) is judged against max/min'),
    max: z.number().optional().describe('The value must stay at or below this'),
    min: z.number().optional().describe('The value must stay at or above this'),
    for: duration('1m').describe(
      "How long the value must hold (or be past the threshold) to decide; at least the range of the query's rate()",
    ),
    every: duration('15s').describe('Time between samples'),
    within: duration('3m')
      .unwrap()
      .optional()
      .describe('No decision by then fails the check as unsettled; default 3 × for'),
    url: link().optional().describe('Prometheus to ask; default: prometheus.url'),
    format: z.enum(['number', 'percent']).optional().describe('percent shows 0.042 as 4.2% in messages'),
  })
  .refine((m) => m.max !== undefined || m.min !== undefined, {
    message: 'a prometheus check needs a threshold: max, min or both',
    params: { fix: 'add max: (e.g. 0.01 for a 1% error rate) or min:' },
  });

const probeCheckSchema = z.strictObject({
  url: link().describe('GET this URL; 2xx passes'),
  for: duration('1m'),
  every: duration('10s'),
  within: duration('3m').unwrap().optional().describe('default 3 × for'),
});

const analysisCheckSchema = z
  .strictObject({
    rollout: dnsName.optional().describe('Argo Rollouts: the newest AnalysisRun of this Rollout decides'),
    canary: dnsName.optional().describe("Flagger: this Canary's phase decides"),
    within: duration('15m').describe('No verdict by then fails the check'),
  })
  .refine((a) => (a.rollout === undefined) !== (a.canary === undefined), {
    message: 'an analysis check reads exactly one of rollout or canary',
    params: { fix: 'write rollout: <name> (Argo Rollouts) or canary: <name> (Flagger)' },
  });

export const verificationCheckSchema = z
  .strictObject({
    name: dnsName.describe('Unique per environment; autoRollback.when names it'),
    prometheus: metricCheckSchema.optional(),
    http: probeCheckSchema.optional(),
    analysis: analysisCheckSchema.optional(),
  })
  .refine((c) => [c.prometheus, c.http, c.analysis].filter((x) => x !== undefined).length === 1, {
    message: 'a check is exactly one of prometheus, http or analysis',
    params: { fix: 'keep one of prometheus:, http:, analysis: under this check, or split it into two checks' },
  });

export const autoRollbackSchema = z.strictObject({
  when: z
    .array(dnsName)
    .min(1)
    .describe(
      'Checks of verification: whose failure after a promotion makes rewind revert it, approval waived by this policy',
    ),
  cooldown: duration('30m').describe(
    'After an automatic rollback of this environment, no other for this long (a person can still roll back)',
  ),
});

export const environmentSchema = z.strictObject({
  cluster: z.string().min(1).describe('Key under clusters:'),
  engine: engineSchema,
  repo: z.string().min(1).describe('Key under repos:'),
  path: z
    .string()
    .min(1)
    .superRefine(checked(repoPathFailure))
    .describe('Directory in the repo rendered for this environment, relative to its root'),
  namespace: dnsName.describe('Namespace of the workloads'),
  workloads: z.array(workloadRef).min(1).describe('Workloads whose rollout proves health'),
  health: z
    .strictObject({
      window: duration('30s').describe('How long health must hold before a run calls service restored'),
      timeout: duration('10m').describe('How long to wait for Synced and Healthy before declaring not restored'),
      probeUrl: link().optional().describe('Optional HTTP probe that must answer 2xx'),
    })
    .prefault({}),
  approval: approvalOverrideSchema.optional().describe('Overrides of the default policy for this environment'),
  drillTarget: z.boolean().default(false).describe('Drills may inject faults here'),
  verification: z
    .array(verificationCheckSchema)
    .optional()
    .describe('Checks run after every promotion that syncs here (the promotion watch) and by verify* runbook steps'),
  autoRollback: autoRollbackSchema
    .optional()
    .describe('Committed before the incident: roll a promotion back when one of these checks fails'),
});

export const appSchema = z.strictObject({
  owners: z.array(handle).min(1).describe('People who may start runbooks for this app'),
  approvers: z.array(handle).default([]).describe('People who may approve runs'),
  channel: z.string().optional().describe('Slack channel id for plans and progress; default: slack.defaultChannel'),
  environments: z
    .record(dnsName, environmentSchema)
    .refine((e) => Object.keys(e).length > 0, 'an app needs at least one environment'),
});

export const DRILL_KINDS = ['rollback', 'drift', 'rebuild', 'emergency', 'access-audit'] as const;

export const drillSchema = z.strictObject({
  name: dnsName.describe('Unique name; the Temporal Schedule is rewind-drill-<name>'),
  kind: z.enum(DRILL_KINDS),
  app: dnsName.optional().describe('Required for every kind but access-audit'),
  env: dnsName.optional().describe('Must be an environment marked drillTarget: true'),
  schedule: z
    .strictObject({
      cron: z.string().min(9).describe('Cron expression, five fields, e.g. "0 10 * * 2" (Tuesdays 10:00)'),
      timezone: z
        .string()
        .superRefine(checked(timeZoneFailure))
        .default('UTC')
        .describe('IANA time zone of the cron expression'),
    })
    .superRefine((s, ctx) => {
      // Read in its time zone (an unknown zone is reported on its own key).
      const failure = cronFailure(s.cron, timeZoneFailure(s.timezone) ? 'UTC' : s.timezone);
      if (failure)
        ctx.addIssue({
          code: 'custom',
          path: ['cron'],
          message: failure,
          params: { fix: 'write five fields: minute hour day-of-month month day-of-week, e.g. "0 10 * * TUE"' },
          input: s.cron,
        });
    })
    .optional()
    .describe('Without a schedule the drill only runs on demand (`rewind drills run <name>`)'),
  targets: z
    .strictObject({
      timeToDetect: duration('2m').describe('Detection slower than this fails the check'),
      timeToRestore: duration('10m').describe('Restoring slower than this fails the check'),
    })
    .prefault({}),
  badTag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
    .optional()
    .describe('rollback drill: an image tag the environment treats as broken'),
  channel: z.string().optional().describe('Slack channel for the scorecard; default: the app channel'),
});

export const configSchema = z.strictObject({
  temporal: z
    .strictObject({
      address: z.string().default('127.0.0.1:7233'),
      namespace: z.string().default('default'),
      taskQueue: z.string().default('rewind'),
      uiUrl: link().optional().describe('Temporal UI base URL for run links'),
      tls: z
        .boolean()
        .default(false)
        .describe('TLS to the frontend; TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/KEY from env'),
    })
    .prefault({}),
  slack: z.strictObject({ defaultChannel: z.string().optional() }).prefault({}),
  prometheus: z
    .strictObject({
      url: link().describe(
        'Base URL of the Prometheus HTTP API that prometheus checks ask, e.g. http://prometheus.monitoring:9090',
      ),
    })
    .optional(),
  registries: z
    .record(
      z
        .string()
        .regex(
          /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/,
          'expected an image host such as ghcr.io or registry.acme.internal:5000',
        ),
      z.strictObject({
        url: link().describe(
          'Base URL of its OCI distribution API (…/v2/ is appended), e.g. https://ghcr.io or a mirror',
        ),
        usernameEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
          .optional()
          .describe("Worker env var holding the user name for the registry's token service"),
        passwordEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
          .optional()
          .describe('Worker env var holding the password or token'),
      }),
    )
    .default({})
    .describe(
      'Registries, by image host, that the rollback plan asks (OCI distribution API) whether ' +
        'the images a revert brings back still exist; images of other hosts are not checked',
    ),
  cdevents: z
    .strictObject({
      url: link().describe('HTTP endpoint that takes CDEvents (CloudEvents binary mode), e.g. a CDviz collector'),
      tokenEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
        .optional()
        .describe('Worker env var holding a bearer token for it'),
    })
    .optional()
    .describe(
      'When set, the worker sends CDEvents for runs: incident detected (a run starts), incident resolved ' +
        'and service rolled back (a run restores service); drill runs send none',
    ),
  postmortems: z
    .strictObject({
      repo: z.string().min(1).describe('Key under repos: the repository the postmortems are committed to'),
      path: z
        .string()
        .min(1)
        .superRefine(checked(repoPathFailure))
        .default('postmortems')
        .describe('Directory in that repository, relative to its root'),
    })
    .optional()
    .describe(
      "When set, the worker commits each ended run's timeline as Markdown to <path>/<date>-<app>-<env>-<run>.md " +
        '(a repository other than the config repo keeps these commits out of what the engines sync)',
    ),
  people: z.record(handle, personSchema).default({}),
  cli: z
    .strictObject({
      allowClaimedIdentity: z
        .boolean()
        .default(false)
        .describe(
          'Whether the CLI may act as a person named with --as or ' +
            'REWIND_USER instead of proving who runs it from their kubeconfig. ' +
            'Anyone who can run the CLI with this rewind.yaml can then act as ' +
            'anyone in people:, approvals included: only for a sandbox or a ' +
            'single-user setup. Environments with approval.requireProvenIdentity ' +
            '(prod by default) still refuse decisions made that way',
        ),
    })
    .prefault({})
    .describe('How the CLI identifies the person running it'),
  clusters: z.record(sectionKey, clusterSchema).default({}),
  repos: z.record(sectionKey, repoSchema).default({}),
  defaults: z
    .strictObject({
      approval: z
        .strictObject({
          prod: approvalPolicySchema(true).prefault({ required: true }),
          other: approvalPolicySchema(false).prefault({ required: false }),
        })
        .prefault({}),
      prodEnvironments: z
        .array(dnsName)
        .default(['prod', 'production'])
        .describe('Environments that get the prod approval policy'),
    })
    .prefault({}),
  apps: z.record(dnsName, appSchema).default({}),
  ci: z
    .strictObject({ identities: z.array(z.string()).default([]) })
    .prefault({})
    .describe('Identities of CI systems, for the access audit'),
  drills: z.array(drillSchema).default([]).describe('Game-day drills, run on a schedule by `rewind drills apply`'),
});

export type RewindConfig = z.infer<typeof configSchema>;
export type AppConfig = z.infer<typeof appSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type ApprovalPolicy = z.infer<typeof approvalSchema>;
export type Person = z.infer<typeof personSchema>;
export type DrillConfig = z.infer<typeof drillSchema>;
export type VerificationCheckConfig = z.infer<typeof verificationCheckSchema>;
