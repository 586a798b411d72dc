/**
 * The text of `/rollback`, parsed without side effects so every mistake is answered with a
 * precise message before anything starts. Grammar:
 *
 *   /rollback <app> [env] [--to <sha> | --commit <sha>] [--incident <id>] [reason…]
 *   /rollback status [app]
 *   /rollback help
 *
 * Tokens, flags and the app/environment words are read as in every command (./command-text.ts).
 */
import { isShaPrefix } from '../../lib/git/sha.js';
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

export type RollbackCommand =
  | { kind: 'start'; app: string; env?: string; commit?: string; incidentId?: string; reason: string }
  | { kind: 'status'; app?: string }
  | { kind: 'help' };

export const ROLLBACK_USAGE = [
  'Usage:',
  '• `/rollback <app> [env] [--to <sha>] [--incident <id>] <reason…>`: revert the last ' +
    'promotion (or the commit `--to`) of an app; name the environment unless the app has only one',
  '• `/rollback status [app]`: runs in progress',
  '• `/rollback help`: this text',
  'Example: `/rollback users-api prod --incident INC-42 5xx after 1.42`',
].join('\n');

const FLAGS = {
  '--to': { value: 'a commit sha' },
  '--commit': { value: 'a commit sha' },
  '--incident': { value: 'an incident id such as INC-42' },
} as const;

const fail = (message: string): { ok: false; error: string } => ({ ok: false, error: `${message}\n${ROLLBACK_USAGE}` });

/**
 * @param envsOf the environments of an app, or undefined when the app is unknown. An app with
 * several environments needs one named right after it; an app with one may leave it out
 * (`/rollback billing-worker queue stuck`), see targetWords.
 * @param anyEnv every environment name in use (all apps, plus the prod names). A second word
 * that is, or looks like, one of these but is not the app's is refused: `/rollback
 * billing-worker staging …` must not quietly become a rollback of its only (prod) environment.
 */
export function parseRollback(
  rawText: string,
  envsOf: EnvNames['envsOf'] = () => undefined,
  anyEnv: EnvNames['anyEnv'] = [],
): Parsed<RollbackCommand> {
  const tokens = commandTokens(rawText);
  const first = tokens[0];
  if (isHelp(first)) return { ok: true, value: { kind: 'help' } };

  if (!first!.quoted && first!.text === 'status') {
    const rest = tokens.slice(1);
    if (rest.length > 1) return fail('`/rollback status` takes at most one app name');
    const app = rest[0]?.text;
    if (app !== undefined && !APP_NAME.test(app)) return fail(`${shown(app, 40)} is not an app name`);
    return { ok: true, value: { kind: 'status', ...(app ? { app } : {}) } };
  }

  const words = readWords(tokens, FLAGS);
  if (!words.ok) return fail(words.error);
  const commits = flagValues(words.value, '--to', '--commit');
  const bad = commits.find((c) => !isShaPrefix(c));
  if (bad !== undefined)
    return fail(
      `${words.value.flags.find((f) => f.value === bad)!.name} ${shown(bad, 50)} is ` +
        `not a commit sha (7 to 40 lowercase hex digits)`,
    );
  if (new Set(commits).size > 1) return fail('give the commit only once (--to and --commit are the same flag)');
  const commit = commits[0];
  const incidentId = flagValues(words.value, '--incident').at(-1);
  const incidentBad = incidentId === undefined ? undefined : incidentError(incidentId);
  if (incidentBad) return fail(incidentBad);

  const target = targetWords(words.value.positional, { envsOf, anyEnv }, 'to roll back');
  if (!target.ok) return fail(target.error);
  const { app, env, rest } = target.value;
  const reason = rest.join(' ').trim();
  if (!reason)
    return fail(
      `say why (it goes into the revert commit and the timeline), e.g. ` +
        `\`/rollback ${app}${env ? ` ${env}` : ''} 5xx after the last deploy\``,
    );
  const reasonBad = textError('reason', reason);
  if (reasonBad) return fail(reasonBad);
  return {
    ok: true,
    value: {
      kind: 'start',
      app,
      reason,
      ...(env ? { env } : {}),
      ...(commit ? { commit } : {}),
      ...(incidentId ? { incidentId } : {}),
    },
  };
}
