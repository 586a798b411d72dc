/**
 * The promotion watch, inside each target's watch workflow: when the engine reports a newly
 * synced revision (seen by the target's watch, not polled), rewind reads what it brought, and
 * if it is a promotion, waits for its rollout and runs the environment's verification checks
 * over their windows. A failed verification is posted with a Roll back button, or, where the
 * environment's autoRollback policy names the failed check, rolled back by rewind itself.
 *
 * Guards, each checked where it can be:
 * - only the promotion that just synced: the verdict names the newest commit of the synced range
 *   that touches the environment;
 * - not when a newer promotion exists: a newer sync cancels the verification in flight, and
 *   before acting the watch checks that the engine is still at the revision and that no newer
 *   commit touched the environment;
 * - never for a revert, nor for a commit rewind made (Rewind-Run trailer): no flapping;
 * - a cooldown per target after an automatic rollback;
 * - not while another run or a drill holds the target: the app/env lock refuses, and the post
 *   says who holds it.
 */
import { shaOfRevision } from '../../src/lib/git/sha.js';
import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { TargetSnapshot } from '../types.js';
import {
  HEALTH_CHECK,
  type CheckVerdict,
  type PromotionTrigger,
  type VerificationCheck,
} from '../verification/types.js';
import { MAX_VERIFICATIONS, type PromotionVerification, type PromotionWatchState } from './promotion-types.js';

const reads = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '1s',
    maximumInterval: '10s',
    nonRetryableErrorTypes: ['BadInput', 'UnknownApp', 'NotAuthorized'],
  },
});
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['BadInput'] },
});
const waits = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['BadInput'] },
});
/** A check runs for its `within` at most; the proxy's own bound sits above it. */
const checkActs = (c: VerificationCheck) =>
  proxyActivities<Activities>({
    startToCloseTimeout: c.withinMs + 5 * 60_000,
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1s', maximumInterval: '10s', nonRetryableErrorTypes: ['BadInput'] },
  });

const short = (sha: string | undefined) => (sha ?? '?').slice(0, 7);

export class PromotionWatch {
  private current?: { scope: CancellationScope; v: PromotionVerification; supersededBy?: string; done: Promise<void> };

  constructor(
    private readonly target: () => TargetSnapshot,
    readonly state: PromotionWatchState,
  ) {}

  /** A verification is in flight (the watch does not continue as new meanwhile). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** What the engine last said it synced (from each observeTarget call). */
  onSynced(synced: { revision: string; at: string } | undefined): void {
    if (!synced) return;
    const previous = this.state.syncedRevision;
    if (synced.revision === previous) return;
    this.state.syncedRevision = synced.revision;
    // First sight (a new watch): the revision was there before the watch; it is not "newly synced".
    if (previous === undefined) return;
    if (this.current) {
      this.current.supersededBy = synced.revision;
      this.current.scope.cancel();
    }
    if (!this.target().verification?.checks.length) return;
    const v: PromotionVerification = {
      revision: synced.revision,
      syncedAt: synced.at,
      state: 'classifying',
      verdicts: [],
    };
    this.state.verifications.push(v);
    this.state.verifications.splice(0, Math.max(0, this.state.verifications.length - MAX_VERIFICATIONS));
    const scope = new CancellationScope();
    const entry: NonNullable<PromotionWatch['current']> = { scope, v, done: Promise.resolve() };
    entry.done = scope
      .run(() => this.verify(v, previous))
      .catch((err: unknown) => {
        if (isCancellation(err)) {
          v.state = 'superseded';
          v.message = entry.supersededBy
            ? `superseded: the engine synced ${short(entry.supersededBy)} before ` +
              `the verdict on ${short(v.change?.sha ?? v.revision)}`
            : "stopped: the target's watch moved";
        } else {
          v.state = 'error';
          v.message = `the verification could not finish: ${(err as Error).message}`;
        }
        v.endedAt = new Date().toISOString();
      })
      .finally(() => {
        if (this.current === entry) this.current = undefined;
      });
    this.current = entry;
  }

  /** Stops the verification in flight (the target moved); resolves once it has recorded that. */
  async stop(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.scope.cancel();
    await c.done;
  }

  private async verify(v: PromotionVerification, previous: string): Promise<void> {
    const target = this.target();
    const change = await reads.classifySync({ target, from: previous, to: v.revision });
    v.change = {
      kind: change.kind,
      ...(change.commit
        ? { sha: change.commit.sha, subject: change.commit.subject, author: change.commit.author }
        : {}),
      ...(change.alsoSynced ? { alsoSynced: change.alsoSynced } : {}),
      ...(change.note ? { note: change.note } : {}),
    };
    if (change.kind !== 'promotion' || !change.commit) {
      v.state = 'skipped';
      v.message =
        change.kind === 'revert'
          ? `a revert (${change.commit ? `${short(change.commit.sha)} "${change.commit.subject}"` : change.note}` +
            `): not verified, never rolled back again`
          : change.kind === 'rewind'
            ? `rewind's own commit ${short(change.commit?.sha)} (${change.note}): not verified`
            : change.kind === 'unrelated'
              ? `nothing in ${short(previous)}..${short(v.revision)} touches ${target.app}/${target.env}`
              : `cannot tell what ${short(v.revision)} brought: ${change.note}`;
      v.endedAt = new Date().toISOString();
      return;
    }
    v.state = 'verifying';
    // Checks judge the new version only: wait for its rollout first (health newer than the sync).
    const health = await waits.verifyHealth({
      target,
      windowMs: target.health.windowMs,
      timeoutMs: target.health.timeoutMs,
      since: v.syncedAt,
    });
    if (!health.restored) {
      v.verdicts = [
        {
          name: HEALTH_CHECK,
          kind: 'health',
          passed: false,
          reason: 'breached',
          message: `not healthy after the promotion: ${health.message}`,
          at: new Date().toISOString(),
          samples: 1,
        },
      ];
    } else {
      const since = health.healthyAt ?? v.syncedAt;
      v.verdicts = await Promise.all(
        (target.verification?.checks ?? []).map((check) => checkActs(check).runCheck({ target, check, since })),
      );
    }
    const failed = v.verdicts.filter((x) => !x.passed);
    if (!failed.length) {
      v.state = 'verified';
      v.message = v.verdicts.map((x) => x.message).join('; ');
      v.endedAt = new Date().toISOString();
      return;
    }
    v.state = 'failed';
    v.detectedAt = failed.map((x) => x.at).sort()[0];
    v.message = failed.map((x) => x.message).join('; ');
    if (await this.superseded(v, change.commit.sha)) return;
    // Once rewind acts, a newer sync must not cut it short: a rollback started but not recorded
    // would escape the cooldown.
    const commit = change.commit;
    await CancellationScope.nonCancellable(() => this.act(v, failed, commit));
  }

  /** Not when a newer promotion exists: the engine moved on, or a newer commit touched the environment. */
  private async superseded(v: PromotionVerification, sha: string): Promise<boolean> {
    const target = this.target();
    const [engine, newer] = await Promise.all([reads.engineState(target), reads.newerChanges({ target, sha })]);
    const why = newer.length
      ? `a newer change ${short(newer[0]!.sha)} "${newer[0]!.subject}" touched ${target.app}/${target.env} since`
      : shaOfRevision(engine.syncedRevision) !== v.revision
        ? `the engine is at ${short(shaOfRevision(engine.syncedRevision) ?? engine.syncedRevision)} now`
        : undefined;
    if (!why) return false;
    v.state = 'superseded';
    v.message = `${v.message}; verdict dropped: ${why}`;
    v.endedAt = new Date().toISOString();
    return true;
  }

  private async act(
    v: PromotionVerification,
    failed: CheckVerdict[],
    commit: { sha: string; subject: string },
  ): Promise<void> {
    const target = this.target();
    const policy = target.verification?.autoRollback;
    const fired = failed.filter((f) => policy?.when.includes(f.name)).map((f) => f.name);
    const trigger: PromotionTrigger = {
      promotion: commit.sha,
      subject: commit.subject,
      syncedAt: v.syncedAt,
      detectedAt: v.detectedAt!,
      failed: failed.map((f) => ({ name: f.name, message: f.message, at: f.at })),
      ...(policy && fired.length ? { policy: { when: [...policy.when], fired } } : {}),
    };
    v.action = { kind: 'offered' };
    if (policy && fired.length) {
      const last = this.state.lastAutoRollback;
      const until = last ? Date.parse(last.at) + policy.cooldownMs : 0;
      if (last && Date.now() < until) {
        v.action = { kind: 'cooldown', until: new Date(until).toISOString(), last: last.at };
      } else {
        const res = await acts.startAutoRollback({ target, trigger });
        if (res.started) {
          const at = new Date().toISOString();
          this.state.lastAutoRollback = { at, promotion: commit.sha, workflowId: res.workflowId };
          v.action = { kind: 'auto-rollback', workflowId: res.workflowId, at };
        } else {
          v.action = { kind: 'held', why: res.why };
        }
      }
    }
    v.endedAt = new Date().toISOString();
    // Slack is a report, not a step: a failure to post leaves the verdict (and the run) standing.
    const posted = await acts.postPromotionVerdict({ target, verification: v }).catch(() => null);
    if (posted) v.slackMessage = posted;
  }
}
