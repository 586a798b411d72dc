/**
 * What is still open after the incident, from the runs' outcomes: a pause rewind still holds
 * (and whether its lease ran out), an environment not restored and the drift behind it, a failed
 * or still running run, a change abandoned to Git, a cancel after Git already changed.
 */
import { duration, short, utc } from './format.js';
import type { FollowUp, StepSpan, TimelineRun } from './model.js';

export function deriveFollowUps(runs: TimelineRun[], spans: StepSpan[], now: Date): FollowUp[] {
  const out: FollowUp[] = [];
  for (const r of runs) {
    const where = `${r.app}/${r.env}`;
    const base = { runId: r.runId };
    if (r.pause && (r.execution === 'running' || r.outcome === 'held-paused')) {
      out.push({
        ...base,
        kind: 'auto-sync-paused',
        since: r.pause.since,
        text:
          `Auto-sync still paused on ${where} since ${utc(r.pause.since)} (${r.pause.engine}` +
          `, ${duration(now.getTime() - Date.parse(r.pause.since))} ago): resolve once Git ` +
          `holds the live change (\`rewind resolve ${r.app} --env ${r.env}\`), or abandon.`,
      });
      if (r.pause.leaseExpiresAt && Date.parse(r.pause.leaseExpiresAt) < now.getTime()) {
        out.push({
          ...base,
          kind: 'lease-expired',
          since: r.pause.leaseExpiresAt,
          text:
            `Pause lease on ${where} expired at ${utc(r.pause.leaseExpiresAt)}: ` +
            `the pause is now unowned; decide whether to resume or renew it.`,
        });
      }
    }
    switch (r.outcome) {
      case 'not-restored': {
        const drift = /Live differs from Git: (.*?)\.?$/.exec(r.result ?? '')?.[1];
        out.push({
          ...base,
          kind: 'not-restored',
          text: `Not restored: ${where}${drift ? `: drift in ${drift}` : r.result ? `: ${r.result}` : ''}`,
        });
        break;
      }
      case 'failed': {
        const step = spans.find((s) => s.runId === r.runId && s.state === 'failed');
        const changed = r.revertSha
          ? ` The revert ${short(r.revertSha)} is in Git.`
          : r.commitSha
            ? ` The commit ${short(r.commitSha)} is in Git.`
            : '';
        out.push({
          ...base,
          kind: 'run-failed',
          text:
            `${r.runbook} of ${where} failed${step ? ` at ${step.step}` : ''}: ` +
            `${r.result ?? 'no result'}.${changed} Check the environment by hand.`,
        });
        break;
      }
      case 'planning':
      case 'awaiting-approval':
      case 'running':
        out.push({
          ...base,
          kind: 'run-open',
          since: r.startedAt,
          text: `${r.workflowId} is still ${r.outcome} (requested by ${r.requester} at ${utc(r.startedAt)}).`,
        });
        break;
      case 'abandoned':
        out.push({
          ...base,
          kind: 'abandoned',
          text: `${where}: the live change was abandoned and Git won; if the fix is still needed, make it in Git.`,
        });
        break;
      case 'cancelled':
        if (r.revertSha || r.commitSha)
          out.push({
            ...base,
            kind: 'cancelled-after-change',
            text:
              `${where}: cancelled after ${short(r.revertSha ?? r.commitSha)} reached ` +
              `Git; check that the environment is synced and healthy.`,
          });
        break;
      default:
        break;
    }
  }
  return out;
}
