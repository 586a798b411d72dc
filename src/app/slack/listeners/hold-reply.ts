/** What the person who resolved or abandoned a held run is told, from src/lib/runs.ts's settleHold. */
import type { HoldOutcome } from '../../../lib/runs.js';

export function holdReplyText(o: HoldOutcome, workflowId: string): string {
  switch (o.outcome) {
    case 'resolved':
      return `:white_check_mark: ${o.status.result ?? `Resolved \`${workflowId}\`.`}`;
    case 'abandoned':
      return `:leftwards_arrow_with_hook: ${o.status.result ?? `Abandoned \`${workflowId}\`.`}`;
    case 'still-held':
      return (
        `:no_entry: Not resolved: Git does not hold the live change yet (${o.why}). Auto-sync ` +
        `stays paused. Commit the change to Git, then resolve again; or abandon to let Git win.`
      );
    case 'pending':
      return (
        `:hourglass_flowing_sand: \`${workflowId}\` took the request but has not ` +
        `finished it yet (${o.status.phase}); the run message shows the outcome.`
      );
  }
}
