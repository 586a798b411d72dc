/**
 * The revert commit's message, and finding a run's revert again by its trailer. The `Rewind-Run`
 * trailer is what makes a revert idempotent across worker crashes: a retried activity looks for
 * its own run id on the branch before reverting a second time.
 */
import type { Git } from './run-git.js';

export const TRAILER = {
  run: 'Rewind-Run',
  requestedBy: 'Rewind-Requested-By',
  incident: 'Rewind-Incident',
  /** `live-first`: the commit carries a change already made live (the emergency path). */
  change: 'Rewind-Change',
} as const;

export interface RevertMessageInput {
  sha: string;
  subject: string;
  reason: string;
  runId: string;
  requestedBy: string;
  incidentId?: string;
}

/**
 * git's own revert wording, then the reason, then the trailer block. The trailers are always the
 * last paragraph, so whatever the reason says (even `Rewind-Run: x` lines) is never parsed as one.
 */
export function revertMessage(m: RevertMessageInput): string {
  const reason = normalizeReason(m.reason);
  return `${[
    `Revert "${m.subject}"`,
    `This reverts commit ${m.sha}.`,
    ...(reason ? [reason] : []),
    trailerBlock(m),
  ].join('\n\n')}\n`;
}

export const normalizeReason = (reason: string): string => reason.replace(/\r\n?/g, '\n').trim();

/** The run's trailer paragraph; callers put it last, so nothing in a free-text reason is read as a trailer. */
export function trailerBlock(m: { runId: string; requestedBy: string; incidentId?: string; change?: string }): string {
  return [
    `${TRAILER.run}: ${m.runId}`,
    `${TRAILER.requestedBy}: ${m.requestedBy}`,
    ...(m.incidentId ? [`${TRAILER.incident}: ${m.incidentId}`] : []),
    ...(m.change ? [`${TRAILER.change}: ${m.change}`] : []),
  ].join('\n');
}

const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * Commits in `range` (e.g. `<sha>..origin/main`) whose `Rewind-Run` trailer equals `runId`,
 * newest first. `range` must be built from validated shas and ref names only.
 */
export async function commitsForRun(git: Git, range: string, runId: string, maxCount?: number): Promise<string[]> {
  return (await runTrailerLog(git, range, runId, maxCount)).mine;
}

/**
 * One `git log` of `range` (at most `maxCount` commits): the shas it read, newest first, and those
 * whose `Rewind-Run` trailer equals `runId`. A sha it read is reachable from the range's tip.
 */
export async function runTrailerLog(
  git: Git,
  range: string,
  runId: string,
  maxCount?: number,
): Promise<{ mine: string[]; read: string[] }> {
  const limit = maxCount !== undefined ? [`--max-count=${Math.max(1, Math.floor(maxCount))}`] : [];
  const out = await git.raw([
    'log',
    ...limit,
    `--format=%H${FIELD}%(trailers:key=${TRAILER.run},valueonly,separator=%x1d)${RECORD}`,
    range,
  ]);
  const mine: string[] = [];
  const read: string[] = [];
  for (const record of out.split(RECORD)) {
    const [sha, values] = record.trim().split(FIELD);
    if (!sha) continue;
    read.push(sha);
    if (values?.split('\x1d').some((v) => v.trim() === runId)) mine.push(sha);
  }
  return { mine, read };
}
