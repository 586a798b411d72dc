/**
 * The operations people start from Slack and the CLI, in one place so both entry points
 * authorize and validate the same way: start a runbook, decide on it, cancel it, read it.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { approvalPolicy, resolveTarget } from './config/load.js';
import { parseDuration } from './config/duration.js';
import type { RewindConfig } from './config/schema.js';
import { loadRunbook } from './runbooks/load.js';
import { RewindApp, RewindEnv, RewindIncident, RewindRunbook } from './temporal/search-attributes.js';
import { abandonUpdate, cancelSignal, decisionUpdate, resolveUpdate, statusQuery, timelineQuery } from '../workflows/messages.js';
import { runWorkflowId, type Decision, type LiveChange, type PersonRef, type RunRequest, type RunStatus, type TargetSnapshot } from '../workflows/types.js';

export interface Rewind { cfg: RewindConfig; client: Client; taskQueue: string; runbookDir?: string }

/** Incident ids become a commit trailer and a search attribute: one short token, never a second line. */
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,63}$/;

/** Thrown when a request is refused before anything changes; the message says what to do instead. */
export class RefusedError extends Error {
  constructor(message: string, readonly code: 'unknown-target' | 'not-authorized' | 'bad-input' | 'busy' | 'not-found') { super(message); this.name = 'RefusedError'; }
}

export function person(cfg: RewindConfig, handle: string): PersonRef {
  const p = cfg.people[handle];
  if (!p) throw new RefusedError(`"${handle}" is not a person in rewind.yaml; add them under people:`, 'not-authorized');
  return { handle, name: p.name, email: p.email, ...(p.slack ? { slack: p.slack } : {}) };
}

export function personBySlackId(cfg: RewindConfig, userId: string): PersonRef | undefined {
  const entry = Object.entries(cfg.people).find(([, p]) => p.slack === userId);
  return entry ? person(cfg, entry[0]) : undefined;
}

export function targetSnapshot(cfg: RewindConfig, app: string, env?: string): TargetSnapshot {
  let resolved;
  try { resolved = resolveTarget(cfg, app, env); } catch (err) { throw new RefusedError((err as Error).message, 'unknown-target'); }
  const { app: a, envName, env: e } = resolved;
  const policy = approvalPolicy(cfg, envName, e);
  return {
    app, env: envName, cluster: e.cluster, engine: e.engine, path: e.path, namespace: e.namespace, workloads: e.workloads,
    repo: { name: e.repo, ...cfg.repos[e.repo]! },
    health: { windowMs: parseDuration(e.health.window)!, timeoutMs: parseDuration(e.health.timeout)!, ...(e.health.probeUrl ? { probeUrl: e.health.probeUrl } : {}) },
    owners: a.owners.map((h) => person(cfg, h)),
    approvers: a.approvers.map((h) => person(cfg, h)),
    approval: { required: policy.required, minApprovers: policy.minApprovers, allowSelfApproval: policy.allowSelfApproval, timeoutMs: parseDuration(policy.timeout)!, allowCliYes: policy.allowCliYes },
    channel: a.channel ?? cfg.slack.defaultChannel,
    drillTarget: e.drillTarget,
    temporalUiUrl: cfg.temporal.uiUrl,
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
  /** Emergency path: live changes (see src/emergency/parse-change.ts). */
  changes?: LiveChange[];
}

export async function startRun(rw: Rewind, req: StartRequest): Promise<{ workflowId: string; runId: string; target: TargetSnapshot }> {
  const target = targetSnapshot(rw.cfg, req.app, req.env);
  if (!target.owners.some((o) => o.handle === req.requester.handle)) {
    throw new RefusedError(`${req.requester.handle} is not an owner of ${target.app}; owners: ${target.owners.map((o) => o.handle).join(', ')}. Ask one of them, or add yourself to apps.${target.app}.owners in rewind.yaml.`, 'not-authorized');
  }
  if (req.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(req.commit)) throw new RefusedError(`"${req.commit}" is not a commit sha (7 to 40 hex digits)`, 'bad-input');
  // Checked here, not only in the revert activity: otherwise the run starts, posts its plan and fails after approval.
  if (req.incidentId !== undefined && !INCIDENT_ID_PATTERN.test(req.incidentId)) throw new RefusedError(`${JSON.stringify(req.incidentId)} is not an incident id: use one word such as INC-42 (letters, digits and . _ : # / -, up to 64)`, 'bad-input');
  if (req.preApproved && target.approval.required && !target.approval.allowCliYes) {
    throw new RefusedError(`the approval policy of ${target.app}/${target.env} does not allow --yes; run without it and ask an approver (${target.approvers.map((p) => p.handle).join(', ') || 'none configured'})`, 'not-authorized');
  }
  if (!req.reason.trim()) throw new RefusedError('give a reason: it goes into the commit message and the timeline', 'bad-input');
  if (req.runbook === 'emergency-change' && !req.changes?.length) throw new RefusedError('say what to change live, e.g. "configmap/users-api-env DB_HOST=db-2.internal"', 'bad-input');
  const foreign = req.changes?.find((c) => c.object.namespace !== target.namespace);
  if (foreign) throw new RefusedError(`${foreign.object.kind}/${foreign.object.name} is in namespace ${foreign.object.namespace}; ${target.app}/${target.env} runs in ${target.namespace}`, 'bad-input');
  const runbook = await loadRunbook(req.runbook, rw.runbookDir);
  const workflowId = runWorkflowId(target.app, target.env);
  const request: RunRequest = {
    requester: req.requester, reason: req.reason.trim(), source: req.source,
    ...(req.incidentId ? { incidentId: req.incidentId } : {}), ...(req.commit ? { commit: req.commit } : {}), ...(req.preApproved ? { preApproved: true } : {}),
    ...(req.changes?.length ? { changes: req.changes } : {}),
  };
  try {
    const handle = await rw.client.workflow.start('runbookWorkflow', {
      taskQueue: rw.taskQueue, workflowId, args: [{ runbook, target, request }],
      workflowIdConflictPolicy: 'FAIL', workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: RewindApp, value: target.app }, { key: RewindEnv, value: target.env }, { key: RewindRunbook, value: runbook.name },
        ...(req.incidentId ? [{ key: RewindIncident, value: req.incidentId }] : []),
      ],
      memo: { requester: req.requester.handle, reason: request.reason },
    });
    return { workflowId, runId: handle.firstExecutionRunId, target };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RefusedError(await describeHolder(rw, workflowId, target), 'busy');
    throw err;
  }
}

async function describeHolder(rw: Rewind, workflowId: string, target: TargetSnapshot): Promise<string> {
  const status = await rw.client.workflow.getHandle(workflowId).query(statusQuery).catch(() => undefined);
  const who = status ? `${status.runbook} requested by ${status.requester} (${status.phase}): ${status.reason}` : 'another run';
  const link = target.temporalUiUrl ? ` ${target.temporalUiUrl.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}` : '';
  return `${target.app}/${target.env} is held by ${who}. Only one runbook per app and environment runs at a time. Watch it with \`rewind status ${target.app}\`${link ? ` or${link}` : ''}.`;
}

function handle(rw: Rewind, workflowId: string): WorkflowHandle {
  if (!/^rewind\/[a-z0-9-]+\/[a-z0-9-]+$/.test(workflowId)) throw new RefusedError(`"${workflowId}" is not a rewind run id`, 'bad-input');
  return rw.client.workflow.getHandle(workflowId);
}

export async function decide(rw: Rewind, workflowId: string, decision: Decision): Promise<RunStatus> {
  try {
    return await handle(rw, workflowId).executeUpdate(decisionUpdate, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new RefusedError(err.cause?.message ?? err.message, 'not-authorized');
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`run ${workflowId} is not running any more`, 'not-found');
    throw err;
  }
}

export async function cancelRun(rw: Rewind, workflowId: string, by: PersonRef, reason?: string): Promise<void> {
  const status = await runStatus(rw, workflowId);
  const cfgApp = rw.cfg.apps[status.app];
  const allowed = [...(cfgApp?.owners ?? []), ...(cfgApp?.approvers ?? [])].includes(by.handle);
  if (!allowed) throw new RefusedError(`${by.handle} is neither an owner nor an approver of ${status.app} and cannot cancel its runs`, 'not-authorized');
  // The workflow ignores cancel while it holds a pause: say what works instead of "cancel requested".
  if (status.phase === 'held-paused') throw new RefusedError(`run ${workflowId} holds auto-sync of ${status.app}/${status.env} paused and cannot be cancelled: resolve it once Git holds the change (rewind resolve ${status.app} --env ${status.env}), or abandon it to let Git win (rewind abandon ${status.app} --env ${status.env} --confirm)`, 'busy');
  try {
    await handle(rw, workflowId).signal(cancelSignal, { by, ...(reason ? { reason } : {}) });
  } catch (err) {
    // A closed run still answers the status query, but signalling it fails with NOT_FOUND ("workflow execution already completed").
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`run ${workflowId} is not running any more (${status.phase}); nothing to cancel`, 'not-found');
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
  if (app && !rw.cfg.apps[app]) throw new RefusedError(`unknown app "${app}". Known apps: ${Object.keys(rw.cfg.apps).join(', ')}`, 'unknown-target');
  const query = `ExecutionStatus = 'Running' AND WorkflowType = 'runbookWorkflow'${app ? ` AND RewindApp = '${app}'` : ''}`;
  const out: RunStatus[] = [];
  for await (const wf of rw.client.workflow.list({ query })) {
    const status = await rw.client.workflow.getHandle(wf.workflowId, wf.runId).query(statusQuery).catch(() => undefined);
    if (status) out.push(status);
  }
  return out;
}

async function holdUpdate(rw: Rewind, workflowId: string, run: () => Promise<RunStatus>): Promise<RunStatus> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new RefusedError(err.cause?.message ?? err.message, 'not-authorized');
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`run ${workflowId} is not running any more`, 'not-found');
    throw err;
  }
}

/** A held emergency run: the fix reached Git some other way; the run verifies drift is empty, then resumes. */
export async function resolveRun(rw: Rewind, workflowId: string, by: PersonRef, comment?: string): Promise<RunStatus> {
  return holdUpdate(rw, workflowId, () => handle(rw, workflowId).executeUpdate(resolveUpdate, { args: [{ by, ...(comment ? { comment } : {}) }] }));
}

/** A held emergency run: resume auto-sync and let Git win. `confirm` must be true. */
export async function abandonRun(rw: Rewind, workflowId: string, by: PersonRef, confirm: boolean, comment?: string): Promise<RunStatus> {
  return holdUpdate(rw, workflowId, () => handle(rw, workflowId).executeUpdate(abandonUpdate, { args: [{ by, confirm, ...(comment ? { comment } : {}) }] }));
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
export async function settleHold(rw: Rewind, workflowId: string, by: PersonRef, req: { action: 'resolve' } | { action: 'abandon'; confirm: boolean }, comment?: string, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<HoldOutcome> {
  let runId: string;
  try { runId = (await handle(rw, workflowId).describe()).runId; } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new RefusedError(`no run ${workflowId}`, 'not-found');
    throw err;
  }
  const pinned = rw.client.workflow.getHandle(workflowId, runId);
  const seen = (await pinned.query(timelineQuery)).length;
  let status = req.action === 'resolve' ? await resolveRun(rw, workflowId, by, comment) : await abandonRun(rw, workflowId, by, req.confirm, comment);
  let final: RunStatus | undefined;
  let failed: unknown;
  // result() long-polls; abort it when we return early, or it outlives the call (and holds a CLI process open).
  const stopResult = new AbortController();
  const ended = rw.client.withAbortSignal(stopResult.signal, () => pinned.result() as Promise<RunStatus>).then((s) => { final = s; }, (err: unknown) => { if (!stopResult.signal.aborted) failed = err; });
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  try {
    for (;;) {
      if (failed) throw new Error(`run ${workflowId} failed while it ${req.action === 'resolve' ? 'checked Git and resumed auto-sync' : 'resumed auto-sync'}: ${causeMessage(failed)}. Auto-sync may still be paused: check \`rewind pauses\`.`);
      if (final) return final.phase === 'resolved' || final.phase === 'abandoned' ? { outcome: final.phase, status: final } : { outcome: 'pending', status: final };
      const refused = (await pinned.query(timelineQuery).catch(() => [])).slice(seen).find((e) => e.summary.startsWith('resolve refused'));
      if (refused) return { outcome: 'still-held', status: await pinned.query(statusQuery).catch(() => status), why: refused.summary.replace(/^resolve refused: /, '') };
      if (Date.now() >= deadline) return { outcome: 'pending', status };
      status = await pinned.query(statusQuery).catch(() => status);
      await Promise.race([new Promise((r) => setTimeout(r, opts.pollMs ?? 500)), ended]);
    }
  } finally {
    stopResult.abort();
  }
}

function causeMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
