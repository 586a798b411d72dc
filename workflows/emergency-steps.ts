/**
 * The steps of the emergency path: plan (refuses what Git could not hold, before anything is
 * paused), pause with a lease, patch live conditionally, commit the same change to Git, gate on
 * Git rendering the live state, and only then resume auto-sync to exactly the recorded policy.
 */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { gitActs, readActs, waitActs } from './activities.js';
import type { StepContext, StepResult } from './step-context.js';
import { FailureType, type RunbookStep } from './types.js';

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : fallback);

function changesOf(ctx: StepContext) {
  const changes = ctx.input.request.changes ?? [];
  if (changes.length === 0) throw ApplicationFailure.nonRetryable('an emergency run needs at least one live change', FailureType.BadInput);
  return changes;
}

export async function planEmergency(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const planned = await readActs.planLiveChanges({ target, changes });
  const git = await readActs.planGitEdits({ target, changes, liveAfter: planned.map((p) => p.after) });
  if (!git.rendersLive) {
    const missing = git.remaining.map((r) => `${r.object} ${r.path}`).join(', ');
    throw ApplicationFailure.nonRetryable(`Git cannot hold this change (after the edits, Git would still render ${missing} differently); give --git-file <path> --git-path <yaml.path> for it`, FailureType.BadInput);
  }
  const engine = await readActs.engineState(target);
  const warnings: string[] = [];
  if (!engine.autoSync) warnings.push(`Auto-sync of ${target.engine.name} is already off and no rewind lease holds it: rewind will not turn it on at the end.`);
  ctx.planned = planned.map((p) => ({ object: p.object, resourceVersion: p.resourceVersion }));
  ctx.state.status.emergency = { changes: planned.map((p) => ({ object: p.object, resourceVersion: p.resourceVersion, fields: p.fields })), gitEdits: git.edits, gitDiff: git.diff, engine, warnings };
  const fields = planned.flatMap((p) => p.fields.map((f) => `${p.object}${f.path}: ${JSON.stringify(f.live)} → ${JSON.stringify(f.desired)}`));
  return {
    summary: `${fields.join('; ')}; Git: ${[...new Set(git.edits.map((e) => e.file))].join(', ')}`,
    evidence: { objects: planned.map((p) => `${p.object}@${p.resourceVersion}`).join(', '), gitBase: git.base, gitFiles: [...new Set(git.edits.map((e) => e.file))].join(', '), engineResourceVersion: engine.resourceVersion },
  };
}

export async function pauseAutoSync(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const now = new Date();
  const ttlMs = num(step.with.leaseHours, 4) * 3_600_000;
  const lease = { by: request.requester.handle, reason: request.reason, ...(request.incidentId ? { incidentId: request.incidentId } : {}), runId: ctx.runKey, pausedAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
  const { policy } = await gitActs.pauseAutoSync({ target, lease });
  ctx.pause = { policy, lease };
  ctx.state.status.pause = { since: lease.pausedAt, policy, lease };
  const held = await waitActs.verifyPauseHeld({ target, holdMs: num(step.with.holdSeconds, 3) * 1000 });
  if (!held.held) {
    // Nothing was patched and auto-sync is on again: there is no pause to hold.
    ctx.pause = undefined;
    ctx.state.status.pause = undefined;
    throw ApplicationFailure.nonRetryable(held.message, FailureType.BadInput);
  }
  return {
    summary: policy ? `auto-sync of ${target.engine.name} paused (was ${JSON.stringify(policy.engine === 'argocd' ? policy.automated : { suspend: false })}); lease until ${lease.expiresAt}` : `auto-sync of ${target.engine.name} was already off; lease recorded`,
    evidence: { engine: `${target.engine.kind}/${target.engine.namespace}/${target.engine.name}`, recordedPolicy: JSON.stringify(policy), leaseExpires: lease.expiresAt, held: held.message },
  };
}

export async function patchLive(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const versions: string[] = [];
  for (const [i, change] of changes.entries()) {
    const planned = ctx.planned?.[i];
    if (!planned) throw ApplicationFailure.nonRetryable('patchLive needs planEmergency first', FailureType.BadInput);
    const res = await gitActs.patchLive({ target, change, resourceVersion: planned.resourceVersion });
    versions.push(`${planned.object} ${res.before}→${res.after}${res.reused ? ' (already applied)' : ''}`);
  }
  ctx.patched = true;
  return { summary: `patched live: ${versions.join('; ')}`, evidence: { resourceVersions: versions.join('; ') } };
}

export async function commitToGit(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const changes = changesOf(ctx);
  const res = await gitActs.commitLiveChange({ target, changes, requester: request.requester, reason: request.reason, ...(request.incidentId ? { incidentId: request.incidentId } : {}), runId: ctx.runKey });
  ctx.commitSha = res.sha;
  ctx.state.status.commitSha = res.sha;
  return {
    summary: `${res.reused ? 'Git already holds the change at' : 'pushed'} ${res.sha.slice(0, 7)} (${res.files.join(', ') || 'no file changed'}) as ${request.requester.name}`,
    evidence: { commitSha: res.sha, reused: res.reused, pushAttempts: res.attempts, files: res.files.join(', '), commitUrl: target.repo.webUrl ? `${target.repo.webUrl}/commit/${res.sha}` : undefined, author: `${request.requester.name} <${request.requester.email}>` },
  };
}

export async function waitForGitToMatchLive(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const deadline = Date.now() + num(step.with.timeoutMinutes, 30) * 60_000;
  for (;;) {
    const res = await readActs.gitMatchesLive({ target, changes });
    if (res.matches) return { summary: `Git at ${res.revision.slice(0, 7)} renders the patched live state`, evidence: { gitRevision: res.revision } };
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(`Git still renders ${res.remaining.map((r) => `${r.object}${r.path}=${JSON.stringify(r.desired)} (live ${JSON.stringify(r.live)})`).join(', ')}`, FailureType.BadInput);
    }
    await sleep(num(step.with.pollSeconds, 10) * 1000);
  }
}

export async function resumeAutoSync(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  if (!ctx.pause) return { summary: 'nothing to resume', skipped: true };
  // Invariant: resume only when Git renders the patched live state, checked again right here.
  const gate = await readActs.gitMatchesLive({ target, changes: changesOf(ctx) });
  if (!gate.matches) {
    throw ApplicationFailure.nonRetryable(`resume refused: Git does not hold the live change yet (${gate.remaining.map((r) => `${r.object}${r.path}`).join(', ')}); self-heal would undo it`, FailureType.BadInput);
  }
  if (!ctx.pause.policy) {
    ctx.pause = undefined;
    ctx.state.status.pause = undefined;
    return { summary: 'auto-sync was off before this run: left off as found', skipped: true };
  }
  await readActs.resumeAutoSync({ target, policy: ctx.pause.policy });
  const policy = ctx.pause.policy;
  ctx.pause = undefined;
  ctx.state.status.pause = undefined;
  return { summary: `auto-sync restored to ${JSON.stringify(policy.engine === 'argocd' ? policy.automated : { suspend: false })}`, evidence: { restoredPolicy: JSON.stringify(policy), gitRevision: gate.revision } };
}
