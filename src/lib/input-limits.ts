/**
 * The free-text fields people type (a reason, a comment, a live change, an incident id), with the
 * one length limit per field that Slack, the CLI and src/lib/runs.ts all enforce, and the characters
 * none of them may hold. Pure: both parsers and the shared run functions import this, so a text
 * one entry point accepts is never refused later by another, or by Git after approval.
 *
 * Refused everywhere, tab and newline included:
 * - C0 controls U+0000–U+001F and DEL U+007F: a NUL cannot go into a commit message, a newline in
 *   a reason would let it write its own commit trailers ("Approved-by: …") and Slack lines;
 * - C1 controls U+0080–U+009F, and the line and paragraph separators U+2028/U+2029;
 * - bidirectional overrides and isolates U+202A–U+202E, U+2066–U+2069, the direction marks
 *   U+200E/U+200F, the zero-width space U+200B and U+FEFF, which make a text read differently
 *   from what it says (an approver must see what will be committed). The zero-width joiners
 *   U+200C/U+200D stay allowed: emoji and several scripts need them.
 * In Slack, words typed over several lines arrive as separate words and are joined with spaces, so
 * only a newline inside quotes reaches a field; on the CLI, shell quoting passes it through.
 */

export const TEXT_LIMITS = {
  /** Why the run is started: the commit message, the pause lease and the timeline carry it. */
  reason: 500,
  /** A comment on a decision, a cancel, a resolve or an abandon. */
  comment: 500,
  /** One live change (`--change`): "configmap/NAME KEY=VALUE…" or a JSON merge patch. */
  change: 4000,
  /** An incident id: one word, also a commit trailer and a search attribute (INCIDENT_ID_PATTERN). */
  incident: 64,
} as const;

export type TextField = keyof typeof TEXT_LIMITS;

const FIELD_NAME: Record<TextField, string> = {
  reason: 'the reason',
  comment: 'the comment',
  change: 'the change',
  incident: 'the incident id',
};

export const FORBIDDEN_CHARS =
  /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

const CHAR_NAMES: Record<string, string> = {
  '\t': 'a tab',
  '\n': 'a line break',
  '\r': 'a carriage return',
  '\u0000': 'a NUL byte',
};

/** What is wrong with a character `FORBIDDEN_CHARS` matched, for a person. */
export function describeChar(ch: string): string {
  const named = CHAR_NAMES[ch];
  if (named) return `${named} (${codePoint(ch)})`;
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f)
    return `a text-direction control (${codePoint(ch)})`;
  if (cp === 0x200b || cp === 0xfeff) return `an invisible character (${codePoint(ch)})`;
  if (cp === 0x2028 || cp === 0x2029) return `a line separator (${codePoint(ch)})`;
  return `a control character (${codePoint(ch)})`;
}

/** The first forbidden character in `value` and where it is (1-based), or undefined. */
export function forbiddenChar(value: string): { char: string; position: number } | undefined {
  const m = FORBIDDEN_CHARS.exec(value);
  return m ? { char: m[0], position: m.index + 1 } : undefined;
}

/**
 * Why `value` cannot be the `field`, or undefined when it can. `label` names the field as the
 * person typed it (`--reason`, "the change configmap/x …") where that reads better.
 */
export function textFieldError(field: TextField, value: string, label: string = FIELD_NAME[field]): string | undefined {
  const bad = forbiddenChar(value);
  if (bad)
    return (
      `${label} contains ${describeChar(bad.char)} at character ${bad.position}; ` +
      `write it on one line, without tabs or invisible control characters`
    );
  const limit = TEXT_LIMITS[field];
  if (value.length > limit) return `${label} is ${value.length} characters; keep it to at most ${limit}`;
  return undefined;
}

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_CHARS.source, 'gu');

/** `value` with control and direction characters written as \u escapes, so it can be echoed. */
export const escaped = (value: string): string =>
  value.replace(FORBIDDEN_GLOBAL, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/** A message for a terminal: like `escaped`, but its own line breaks stay line breaks. */
export const printable = (text: string): string => text.split('\n').map(escaped).join('\n');

/**
 * A value someone typed, quoted for a message that echoes it: control and direction characters
 * shown as \u escapes (they must not reach a terminal or a Slack message as themselves), quotes
 * inside escaped, and cut to `max` characters.
 */
export function shown(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return `"${escaped(cut).replace(/"/g, '\\"')}"`;
}
