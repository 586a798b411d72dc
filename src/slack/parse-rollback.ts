/**
 * The text of `/rollback`, parsed without side effects so every mistake is answered with a
 * precise message before anything starts. Grammar:
 *
 *   /rollback <app> [env] [--to <sha> | --commit <sha>] [--incident <id>] [reason…]
 *   /rollback status [app]
 *   /rollback help
 *
 * Flags may appear anywhere after the app; every other word is the reason. A quoted word is
 * never a flag, and `--` ends the flags, so a reason may say anything.
 */
import { INCIDENT_ID_PATTERN } from '../runs.js';

export type RollbackCommand =
  | { kind: 'start'; app: string; env?: string; commit?: string; incidentId?: string; reason: string }
  | { kind: 'status'; app?: string }
  | { kind: 'help' };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const ROLLBACK_USAGE = [
  'Usage:',
  '• `/rollback <app> [env] [--to <sha>] [--incident <id>] <reason…>`: revert the last promotion (or the commit `--to`) of an app',
  '• `/rollback status [app]`: runs in progress',
  '• `/rollback help`: this text',
  'Example: `/rollback users-api prod --incident INC-42 5xx after 1.42`',
].join('\n');

export const SHA = /^[0-9a-f]{7,40}$/;
const APP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_REASON = 500;

interface Token { text: string; quoted: boolean }

/** Slack escapes &, < and > in command text; undo that so the reason reads as typed. */
export function slackUnescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Splits on whitespace, keeping quoted runs together. A quote opens only at the start of a word
 * (so "Bob's deploy" stays two plain words) and closes at a matching quote followed by a space
 * or the end; Slack clients send curly quotes, so “ ” and ‘ ’ count too. A quote that never
 * closes is kept as a literal character rather than refusing the whole command.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isSpace = (n: number) => n >= text.length || /\s/.test(text[n]!);
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const open = text[i]!;
    const closers = open === '"' || open === '\u201c' || open === '\u201d' ? ['"', '\u201d', '\u201c']
      : open === "'" || open === '\u2018' ? ["'", '\u2019'] : undefined;
    if (closers) {
      let end = -1;
      for (let j = i + 1; j < text.length; j++) {
        if (closers.includes(text[j]!) && isSpace(j + 1)) { end = j; break; }
      }
      if (end >= 0) {
        tokens.push({ text: text.slice(i + 1, end), quoted: true });
        i = end + 1;
        continue;
      }
    }
    const start = i;
    while (i < text.length && !/\s/.test(text[i]!)) i++;
    tokens.push({ text: text.slice(start, i), quoted: false });
  }
  return tokens;
}

const fail = (message: string): { ok: false; error: string } => ({ ok: false, error: `${message}\n${ROLLBACK_USAGE}` });

/**
 * @param envsOf the environments of an app, or undefined when the app is unknown. The second
 * word is taken as the environment when it names one, so `/rollback users-api 5xx again` keeps
 * its whole reason and uses the app's default environment.
 * @param anyEnv every environment name in use (all apps, plus the prod names). A second word
 * that is one of these but not the app's is refused: `/rollback billing-worker staging …` must
 * not quietly become a rollback of billing-worker's default (prod) environment.
 */
export function parseRollback(rawText: string, envsOf: (app: string) => readonly string[] | undefined = () => undefined, anyEnv: readonly string[] = []): Parsed<RollbackCommand> {
  const tokens = tokenize(slackUnescape(rawText));
  const first = tokens[0];
  if (!first || (!first.quoted && ['help', '-h', '--help'].includes(first.text))) return { ok: true, value: { kind: 'help' } };

  if (!first.quoted && first.text === 'status') {
    const rest = tokens.slice(1);
    if (rest.length > 1) return fail('`/rollback status` takes at most one app name');
    const app = rest[0]?.text;
    if (app !== undefined && !APP.test(app)) return fail(`"${app}" is not an app name`);
    return { ok: true, value: { kind: 'status', ...(app ? { app } : {}) } };
  }

  const positional: string[] = [];
  let commit: string | undefined;
  let incidentId: string | undefined;
  let flagsDone = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (flagsDone || t.quoted || !/^--?[A-Za-z]/.test(t.text)) {
      if (!flagsDone && !t.quoted && t.text === '--') { flagsDone = true; continue; }
      positional.push(t.text);
      continue;
    }
    const eq = t.text.indexOf('=');
    const name = eq >= 0 ? t.text.slice(0, eq) : t.text;
    const takeValue = (): string | undefined => {
      if (eq >= 0) return t.text.slice(eq + 1);
      const next = tokens[i + 1];
      if (!next) return undefined;
      i++;
      return next.text;
    };
    switch (name) {
      case '--to':
      case '--commit': {
        const v = takeValue();
        if (v === undefined || v === '') return fail(`${name} needs a commit sha`);
        if (!SHA.test(v)) return fail(`${name} "${v}" is not a commit sha (7 to 40 lowercase hex digits)`);
        if (commit !== undefined && commit !== v) return fail('give the commit only once (--to and --commit are the same flag)');
        commit = v;
        break;
      }
      case '--incident': {
        const v = takeValue();
        if (v === undefined || v === '') return fail('--incident needs an incident id such as INC-42');
        if (!INCIDENT_ID_PATTERN.test(v)) return fail(`--incident "${v}" is not an incident id (letters, digits and . _ : # / -, up to 64)`);
        incidentId = v;
        break;
      }
      default:
        return fail(`unknown flag ${name}`);
    }
  }

  const app = positional.shift();
  if (app === undefined) return fail('say which app to roll back');
  if (!APP.test(app)) return fail(`"${app}" is not an app name`);
  const envs = envsOf(app);
  const second = positional[0];
  if (envs && second !== undefined && !envs.includes(second) && anyEnv.includes(second)) {
    return fail(`app "${app}" has no environment "${second}". Its environments: ${envs.join(', ')}`);
  }
  const env = second !== undefined && envs?.includes(second) ? positional.shift() : undefined;
  const reason = positional.join(' ').trim();
  if (!reason) return fail(`say why (it goes into the revert commit and the timeline), e.g. \`/rollback ${app}${env ? ` ${env}` : ''} 5xx after the last deploy\``);
  if (reason.length > MAX_REASON) return fail(`the reason is ${reason.length} characters; keep it under ${MAX_REASON}`);
  return { ok: true, value: { kind: 'start', app, reason, ...(env ? { env } : {}), ...(commit ? { commit } : {}), ...(incidentId ? { incidentId } : {}) } };
}
