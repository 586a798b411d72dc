/** The answer to `/rollback status` and `/emergency status`: one line per open run, held pauses first. */
import type { RunStatus } from '../../../../../workflows/types.js';

export function formatRunList(runs: RunStatus[], app?: string): string {
  if (runs.length === 0) return `No runs in progress${app ? ` for ${app}` : ''}.`;
  const held = (r: RunStatus) => (r.phase === 'held-paused' ? 0 : 1);
  return [...runs]
    .sort((a, b) => held(a) - held(b))
    .map((r) => {
      if (r.phase === 'held-paused') {
        const since = r.pause ? ` since ${r.pause.since}, lease until ${r.pause.lease.expiresAt}` : '';
        return (
          `• :rotating_light: \`${r.workflowId}\` ${r.runbook} ${r.app}/${r.env}: ` +
          `*HELD-PAUSED*: auto-sync stays paused${since} and needs a person. ` +
          `\`/emergency resolve ${r.app} ${r.env}\` once Git holds the change, or \`/emergency ` +
          `abandon ${r.app} ${r.env} --confirm\` to let Git win. Requested by ${r.requester}: ${r.reason}`
        );
      }
      const step = r.steps.find((s) => s.state === 'running');
      const waiting = r.phase === 'awaiting-approval' ? ' (waiting for approval)' : step ? ` (${step.name})` : '';
      return (
        `• \`${r.workflowId}\` ${r.runbook} ${r.app}/${r.env}: ` +
        `*${r.phase}*${waiting}, requested by ${r.requester}: ${r.reason}`
      );
    })
    .join('\n');
}
