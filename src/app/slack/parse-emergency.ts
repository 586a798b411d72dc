/**
 * The text of `/emergency`, parsed without side effects. Grammar:
 *
 *   /emergency <app> [env] --change "<change>" [--change "…"] [--git-base] [--incident <id>] [reason…]
 *   /emergency status [app]
 *   /emergency pauses
 *   /emergency resolve <app> [env] [--comment "<text>"]
 *   /emergency abandon <app> [env] --confirm [--comment "<text>"]
 *   /emergency help
 *
 * `--git-base` lets the Git edit change a base other environments share (LiveChange.gitScope).
 * The changes stay text here: reading one needs the target's namespace, which the listener
 * knows once the target is resolved (src/lib/emergency/parse-change.ts). Resolve and abandon take no
 * free words, so a mistyped environment is refused instead of acting on the default one.
 */
import { shown } from '../../lib/input-limits.js';
import {
  APP_NAME,
  commandTokens,
  flagValues,
  incidentError,
  isHelp,
  readWords,
  targetWords,
  textError,
  type EnvNames,
  type Parsed,
} from './command-text.js';

export type EmergencyCommand =
  | { kind: 'start'; app: string; env?: string; changes: string[]; incidentId?: string; reason: string; gitBase?: true }
  | { kind: 'status'; app?: string }
  | { kind: 'pauses' }
  | { kind: 'resolve'; app: string; env?: string; comment?: string }
  | { kind: 'abandon'; app: string; env?: string; comment?: string }
  | { kind: 'help' };

export const EMERGENCY_USAGE = [
  'Usage:',
  '• `/emergency <app> [env] --change "<change>" [--change "…"] [--git-base] ' +
    '[--incident <id>] <reason…>`: pause auto-sync, change live, then commit the ' +
    'same change to Git and resume; name the environment unless the app has only one',
  '   changes: `configmap/NAME KEY=VALUE…`, `deployment/NAME image=REF`, ' +
    '`deployment/NAME[:CONTAINER] env KEY=VALUE`, `KIND/NAME {json merge patch}`',
  "   Git: the change goes into this environment's own overlay; `--git-base` " +
    'edits the shared base instead, changing the other environments too',
  '• `/emergency status [app]`: runs in progress, held pauses first',
  '• `/emergency pauses`: every app whose auto-sync is off, with who paused it and until when',
  '• `/emergency resolve <app> [env]`: a held run: check that Git holds the live change, then resume auto-sync',
  '• `/emergency abandon <app> [env] --confirm`: a held run: resume auto-sync and let Git undo the live change',
  '• `/emergency help`: this text',
  'Example: `/emergency users-api prod --change "configmap/users-api-env ' +
    'DB_HOST=db-prod-2.internal" --incident INC-42 primary failover`',
].join('\n');

const START_FLAGS = {
  '--change': { value: 'a change in quotes, e.g. "configmap/NAME KEY=VALUE"' },
  '--incident': { value: 'an incident id such as INC-42' },
  '--git-base': { switch: true },
} as const;
const HOLD_FLAGS = { '--comment': { value: 'a comment in quotes' }, '--confirm': { switch: true } } as const;

const fail = (message: string): { ok: false; error: string } => ({
  ok: false,
  error: `${message}\n${EMERGENCY_USAGE}`,
});

/** Every form of a change has a space after KIND/NAME, so a change without one was not quoted. */
const unquoted = (change: string) => !/\s/.test(change.trim());

export function parseEmergency(rawText: string, names: EnvNames): Parsed<EmergencyCommand> {
  const tokens = commandTokens(rawText);
  const first = tokens[0];
  if (isHelp(first)) return { ok: true, value: { kind: 'help' } };
  const sub = first!.quoted ? undefined : first!.text;

  if (sub === 'status') {
    const rest = tokens.slice(1);
    if (rest.length > 1) return fail('`/emergency status` takes at most one app name');
    const app = rest[0]?.text;
    if (app !== undefined && !APP_NAME.test(app)) return fail(`${shown(app, 40)} is not an app name`);
    return { ok: true, value: { kind: 'status', ...(app ? { app } : {}) } };
  }
  if (sub === 'pauses') {
    if (tokens.length > 1) return fail('`/emergency pauses` takes no arguments');
    return { ok: true, value: { kind: 'pauses' } };
  }
  if (sub === 'resolve' || sub === 'abandon') return parseHold(sub, tokens.slice(1), names);

  const words = readWords(tokens, START_FLAGS);
  if (!words.ok) return fail(words.error);
  const incidentId = flagValues(words.value, '--incident').at(-1);
  const incidentBad = incidentId === undefined ? undefined : incidentError(incidentId);
  if (incidentBad) return fail(incidentBad);
  const target = targetWords(words.value.positional, names, 'to change');
  if (!target.ok) return fail(target.error);
  const { app, env, rest } = target.value;
  const changes = flagValues(words.value, '--change');
  if (changes.length === 0)
    return fail(
      `say what to change live with --change, in quotes, e.g. \`/emergency ${app}` +
        `${env ? ` ${env}` : ''} --change "configmap/${app}-env LOG_LEVEL=debug" need debug logs\``,
    );
  for (const change of changes) {
    const bad = textError('change', change, `--change ${shown(change, 40)}`);
    if (bad) return fail(bad);
  }
  const bare = changes.find(unquoted);
  if (bare !== undefined)
    return fail(
      `put the whole change in quotes: --change "${bare} KEY=VALUE" (without ` +
        `quotes only "${bare}" is the change and the rest becomes the reason)`,
    );
  const reason = rest.join(' ').trim();
  if (!reason) return fail('say why (it goes into the Git commit and the timeline), after the changes');
  const reasonBad = textError('reason', reason);
  if (reasonBad) return fail(reasonBad);
  const gitBase = words.value.flags.some((f) => f.name === '--git-base');
  return {
    ok: true,
    value: {
      kind: 'start',
      app,
      changes,
      reason,
      ...(env ? { env } : {}),
      ...(incidentId ? { incidentId } : {}),
      ...(gitBase ? { gitBase: true as const } : {}),
    },
  };
}

function parseHold(
  kind: 'resolve' | 'abandon',
  tokens: ReturnType<typeof commandTokens>,
  names: EnvNames,
): Parsed<EmergencyCommand> {
  const words = readWords(tokens, HOLD_FLAGS);
  if (!words.ok) return fail(words.error);
  const target = targetWords(words.value.positional, names, `to ${kind}`, true);
  if (!target.ok) return fail(target.error);
  const { app, env, rest } = target.value;
  if (rest.length > 0)
    return fail(`\`/emergency ${kind}\` takes an app and an environment; put a comment in --comment "…"`);
  const comment = flagValues(words.value, '--comment').join(' ').trim();
  const commentBad = textError('comment', comment);
  if (commentBad) return fail(commentBad);
  const confirmed = words.value.flags.some((f) => f.name === '--confirm');
  const where = `${app}${env ? ` ${env}` : ''}`;
  if (kind === 'abandon' && !confirmed) {
    return fail(
      `abandon resumes auto-sync of ${app}${env ? `/${env}` : ''} and lets Git win: the ` +
        `engine undoes the live change. If that is what you want, say so: \`/emergency ` +
        `abandon ${where} --confirm\`. If the fix is in Git, use \`/emergency resolve ${where}\` instead`,
    );
  }
  if (kind === 'resolve' && confirmed) return fail('--confirm is for abandon; resolve checks Git itself');
  return { ok: true, value: { kind, app, ...(env ? { env } : {}), ...(comment ? { comment } : {}) } };
}
