/**
 * `rewind drills report`: scorecards read back from Temporal. Every drill run, scheduled or by
 * hand, is a `drillLauncherWorkflow` whose result is its scorecard, so visibility plus the
 * results are the store: no database to run, retention is the namespace's, and the scorecard
 * is the same object the drill posted to Slack. Each run is compared with the previous run of
 * the same drill (trend).
 */
import type { Rewind } from '../runs.js';
import type { Scorecard } from '../../../workflows/drills/types.js';

export interface ReportRow extends Scorecard {
  trend?: { detect?: number; restore?: number };
}

export async function drillScorecards(rw: Rewind, since?: Date): Promise<ReportRow[]> {
  const query =
    `WorkflowType = 'drillLauncherWorkflow' AND ExecutionStatus != ` +
    `'Running'${since ? ` AND StartTime >= '${since.toISOString()}'` : ''}`;
  const cards: Scorecard[] = [];
  for await (const wf of rw.client.workflow.list({ query })) {
    if (wf.status.name === 'COMPLETED') {
      const card = (await rw.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .result()
        .catch(() => undefined)) as Scorecard | undefined;
      if (card?.schema === 'rewind.scorecard/v1') {
        cards.push(card);
        continue;
      }
    }
    // A launcher that failed, timed out or was terminated has no scorecard: it still counts as a failed drill.
    const name = String((await wf.memo)?.drill ?? wf.workflowId);
    const drill = rw.cfg.drills.find((d) => d.name === name);
    cards.push({
      schema: 'rewind.scorecard/v1',
      drill: name,
      kind: drill?.kind ?? 'rollback',
      ...(drill?.app ? { app: drill.app, env: drill.env } : {}),
      workflowId: wf.workflowId,
      trigger: wf.workflowId.includes('-manual-') ? 'manual' : 'schedule',
      startedAt: wf.startTime.toISOString(),
      ...(wf.closeTime ? { endedAt: wf.closeTime.toISOString() } : {}),
      outcome: 'failed',
      reason: `the drill launcher ${wf.status.name.toLowerCase()} without a scorecard`,
      checks: [],
      targets: { timeToDetectMs: 0, timeToRestoreMs: 0 },
      cleanup: { done: false, verified: false, detail: 'unknown: check the target by hand' },
      runs: [],
    });
  }
  cards.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const previous = new Map<string, Scorecard>();
  return cards.map((card) => {
    const prev = previous.get(card.drill);
    if (card.outcome !== 'skipped') previous.set(card.drill, card);
    const delta = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a - b : undefined);
    const detect = delta(card.timeToDetectMs, prev?.timeToDetectMs),
      restore = delta(card.timeToRestoreMs, prev?.timeToRestoreMs);
    return {
      ...card,
      ...(detect !== undefined || restore !== undefined
        ? { trend: { ...(detect !== undefined ? { detect } : {}), ...(restore !== undefined ? { restore } : {}) } }
        : {}),
    };
  });
}

const secs = (ms?: number) => (ms === undefined ? '–' : `${Math.round(ms / 1000)}s`);
const signed = (ms?: number) => (ms === undefined ? '' : ` (${ms <= 0 ? '' : '+'}${Math.round(ms / 1000)}s)`);

export function reportMarkdown(rows: ReportRow[]): string {
  const lines = [
    '# Game-day drills',
    '',
    '| started (UTC) | drill | kind | target | outcome | time to detect | time to restore | failed checks | cleanup |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const failed =
      r.checks
        .filter((c) => !c.passed)
        .map((c) => c.name)
        .join('; ') ||
      (r.reason ?? '');
    lines.push(
      `| ${r.startedAt.replace('T', ' ').slice(0, 19)} | ${r.drill} | ${r.kind} | ` +
        `${r.app ? `${r.app}/${r.env}` : 'cluster'} | ${r.outcome ?? 'running'} | ` +
        `${secs(r.timeToDetectMs)}${signed(r.trend?.detect)} / ${secs(r.targets.timeToDetectMs)} | ` +
        `${secs(r.timeToRestoreMs)}${signed(r.trend?.restore)} / ${secs(r.targets.timeToRestoreMs)}` +
        ` | ${failed.replace(/\|/g, '\\|')} | ${r.cleanup.verified ? 'verified' : 'NOT verified'} |`,
    );
  }
  lines.push('', 'Times are "measured (change since the previous run) / target".');
  return `${lines.join('\n')}\n`;
}
