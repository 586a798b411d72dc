/**
 * The text of `/gameday`, parsed without side effects. Grammar:
 *
 *   /gameday list
 *   /gameday run <drill>
 *   /gameday pause <drill>
 *   /gameday resume <drill>
 *   /gameday abort <drill>
 *   /gameday report [since]      since: a duration back from now (7d, 12h) or a date (2026-03-01)
 *   /gameday help
 *
 * The drill names come in (those of rewind.yaml), so a mistyped one is refused in the ack with
 * the names that exist. Who may act on a drill is decided by the listener, not here.
 */
import { parseSince } from '../../lib/config/since.js';
import { didYouMean } from '../../lib/did-you-mean.js';
import { shown } from '../../lib/input-limits.js';
import { commandTokens, isHelp, type Parsed } from './command-text.js';

export type GamedayCommand =
  | { kind: 'list' }
  | { kind: 'run' | 'pause' | 'resume' | 'abort'; drill: string }
  | { kind: 'report'; since?: string }
  | { kind: 'help' };

export const GAMEDAY_USAGE = [
  'Usage:',
  '• `/gameday list`: the drills in rewind.yaml, their kind, target, schedule, paused or not, next run',
  "• `/gameday run <drill>`: run a drill now (its app's owners and approvers); skipped " +
    "while an incident holds the target; the scorecard is posted to the drill's channel",
  "• `/gameday pause <drill>`, `/gameday resume <drill>`: pause or resume the drill's schedule",
  '• `/gameday abort <drill>`: stop the running drill; its cleanup still runs and the scorecard says aborted',
  '• `/gameday report [since]`: recent scorecards, since a duration back from now (`7d`) or a date (`2026-03-01`)',
  '• `/gameday help`: this text',
].join('\n');

const fail = (message: string): { ok: false; error: string } => ({ ok: false, error: `${message}\n${GAMEDAY_USAGE}` });

const known = (drills: readonly string[]) => drills.join(', ') || '(none: add them under drills: in rewind.yaml)';

export function parseGameday(rawText: string, drills: readonly string[]): Parsed<GamedayCommand> {
  const tokens = commandTokens(rawText);
  const first = tokens[0];
  if (isHelp(first)) return { ok: true, value: { kind: 'help' } };
  const sub = first!.quoted ? undefined : first!.text;
  const rest = tokens.slice(1).map((t) => t.text);

  switch (sub) {
    case 'list':
      if (rest.length) return fail('`/gameday list` takes no arguments');
      return { ok: true, value: { kind: 'list' } };
    case 'run':
    case 'pause':
    case 'resume':
    case 'abort': {
      const drill = rest[0];
      if (drill === undefined) return fail(`say which drill to ${sub}: ${known(drills)}`);
      if (rest.length > 1) return fail(`\`/gameday ${sub}\` takes one drill name`);
      if (!drills.includes(drill))
        return fail(
          `no drill ${shown(drill, 60)} in rewind.yaml${didYouMean(drill, drills)}; drills: ${known(drills)}`,
        );
      return { ok: true, value: { kind: sub, drill } };
    }
    case 'report': {
      if (rest.length > 1)
        return fail('`/gameday report` takes at most one word: a duration such as `7d` or a date such as `2026-03-01`');
      const since = rest[0];
      if (since !== undefined) {
        try {
          parseSince(since);
        } catch (err) {
          return fail((err as Error).message);
        }
      }
      return { ok: true, value: { kind: 'report', ...(since !== undefined ? { since } : {}) } };
    }
    default:
      return fail(`unknown subcommand ${shown(first!.text, 40)}`);
  }
}
