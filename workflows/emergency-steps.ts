/**
 * The steps of the emergency path: plan (refuses what Git could not hold, before anything is
 * paused), pause with a lease, patch live conditionally, commit the same change to Git, gate on
 * Git rendering the live state, and only then resume auto-sync to exactly the recorded policy.
 */
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { gitActs, readActs, waitActs } from './activities.js';
import { evidenceOf, patchedText, restartedText, type PatchedObject } from './evidence.js';
import { targetRevision, type StepContext, type StepResult } from './step-context.js';
import { FailureType, type RunbookStep } from './types.js';

const num = (v: unknown, fallback: number) =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : fallback;

function changesOf(ctx: StepContext) {
  const changes = ctx.input.request.changes ?? [];
  if (changes.length === 0)
    throw ApplicationFailure.nonRetryable('an emergency run needs at least one live change', FailureType.BadInput);
  return changes;
}

export async function planEmergency(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const planned = await readActs.planLiveChanges({ target, changes });
  const git = await readActs.planGitEdits({ target, changes, liveAfter: planned.map((p) => p.after) });
  if (!git.rendersLive) {
    const missing = git.remaining.map((r) => `${r.object} ${r.path}`).join(', ');
    throw ApplicationFailure.nonRetryable(
      `Git cannot hold this change (after the edits, Git would still ` +
        `render ${missing} differently); give --git-file <path> --git-path <yaml.path> for it`,
      FailureType.BadInput,
    );
  }
  const engine = await readActs.engineState(target);
  const warnings: string[] = [];
  if (!engine.autoSync)
    warnings.push(
      `Auto-sync of ${target.engine.name} is already off and no ` +
        `rewind lease holds it: rewind will not turn it on at the end.`,
    );
  // The other environments the Git edit was rendered against (absent from results of older workers).
  const others = git.otherEnvs ?? { checked: [], changed: [] };
  const envName = (dir: string) => dir.slice(dir.lastIndexOf('/') + 1);
  if (others.changed.length)
    warnings.push(
      `This edits a base other environments share (--git-base): ${others.changed.map(envName).join(', ')} change too.`,
    );
  const unchanged = others.checked.filter((d) => !others.changed.includes(d)).map(envName);
  const gitNotes = [
    ...(git.edits.some((e) => e.newFile) ? [`new patch in ${target.env}'s overlay`] : []),
    ...(unchanged.length ? [`${unchanged.join(', ')} render unchanged`] : []),
  ];
  const gitFiles =
    `${[...new Set(git.edits.map((e) => e.file))].join(', ')}` +
    `${gitNotes.length ? ` (${gitNotes.join('; ')})` : ''}`;
  ctx.planned = planned.map((p) => ({ object: p.object, resourceVersion: p.resourceVersion }));
  const readers = planned.flatMap((p) => p.readers.map((r) => r.description));
  const restarts = [...new Set(planned.flatMap((p) => p.readers.filter((r) => r.needsRestart).map((r) => r.workload)))];
  if (restarts.length)
    readers.push(
      `rewind restarts ${restarts.join(', ')} right after the patch ` +
        `(kubectl rollout restart) and verifies health on the new pods`,
    );
  ctx.restarts = restarts;
  ctx.state.status.emergency = {
    changes: planned.map((p) => ({ object: p.object, resourceVersion: p.resourceVersion, fields: p.fields })),
    readers,
    restarts,
    gitEdits: git.edits,
    gitDiff: git.diff,
    engine,
    warnings,
  };
  const fields = planned.flatMap((p) =>
    p.fields.map((f) => `${p.object}${f.path}: ${JSON.stringify(f.live)} → ${JSON.stringify(f.desired)}`),
  );
  return {
    summary: `${fields.join('; ')}; Git: ${gitFiles}${restarts.length ? `; then restart ${restarts.join(', ')}` : ''}`,
    evidence: evidenceOf.planEmergency(planned, git, engine),
  };
}

export async function pauseAutoSync(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const now = new Date();
  const ttlMs = num(step.with.leaseHours, 4) * 3_600_000;
  const lease = {
    by: request.requester.handle,
    reason: request.reason,
    ...(request.incidentId ? { incidentId: request.incidentId } : {}),
    runId: ctx.runKey,
    pausedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  };
  const { policy } = await gitActs.pauseAutoSync({ target, lease });
  ctx.pause = { policy, lease };
  ctx.state.status.pause = { since: lease.pausedAt, policy, lease };
  const held = await waitActs.verifyPauseHeld({ target, holdMs: num(step.with.holdSeconds, 3) * 1000 });
  if (!held.held) {
    // Nothing was patched and auto-sync is on again: there is no pause to hold, and no lease to leave behind.
    await gitActs.releaseLease({ target, runKey: ctx.runKey });
    ctx.pause = undefined;
    ctx.state.status.pause = undefined;
    throw ApplicationFailure.nonRetryable(held.message, FailureType.BadInput);
  }
  // A sync already running or queued when the pause landed would still apply Git after the patch.
  const settled = await waitActs.settlePause({ target, timeoutMs: num(step.with.settleSeconds, 120) * 1000 });
  if (!settled.settled) {
    if (policy) await gitActs.resumeAutoSync({ target, policy });
    else await gitActs.releaseLease({ target, runKey: ctx.runKey });
    ctx.pause = undefined;
    ctx.state.status.pause = undefined;
    throw ApplicationFailure.nonRetryable(
      `${target.engine.name} kept an operation going for ${Math.round(settled.waitedMs / 1000)}s ` +
        `after the pause (${settled.last}); rewind resumed auto-sync as ` +
        `it was and changed nothing. Try again once the sync has finished.`,
      FailureType.EngineBusy,
    );
  }
  return {
    summary: policy
      ? `auto-sync of ${target.engine.name} paused ` +
        `(was ${JSON.stringify(policy.engine === 'argocd' ? policy.automated : { suspend: false })}); ` +
        `lease until ${lease.expiresAt}`
      : `auto-sync of ${target.engine.name} was already off; lease recorded`,
    evidence: evidenceOf.pauseAutoSync(target, policy, lease, held.message, settled.last),
  };
}

export async function patchLive(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const patched: PatchedObject[] = [];
  for (const [i, change] of changes.entries()) {
    const planned = ctx.planned?.[i];
    if (!planned) throw ApplicationFailure.nonRetryable('patchLive needs planEmergency first', FailureType.BadInput);
    const res = await gitActs.patchLive({ target, change, resourceVersion: planned.resourceVersion });
    patched.push({ object: planned.object, ...res });
  }
  ctx.patched = true;
  ctx.patchedAt = new Date().toISOString();
  // Part of the recorded live change: pods that read the change through env get it only on restart.
  const restarted = ctx.restarts?.length
    ? await gitActs.restartWorkloads({ target, workloads: ctx.restarts, restartedAt: ctx.patchedAt })
    : [];
  const restartText = restartedText(restarted);
  return {
    summary: `patched live: ${patchedText(patched)}${restartText ? `; restarted ${restartText}` : ''}`,
    evidence: evidenceOf.patchLive(patched, restarted, ctx.patchedAt),
  };
}

export async function commitToGit(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target, request } = ctx.input;
  const changes = changesOf(ctx);
  const res = await gitActs.commitLiveChange({
    target,
    changes,
    requester: request.requester,
    reason: request.reason,
    ...(request.incidentId ? { incidentId: request.incidentId } : {}),
    runId: ctx.runKey,
  });
  ctx.commitSha = res.sha;
  ctx.state.status.commitSha = res.sha;
  if (res.branch) ctx.runBranch = res.branch;
  return {
    summary:
      `${res.reused ? 'Git already holds the change at' : 'pushed'} ${res.sha.slice(0, 7)}` +
      `${res.branch ? ` to ${res.branch} for review` : ''}` +
      ` (${res.files.join(', ') || 'no file changed'}) as ${request.requester.name}`,
    evidence: evidenceOf.commitToGit(ctx.input, res),
  };
}

export async function waitForGitToMatchLive(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const changes = changesOf(ctx);
  const deadline = Date.now() + num(step.with.timeoutMinutes, 30) * 60_000;
  for (;;) {
    const res = await readActs.gitMatchesLive({ target, changes });
    if (res.matches)
      return {
        summary: `Git at ${res.revision.slice(0, 7)} renders the patched live state`,
        evidence: evidenceOf.waitForGitToMatchLive(res),
      };
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(
        `Git still renders ` +
          `${res.remaining
            .map((r) => `${r.object}${r.path}=${JSON.stringify(r.desired)} (live ${JSON.stringify(r.live)})`)
            .join(', ')}`,
        FailureType.BadInput,
      );
    }
    await sleep(num(step.with.pollSeconds, 10) * 1000);
  }
}

/**
 * Refresh while still paused and wait until the engine has fetched the commit that holds the
 * change: resumed with an older revision cached, Argo CD and Flux first re-apply that one and put
 * the fixed value back for a moment (a second outage for a failover-type fix).
 */
export async function awaitEngineRevision(step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  const revision = targetRevision(ctx);
  if (!revision)
    throw ApplicationFailure.nonRetryable(
      `${step.name} needs a commit from an earlier step (commitToGit or revertPromotion)`,
      FailureType.BadInput,
    );
  const res = await waitActs.awaitEngineRevision({
    target,
    revision,
    token: `${ctx.runKey}/${step.name}`,
    timeoutMs: num(step.with.timeoutMinutes, 10) * 60_000,
  });
  return {
    summary:
      `${target.engine.kind} has fetched ${res.fetched.slice(0, 7)}` +
      `${res.fetched === revision ? '' : `, which contains ${revision.slice(0, 7)}`} while ` +
      `auto-sync is still paused`,
    evidence: evidenceOf.awaitEngineRevision(res),
  };
}

export async function resumeAutoSync(_step: RunbookStep, ctx: StepContext): Promise<StepResult> {
  const { target } = ctx.input;
  if (!ctx.pause) return { summary: 'nothing to resume', skipped: true };
  // Invariant: resume only when Git renders the patched live state, checked again right here.
  const gate = await readActs.gitMatchesLive({ target, changes: changesOf(ctx) });
  if (!gate.matches) {
    throw ApplicationFailure.nonRetryable(
      `resume refused: Git does not hold the live change yet ` +
        `(${gate.remaining.map((r) => `${r.object}${r.path}`).join(', ')}); self-heal would undo it`,
      FailureType.BadInput,
    );
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
  return {
    summary:
      `auto-sync restored ` +
      `to ${JSON.stringify(policy.engine === 'argocd' ? policy.automated : { suspend: false })}`,
    evidence: evidenceOf.resumeAutoSync(policy, gate),
  };
}
