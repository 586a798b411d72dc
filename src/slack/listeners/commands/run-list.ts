/** The answer to `/rollback status`: one line per open run, with what it waits for. */
import type { RunStatus } from '../../../../workflows/types.js';

export function formatRunList(runs: RunStatus[], app?: string): string {
  if (runs.length === 0) return `No runs in progress${app ? ` for ${app}` : ''}.`;
  return runs.map((r) => {
    const step = r.steps.find((s) => s.state === 'running');
    const waiting = r.phase === 'awaiting-approval' ? ' (waiting for approval)' : step ? ` (${step.name})` : '';
    return `• \`${r.workflowId}\` ${r.runbook} ${r.app}/${r.env}: *${r.phase}*${waiting}, requested by ${r.requester}: ${r.reason}`;
  }).join('\n');
}
