/**
 * What each step kind takes under `with:`, and which steps change the world. One strict schema
 * per kind, with the ranges its runner (workflows/*-steps.ts, workflows/hold-paused.ts) can honour:
 * a key no runner reads, a string where a number goes, or a zero or negative time is refused at
 * load, not discovered in the middle of an incident.
 */
import { z } from 'zod';
import type { StepKind } from '../../../workflows/types.js';
import { parseDuration } from '../config/duration.js';

/**
 * Steps with side effects: they change Git, the engine or live objects. Each must come after the
 * approval step, unless it carries an explicit waiver (`with: { beforeApproval: "<why>" }`).
 */
export const SIDE_EFFECT_STEPS = [
  'revertPromotion',
  'landPullRequest',
  'pauseAutoSync',
  'patchLive',
  'commitToGit',
  'resumeAutoSync',
  'refresh',
] as const satisfies readonly StepKind[];

const positive = (what: string, max: number, unit: string) =>
  z
    .number({ error: `${what} must be a number (of ${unit})` })
    .positive(`${what} must be more than 0 ${unit}`)
    .max(max, `${what} must be at most ${max} ${unit}`);

/** An explicit waiver of the approval-first rule for one side-effect step: why it is safe unapproved. */
const beforeApproval = z
  .string()
  .trim()
  .min(10, 'beforeApproval must say why this step is safe before anyone approves (10 characters or more)')
  .max(300)
  .optional();

/** A window such as "2m" or "90s" (verify* steps), positive and at most a day. */
const window = (what: string) =>
  z.string().refine((t) => {
    const ms = parseDuration(t);
    return ms !== undefined && ms > 0 && ms <= 86_400_000;
  }, `${what} must be a duration such as "30s", "2m" or "1h" (at most 1d)`);

const none = z.strictObject({});
const sideEffect = z.strictObject({ beforeApproval });

export const STEP_PARAMS = {
  planRollback: none,
  approve: none,
  revertPromotion: sideEffect,
  landPullRequest: sideEffect,
  refresh: sideEffect,
  waitForSynced: none,
  verifyHealth: none,
  notify: z.strictObject({
    message: z
      .string()
      .trim()
      .min(1, 'message must not be empty')
      .max(500, 'message must be at most 500 characters')
      .optional(),
  }),
  planEmergency: none,
  pauseAutoSync: z.strictObject({
    /** How long the pause lease lasts before it is flagged as expired. @default 4 */
    leaseHours: positive('leaseHours', 168, 'hours').optional(),
    /** How long the pause must hold (no sync, auto-sync still off) before patching. @default 3 */
    holdSeconds: positive('holdSeconds', 600, 'seconds').optional(),
    /** How often a held pause reminds the channel. @default 15 */
    remindEveryMinutes: positive('remindEveryMinutes', 1440, 'minutes').optional(),
    beforeApproval,
  }),
  patchLive: sideEffect,
  commitToGit: sideEffect,
  waitForGitToMatchLive: z
    .strictObject({
      /** @default 30 */
      timeoutMinutes: positive('timeoutMinutes', 1440, 'minutes').optional(),
      /** @default 10 */
      pollSeconds: positive('pollSeconds', 3600, 'seconds').optional(),
    })
    .refine((w) => w.pollSeconds === undefined || (w.timeoutMinutes ?? 30) * 60 >= w.pollSeconds, {
      message: 'pollSeconds must not be longer than timeoutMinutes',
    }),
  awaitEngineRevision: z.strictObject({
    /** @default 10 */
    timeoutMinutes: positive('timeoutMinutes', 1440, 'minutes').optional(),
  }),
  resumeAutoSync: sideEffect,
  verifyMetric: z
    .strictObject({
      /** Names the check in messages ("error-rate" reads "error rate"). @default metric */
      check: z
        .string()
        .regex(/^[a-z][a-z0-9-]*$/, 'check must be a kebab-case name such as error-rate')
        .max(63)
        .optional(),
      query: z.string().trim().min(1, 'query must be a PromQL expression').max(4000),
      max: z.number().optional(),
      min: z.number().optional(),
      for: window('for'),
      every: window('every').optional(),
      within: window('within').optional(),
      /** Prometheus to ask; default: rewind.yaml's prometheus.url. */
      prometheus: z
        .string()
        .url()
        .refine((u) => /^https?:\/\//.test(u), 'prometheus must be an http(s) URL')
        .optional(),
      format: z.enum(['number', 'percent']).optional(),
    })
    .refine((m) => m.max !== undefined || m.min !== undefined, {
      message: 'verifyMetric needs a threshold: max, min or both',
    }),
  verifyProbe: z.strictObject({
    check: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .max(63)
      .optional(),
    /** @default the environment's health.probeUrl */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'url must be an http(s) URL')
      .optional(),
    for: window('for'),
    every: window('every').optional(),
    within: window('within').optional(),
  }),
  verifyAnalysis: z
    .strictObject({
      check: z
        .string()
        .regex(/^[a-z][a-z0-9-]*$/)
        .max(63)
        .optional(),
      rollout: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .optional(),
      canary: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .optional(),
      within: window('within').optional(),
    })
    .refine((a) => (a.rollout === undefined) !== (a.canary === undefined), {
      message: 'verifyAnalysis reads exactly one of rollout (Argo Rollouts) or canary (Flagger)',
    }),
} satisfies { [K in StepKind]: z.ZodType };

/** The keys a step kind takes, for messages. */
export function paramKeys(kind: StepKind): string[] {
  const schema = STEP_PARAMS[kind] as unknown as {
    shape?: Record<string, unknown>;
    _zod?: { def?: { in?: { shape?: Record<string, unknown> } } };
  };
  const shape = schema.shape ?? schema._zod?.def?.in?.shape ?? {};
  return Object.keys(shape);
}
