/**
 * `--since` of the commands that look back (drills report, /gameday report, rewind dora): an
 * ISO 8601 date or time, or a duration back from now such as 7d or 12h.
 */
import { shown } from '../input-limits.js';
import { RefusedError } from '../refused.js';
import { parseDuration } from './duration.js';

/** How far back `--since` may reach: about ten years, past which dates stop being useful (and used to fail). */
export const MAX_SINCE_DAYS = 3660;

/**
 * The time `text` names. Refused: a date that does not exist (2026-02-30), a time in the future,
 * and anything more than about ten years back (which used to end in "Invalid time value").
 */
export function parseSince(text: string, now: number = Date.now()): Date {
  const t = text.trim();
  const ms = parseDuration(t);
  if (ms !== undefined) {
    if (ms <= 0)
      throw new RefusedError(
        `${shown(t, 40)} is no time back from now; give a positive duration such as 7d or 12h`,
        'bad-input',
      );
    if (ms > MAX_SINCE_DAYS * 86_400_000)
      throw new RefusedError(
        `${shown(t, 40)} reaches back more than ${MAX_SINCE_DAYS} days; give a shorter duration or a date`,
        'bad-input',
      );
    return new Date(now - ms);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (m) {
    const [, y, mo, d] = m.map(Number) as [number, number, number, number];
    const at = Date.parse(t);
    // Date.parse rolls 2026-02-30 over into March: check the calendar date itself.
    const daysInMonth = mo >= 1 && mo <= 12 ? new Date(Date.UTC(y, mo, 0)).getUTCDate() : 0;
    if (Number.isNaN(at) || d < 1 || d > daysInMonth)
      throw new RefusedError(
        `${shown(t, 40)} is not a real date or time; write 2026-03-01 or 2026-03-01T14:00:00Z`,
        'bad-input',
      );
    if (at > now)
      throw new RefusedError(
        `${shown(t, 40)} is in the future; give a date in the past, or a duration back from now such as 7d`,
        'bad-input',
      );
    if (now - at > MAX_SINCE_DAYS * 86_400_000)
      throw new RefusedError(`${shown(t, 40)} is more than ${MAX_SINCE_DAYS} days ago; give a later date`, 'bad-input');
    return new Date(at);
  }
  throw new RefusedError(
    `${shown(t, 40)} is neither a date (2026-03-01 or 2026-03-01T14:00:00Z) nor a duration back from now (7d, 12h)`,
    'bad-input',
  );
}
