/** The answer to `/emergency pauses`: one line per app environment whose auto-sync is off. */
import type { PauseRow } from '../../../../lib/pauses.js';

const FLAG: Record<NonNullable<PauseRow['flag']>, string> = {
  'no-lease': ':rotating_light: *NO LEASE*: paused by hand or a run was terminated; Git may not hold what runs live',
  'lease-expired': ':rotating_light: *LEASE EXPIRED*',
};

export function formatPauseList(rows: PauseRow[]): string {
  if (rows.length === 0) return 'No app has auto-sync paused.';
  return rows
    .map((r) => {
      const head = `• *${r.app}/${r.env}* (${r.engine})`;
      if (r.error) return `${head}: :warning: could not read it: ${r.error}`;
      const l = r.lease;
      const lease = l
        ? `: paused by ${l.by} since ${l.pausedAt}${l.incidentId ? ` for ${l.incidentId}` : ''}` +
          ` (${l.reason}), lease until ${l.expiresAt}`
        : '';
      return `${head}${lease}${r.flag ? ` ${FLAG[r.flag]}` : ''}`;
    })
    .join('\n');
}
