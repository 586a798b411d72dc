/**
 * The operations people start from Slack and the CLI, in one place so both entry points
 * authorize and validate the same way: start a runbook, decide on it, cancel it, read it.
 */
import { failureMessage } from '../../workflows/failure-message.js';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { approvalPolicy, kubeUsersOf, resolveTarget } from './config/load.js';
import { parseDuration } from './config/duration.js';
import { verificationSnapshot } from './config/verification.js';
import { own } from './config/own-keys.js';
import type { RewindConfig } from './config/schema.js';
import { didYouMean } from './did-you-mean.js';
import { shown, textFieldError, TEXT_LIMITS, type TextField } from './input-limits.js';
import { loadRunbook } from './runbooks/load.js';
import { closedRunText } from './decision-outcome.js';
import { RewindApp, RewindEnv, RewindIncident, RewindRunbook } from './temporal/search-attributes.js';
import {
  abandonUpdate,
  cancelUpdate,
  decisionUpdate,
  resolveUpdate,
  statusQuery,
  timelineQuery,
} from '../../workflows/messages.js';
import { RefusedError } from './refused.js';
import { isShaPrefix } from './git/sha.js';
import type { PromotionTrigger } from '../../workflows/verification/types.js';
import {
  runWorkflowId,
  type Decision,
  type IdentityProof,
  type LiveChange,
  type PersonRef,
  type RepoRef,
  type RunRequest,
  type RunStatus,
  type TargetSnapshot,
} from '../../workflows/types.js';

export interface Rewind {
  cfg: RewindConfig;
  client: Client;
  taskQueue: string;
  runbookDir?: string;
}

/** Incident ids become a commit trailer and a search attribute: one short token, never a second line. */
export const INCIDENT_ID_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,${TEXT_LIMITS.incident - 1}}$`);

export { RefusedError } from './refused.js';

/** Refuses a free-text field (reason, comment) with control characters or over its limit; src/lib/input-limits.ts. */
export function checkText(field: TextField, value: string | undefined, label?: string): void {
  if (value === undefined) return;
  const error = textFieldError(field, value, label);
  if (error) throw new RefusedError(error, 'bad-input');
}

export function person(cfg: RewindConfig, handle: string): PersonRef {
  const p = own(cfg.people, handle);
  if (!p)
    throw new RefusedError(
      `${shown(handle, 40)} is not a person in rewind.yaml; add them under people:`,
      'not-authorized',
    );
  return { handle, name: p.name, email: p.email, ...(p.slack ? { slack: p.slack } : {}) };
}

export function personBySlackId(cfg: RewindConfig, userId: string): PersonRef | undefined {
  const entry = Object.entries(cfg.people).find(([, p]) => p.slack === userId);
  return entry ? person(cfg, entry[0]) : undefined;
}

/** The person whose `kube:` lists this Kubernetes user name (the loader refuses one name mapped to two people). */
export function personByKubeUser(cfg: RewindConfig, username: string): PersonRef | undefined {
  const entry = Object.entries(cfg.people).find(([, p]) => kubeUsersOf(p).includes(username));
  return entry ? person(cfg, entry[0]) : undefined;
}

/** A repository as a run carries it: durations in ms, so workflow code parses nothing. */
function repoRef(cfg: RewindConfig, name: string): RepoRef {
  const { pullRequests, ...repo } = own(cfg.repos, name)!;
  if (!pullRequests) return { name, ...repo };
  const { timeout, ...policy } = pullRequests;
  return { name, ...repo, pullRequests: { ...policy, timeoutMs: parseDuration(timeout)! } };
}

export function targetSnapshot(cfg: RewindConfig, app: string, env?: string): TargetSnapshot {
  let resolved;
  try {
    resolved = resolveTarget(cfg, app, env);
  } catch (err) {
    throw new RefusedError((err as Error).message, 'unknown-target');
  }
  const { app: a, envName, env: e } = resolved;
  const policy = approvalPolicy(cfg, envName, e);
  const verification = verificationSnapshot(cfg, e);
  return {
    app,
    env: envName,
    cluster: e.cluster,
    engine: e.engine,
    path: e.path,
    namespace: e.namespace,
    workloads: e.workloads,
    repo: repoRef(cfg, e.repo),
    health: {
      windowMs: parseDuration(e.health.window)!,
      timeoutMs: parseDuration(e.health.timeout)!,
      ...(e.health.probeUrl ? { probeUrl: e.health.probeUrl } : {}),
    },
    owners: a.owners.map((h) => person(cfg, h)),
    approvers: a.approvers.map((h) => person(cfg, h)),
    approval: {
      required: policy.required,
      minApprovers: policy.minApprovers,
      allowSelfApproval: policy.allowSelfApproval,
      timeoutMs: parseDuration(policy.timeout)!,
      allowCliYes: policy.allowCliYes,
      requireProvenIdentity: policy.requireProvenIdentity,
    },
    channel: a.channel ?? cfg.slack.defaultChannel,
    drillTarget: e.drillTarget,
    temporalUiUrl: cfg.temporal.uiUrl,
    ...(verification ? { verification } : {}),
    ...(Object.keys(cfg.registries).length ? { registries: { ...cfg.registries } } : {}),
    ...(cfg.postmortems
      ? {
          postmortems: {
            repo: repoRef(cfg, cfg.postmortems.repo),
            path: cfg.postmortems.path,
          },
        }
      : {}),
  };
}

export interface StartRequest {
  runbook: string;
  app: string;
  env?: string;
  requester: PersonRef;
  reason: string;
  incidentId?: string;
  commit?: string;
  preApproved?: boolean;
  source: RunRequest['source'];
  /** Emergency path: live changes (see src/lib/emergency/parse-change.ts). */
  changes?: LiveChange[];
  /** How the requester was identified: a signed Slack user id, the cluster's word (CLI), or a typed name. */
  via?: IdentityProof;
  /** The promotion watch's failed verification this run answers (its Roll back button). */
  trigger?: PromotionTrigger;
}

/**
 * Everything about a start request that can be checked without Temporal: the target, who asks,
 * the texts, the commit, the changes. The CLI calls it before connecting; startRun calls it again.
 * @throws RefusedError
 */
export function checkStart(
  cfg: RewindConfig,
  req: Omit<StartRequest, 'runbook'> & { runbook?: string },
): TargetSnapshot {
  const target = targetSnapshot(cfg, req.app, req.env);
  if (!target.owners.some((o) => o.handle === req.requester.handle)) {
    throw new RefusedError(
      `${req.requester.handle} is not an owner of ${target.app}; ` +
        `owners: ${target.owners.map((o) => o.handle).join(', ')}. Ask one ` +
        `of them, or add yourself to apps.${target.app}.owners in rewind.yaml.`,
      'not-authorized',
    );
  }
  if (req.commit !== undefined && !isShaPrefix(req.commit))
    throw new RefusedError(`${shown(req.commit, 50)} is not a commit sha (7 to 40 hex digits)`, 'bad-input');
  // Checked here, not only in the revert activity: otherwise the run starts, posts its plan and fails after approval.
  if (req.incidentId !== undefined && !INCIDENT_ID_PATTERN.test(req.incidentId))
    throw new RefusedError(
      `${shown(req.incidentId)} is not an incident id: use one word such as ` +
        `INC-42 (letters, digits and . _ : # / -, up to ${TEXT_LIMITS.incident})`,
      'bad-input',
    );
  if (req.preApproved && target.approval.required && !target.approval.allowCliYes) {
    throw new RefusedError(
      `the approval policy of ${target.app}/${target.env} does not allow --yes; run without it and ` +
        `ask an approver (${target.approvers.map((p) => p.handle).join(', ') || 'none configured'})`,
      'not-authorized',
    );
  }
  if (!req.reason.trim())
    throw new RefusedError('give a reason: it goes into the commit message and the timeline', 'bad-input');
  // A NUL or a newline would reach the commit message only after approval: refuse it now.
  checkText('reason', req.reason.trim());
  if (req.runbook === 'emergency-change' && !req.changes?.length)
    throw new RefusedError(
      'say what to change live, e.g. "configmap/users-api-env DB_HOST=db-2.internal"',
      'bad-input',
    );
  const foreign = req.changes?.find((c) => c.object.namespace !== target.namespace);
  if (foreign)
    throw new RefusedError(
      `${foreign.object.kind}/${foreign.object.name} is in ` +
        `namespace ${foreign.object.namespace}; ${target.app}/${target.env} runs in ${target.namespace}`,
      'bad-input',
    );
  return target;
}

export async function startRun(
  rw: Rewind,
  req: StartRequest,
): Promise<{ workflowId: string; runId: string; target: TargetSnapshot }> {
  const target = checkStart(rw.cfg, req);
  const runbook = await loadRunbook(req.runbook, rw.runbookDir);
  const workflowId = runWorkflowId(target.app, target.env);
  const request: RunRequest = {
    requester: req.requester,
    reason: req.reason.trim(),
    source: req.source,
    ...(req.incidentId ? { incidentId: req.incidentId } : {}),
    ...(req.commit ? { commit: req.commit } : {}),
    ...(req.preApproved ? { preApproved: true } : {}),
    ...(req.changes?.length ? { changes: req.changes } : {}),
    ...(req.via ? { via: req.via } : {}),
    ...(req.trigger ? { trigger: req.trigger } : {}),
  };
  try {
    const handle = await rw.client.workflow.start('runbookWorkflow', {
      taskQueue: rw.taskQueue,
      workflowId,
      args: [{ runbook, target, request }],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: RewindApp, value: target.app },
        { key: RewindEnv, value: target.env },
        { key: RewindRunbook, value: runbook.name },
        ...(req.incidentId ? [{ key: RewindIncident, value: req.incidentId }] : []),
      ],
      memo: { requester: req.requester.handle, reason: request.reason },
    });
    return { workflowId, runId: handle.firstExecutionRunId, target };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new RefusedError(await describeHolder(rw, workflowId, target), 'busy');
    throw err;
  }
}

async function describeHolder(rw: Rewind, workflowId: string, target: TargetSnapshot): Promise<string> {
  const status = await rw.client.workflow
    .getHandle(workflowId)
    .query(statusQuery)
    .catch(() => undefined);
  const who = status
    ? `${status.runbook} requested by ${status.requester} (${status.phase}): ${status.reason}`
    : 'another run';
  const link = target.temporalUiUrl
    ? ` ${target.temporalUiUrl.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`
    : '';
  return (
    `${target.app}/${target.env} is held by ${who}. Only one runbook per app and environment ` +
    `runs at a time. Watch it with \`rewind status ${target.app}\`${link ? ` or${link}` : ''}.`
  );
}

function handle(rw: Rewind, workflowId: string): WorkflowHandle {
  if (!/^rewind\/[a-z0-9-]+\/[a-z0-9-]+$/.test(workflowId))
    throw new RefusedError(`"${workflowId}" is not a rewind run id`, 'bad-input');
  return rw.client.workflow.getHandle(workflowId);
}

/**
 * Approve or reject the run of `workflowId`. `decision.runId` is the run id the person looked at
 * (RunStatus.runId): the workflow id is shared by every run of an app/env, and the workflow's
 * validator refuses the decision on any other run. `decision.via` says how the person was proven.
 */
export async function decide(rw: Rewind, workflowId: string, decision: Decision): Promise<RunStatus> {
  checkText('comment', decision.comment);
  try {
    return await handle(rw, workflowId).executeUpdate(decisionUpdate, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(err.cause?.message ?? err.message, 'not-authorized');
    if ((err as Error).name === 'WorkflowNotFoundError') {
      // A closed run still answers its status query: tell a late approver what became of it.
      const closed = await handle(rw, workflowId)
        .query(statusQuery)
        .catch(() => undefined);
      throw new RefusedError(closed ? closedRunText(closed) : `run ${workflowId} is not running any more`, 'not-found');
    }
    throw err;
  }
}

export async function cancelRun(
  rw: Rewind,
  workflowId: string,
  by: PersonRef,
  reason?: string,
  via?: IdentityProof,
): Promise<void> {
  checkText('reason', reason);
  const status = await runStatus(rw, workflowId);
  const cfgApp = own(rw.cfg.apps, status.app);
  const allowed = [...(cfgApp?.owners ?? []), ...(cfgApp?.approvers ?? [])].includes(by.handle);
  if (!allowed)
    throw new RefusedError(
      `${by.handle} is neither an owner nor an approver of ${status.app} and cannot cancel its runs`,
      'not-authorized',
    );
  // The workflow ignores cancel while it holds a pause: say what works instead of "cancel requested".
  if (status.phase === 'held-paused')
    throw new RefusedError(
      `run ${workflowId} holds auto-sync of ${status.app}/${status.env} paused and cannot be cancelled: ` +
        `resolve it once Git holds the change (rewind resolve ${status.app} --env ${status.env}), ` +
        `or abandon it to let Git win (rewind abandon ${status.app} --env ${status.env} --confirm)`,
      'busy',
    );
  try {
    // An update: the workflow's validator checks the person against its own snapshot, not only this client.
    await handle(rw, workflowId).executeUpdate(cancelUpdate, {
      args: [{ by, ...(reason ? { reason } : {}), ...(via ? { via } : {}) }],
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(err.cause?.message ?? err.message, 'not-authorized');
    // A closed run still answers the status query, but an update to it fails with NOT_FOUND
    // ("workflow execution already completed").
    if ((err as Error).name === 'WorkflowNotFoundError')
      throw new RefusedError(
        `run ${workflowId} is not running any more (${status.phase}); nothing to cancel`,
        'not-found',
      );
    throw err;
  }
}

export async function runStatus(rw: Rewind, workflowId: string): Promise<RunStatus> {
  try {
    return await handle(rw, workflowId).query(statusQuery);
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`no run ${workflowId}`, 'not-found');
    throw err;
  }
}

/** Open runs, optionally of one app; uses the Rewind* search attributes. */
export async function openRuns(rw: Rewind, app?: string): Promise<RunStatus[]> {
  if (app && !own(rw.cfg.apps, app))
    throw new RefusedError(
      `unknown app ${shown(app, 40)}${didYouMean(app, Object.keys(rw.cfg.apps))}. ` +
        `Known apps: ${Object.keys(rw.cfg.apps).join(', ')}`,
      'unknown-target',
    );
  const query = `ExecutionStatus = 'Running' AND WorkflowType = 'runbookWorkflow'${
    app ? ` AND RewindApp = '${app}'` : ''
  }`;
  const out: RunStatus[] = [];
  for await (const wf of rw.client.workflow.list({ query })) {
    const status = await rw.client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .query(statusQuery)
      .catch(() => undefined);
    if (status) out.push(status);
  }
  return out;
}

async function holdUpdate(_rw: Rewind, workflowId: string, run: () => Promise<RunStatus>): Promise<RunStatus> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new RefusedError(err.cause?.message ?? err.message, 'not-authorized');
    if ((err as Error).name === 'WorkflowNotFoundError')
      throw new RefusedError(`run ${workflowId} is not running any more`, 'not-found');
    throw err;
  }
}

/** A held emergency run: the fix reached Git some other way; the run verifies drift is empty, then resumes. */
export async function resolveRun(
  rw: Rewind,
  workflowId: string,
  by: PersonRef,
  comment?: string,
  via?: IdentityProof,
): Promise<RunStatus> {
  checkText('comment', comment);
  return holdUpdate(rw, workflowId, () =>
    handle(rw, workflowId).executeUpdate(resolveUpdate, {
      args: [{ by, ...(comment ? { comment } : {}), ...(via ? { via } : {}) }],
    }),
  );
}

/** A held emergency run: resume auto-sync and let Git win. `confirm` must be true. */
export async function abandonRun(
  rw: Rewind,
  workflowId: string,
  by: PersonRef,
  confirm: boolean,
  comment?: string,
  via?: IdentityProof,
): Promise<RunStatus> {
  checkText('comment', comment);
  return holdUpdate(rw, workflowId, () =>
    handle(rw, workflowId).executeUpdate(abandonUpdate, {
      args: [{ by, confirm, ...(comment ? { comment } : {}), ...(via ? { via } : {}) }],
    }),
  );
}

export type HoldOutcome =
  | { outcome: 'resolved' | 'abandoned'; status: RunStatus }
  /** The run checked Git and still holds the pause; `why` is its note (which fields still differ). */
  | { outcome: 'still-held'; status: RunStatus; why: string }
  /** No outcome within the wait; the run goes on. */
  | { outcome: 'pending'; status: RunStatus };

/**
 * Resolve or abandon a held run and wait for what the run made of it. The update only records
 * the request (its validator refuses people who may not ask and runs that hold no pause); the
 * run then checks Git (resolve) or resumes (abandon) on its own, so both entry points wait here
 * to tell the person the outcome. Pinned to the run that was held: the workflow id is reused.
 */
export async function settleHold(
  rw: Rewind,
  workflowId: string,
  by: PersonRef,
  req: ({ action: 'resolve' } | { action: 'abandon'; confirm: boolean }) & { via?: IdentityProof },
  comment?: string,
  opts: { timeoutMs?: number; pollMs?: number } = {},
): Promise<HoldOutcome> {
  checkText('comment', comment);
  let runId: string;
  try {
    runId = (await handle(rw, workflowId).describe()).runId;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`no run ${workflowId}`, 'not-found');
    throw err;
  }
  const pinned = rw.client.workflow.getHandle(workflowId, runId);
  const seen = (await pinned.query(timelineQuery)).length;
  let status =
    req.action === 'resolve'
      ? await resolveRun(rw, workflowId, by, comment, req.via)
      : await abandonRun(rw, workflowId, by, req.confirm, comment, req.via);
  let final: RunStatus | undefined;
  let failed: unknown;
  // result() long-polls; abort it when we return early, or it outlives the call (and holds a CLI process open).
  const stopResult = new AbortController();
  const ended = rw.client
    .withAbortSignal(stopResult.signal, () => pinned.result() as Promise<RunStatus>)
    .then(
      (s) => {
        final = s;
      },
      (err: unknown) => {
        if (!stopResult.signal.aborted) failed = err;
      },
    );
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  try {
    for (;;) {
      if (failed)
        throw new Error(
          `run ${workflowId} failed while ` +
            `it ${req.action === 'resolve' ? 'checked Git and resumed auto-sync' : 'resumed auto-sync'}` +
            `: ${failureMessage(failed)}. Auto-sync may still be paused: check \`rewind pauses\`.`,
        );
      if (final)
        return final.phase === 'resolved' || final.phase === 'abandoned'
          ? { outcome: final.phase, status: final }
          : { outcome: 'pending', status: final };
      const refused = (await pinned.query(timelineQuery).catch(() => []))
        .slice(seen)
        .find((e) => e.evidence?.refused === 'resolve');
      if (refused)
        return {
          outcome: 'still-held',
          status: await pinned.query(statusQuery).catch(() => status),
          why: `Git still differs from live at ${refused.evidence?.remaining}`,
        };
      if (Date.now() >= deadline) return { outcome: 'pending', status };
      status = await pinned.query(statusQuery).catch(() => status);
      await Promise.race([new Promise((r) => setTimeout(r, opts.pollMs ?? 500)), ended]);
    }
  } finally {
    stopResult.abort();
  }
}
