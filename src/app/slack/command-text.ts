/**
 * What the slash commands' parsers share: Slack's escaping undone, a tokenizer that keeps
 * quoted runs together, a flag reader, and the app/environment words at the start. Pure: the
 * environments come in as functions, nothing here reads config or talks to anything.
 *
 * Flags may appear anywhere after the subcommand; every other word is positional. A quoted word
 * is never a flag, and `--` ends the flags, so a reason may say anything.
 */
import { looksLike, didYouMean } from '../../lib/did-you-mean.js';
import { own } from '../../lib/config/own-keys.js';
import { escaped, shown, textFieldError, TEXT_LIMITS } from '../../lib/input-limits.js';
import { INCIDENT_ID_PATTERN } from '../../lib/runs.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Token {
  text: string;
  quoted: boolean;
}

export const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The reason's limit, shared with the CLI and src/lib/runs.ts (src/lib/input-limits.ts). */
export const MAX_REASON = TEXT_LIMITS.reason;

/** Slack escapes &, < and > in command text; undo that so the text reads as typed. */
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
    const closers =
      open === '"' || open === '\u201c' || open === '\u201d'
        ? ['"', '\u201d', '\u201c']
        : open === "'" || open === '\u2018'
          ? ["'", '\u2019']
          : undefined;
    if (closers) {
      let end = -1;
      for (let j = i + 1; j < text.length; j++) {
        if (closers.includes(text[j]!) && isSpace(j + 1)) {
          end = j;
          break;
        }
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

/** The command text as tokens, Slack escaping undone. */
export const commandTokens = (rawText: string): Token[] => tokenize(slackUnescape(rawText));

/** True for the words that ask for the usage: nothing, `help`, `-h`, `--help`. */
export const isHelp = (first: Token | undefined): boolean =>
  !first || (!first.quoted && ['help', '-h', '--help'].includes(first.text));

/**
 * The flags one command knows: a value flag names what it needs ("a commit sha": the refusal
 * reads "--to needs a commit sha"); a switch takes no value.
 */
export type FlagSpec = Record<string, { value: string } | { switch: true }>;

export interface Words {
  positional: string[];
  /** In the order given; a value flag given twice appears twice. */
  flags: Array<{ name: string; value: string }>;
}

/** Separates flags from positional words; refuses unknown flags and value flags without a value. */
export function readWords(tokens: readonly Token[], spec: FlagSpec): Parsed<Words> {
  const positional: string[] = [];
  const flags: Words['flags'] = [];
  let flagsDone = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (flagsDone || t.quoted || !/^--?[A-Za-z]/.test(t.text)) {
      if (!flagsDone && !t.quoted && t.text === '--') {
        flagsDone = true;
        continue;
      }
      positional.push(t.text);
      continue;
    }
    const eq = t.text.indexOf('=');
    const name = eq >= 0 ? t.text.slice(0, eq) : t.text;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) return { ok: false, error: `unknown flag ${escaped(name.slice(0, 40))}` };
    if ('switch' in kind) {
      if (eq >= 0) return { ok: false, error: `${name} takes no value` };
      flags.push({ name, value: '' });
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = t.text.slice(eq + 1);
    else if (tokens[i + 1]) value = tokens[++i]!.text;
    if (value === undefined || value === '') return { ok: false, error: `${name} needs ${kind.value}` };
    flags.push({ name, value });
  }
  return { ok: true, value: { positional, flags } };
}

/** The values given for one flag (or its aliases), in order. */
export const flagValues = (words: Words, ...names: string[]): string[] =>
  words.flags.filter((f) => names.includes(f.name)).map((f) => f.value);

/** Validates an `--incident` value; the pattern is src/lib/runs.ts's, so Slack refuses what a run would. */
export function incidentError(value: string): string | undefined {
  return INCIDENT_ID_PATTERN.test(value)
    ? undefined
    : `--incident ${shown(value)} is not an incident id (letters, ` +
        `digits and . _ : # / -, up to ${TEXT_LIMITS.incident})`;
}

/** Why a reason, comment or change cannot be taken (control characters, length), or undefined. */
export const textError = textFieldError;

/** Environments known to the parser: those of one app (undefined when the app is unknown) and every name in use. */
export interface EnvNames {
  envsOf: (app: string) => readonly string[] | undefined;
  anyEnv: readonly string[];
}

export interface TargetWords {
  app: string;
  env?: string;
  rest: string[];
}

/**
 * Reads `<app> [env]` off the front of the positional words. An environment someone wrote is
 * never replaced by the default one:
 *
 * - With `strictEnv` (commands that take no free text after the target), any second word is the
 *   environment, and must be one of the app's.
 * - Otherwise, for an app with several environments the second word is always the environment:
 *   it must be one of the app's (a typo is refused with "did you mean"), so prod is never chosen
 *   because a word was mistyped. For an app with one environment it may be left out: the second
 *   word is that environment when it names it, refused when it is or looks like an environment
 *   name (any app's, a prod name, or a near miss of one), and otherwise begins the free text.
 */
export function targetWords(
  positional: readonly string[],
  names: EnvNames,
  what: string,
  strictEnv = false,
): Parsed<TargetWords> {
  const rest = [...positional];
  const app = rest.shift();
  if (app === undefined) return { ok: false, error: `say which app ${what}` };
  if (!APP_NAME.test(app)) return { ok: false, error: `${shown(app, 40)} is not an app name` };
  const envs = names.envsOf(app);
  const second = rest[0];
  const noSuchEnv = (word: string, list: readonly string[]) =>
    `app "${app}" has no environment ${shown(word, 40)}${didYouMean(word, list)}. Its environments: ${list.join(', ')}`;
  if (!envs) {
    // Unknown app: the lookup refuses it; take the second word as its environment only when it is one somewhere.
    const env = second !== undefined && (strictEnv || names.anyEnv.includes(second)) ? rest.shift() : undefined;
    return { ok: true, value: { app, rest, ...(env !== undefined ? { env } : {}) } };
  }
  if (second === undefined) {
    if (strictEnv || envs.length === 1) return { ok: true, value: { app, rest } };
    return { ok: false, error: `say which environment of ${app}: ${envs.join(', ')} (right after the app)` };
  }
  if (envs.includes(second)) {
    rest.shift();
    return { ok: true, value: { app, rest, env: second } };
  }
  if (strictEnv) return { ok: false, error: noSuchEnv(second, envs) };
  if (envs.length > 1) {
    return {
      ok: false,
      error: `${noSuchEnv(second, envs)}. Name the environment right after the app: ${app} <${envs.join('|')}> …`,
    };
  }
  if (
    names.anyEnv.includes(second) ||
    names.anyEnv.some((e) => looksLike(second, e)) ||
    envs.some((e) => looksLike(second, e))
  ) {
    return { ok: false, error: noSuchEnv(second, envs) };
  }
  return { ok: true, value: { app, rest } };
}

/** The environment names of a config, for EnvNames: every app's, plus the prod names. Own keys only. */
export function envNamesOf(cfg: {
  apps: Record<string, { environments: Record<string, unknown> }>;
  defaults: { prodEnvironments: readonly string[] };
}): EnvNames {
  return {
    envsOf: (app) => {
      const appCfg = own(cfg.apps, app);
      return appCfg ? Object.keys(appCfg.environments) : undefined;
    },
    anyEnv: [
      ...new Set([
        ...cfg.defaults.prodEnvironments,
        ...Object.values(cfg.apps).flatMap((a) => Object.keys(a.environments)),
      ]),
    ],
  };
}
