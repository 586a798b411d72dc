/**
 * Seeded, reproducible fuzzing. Each case draws from its own generator, derived from the run's
 * seed and the case number, so a failure names both and replays alone:
 *
 *   REWIND_FUZZ_SEED=<seed> REWIND_FUZZ_CASE=<n> node scripts/run-tests.mjs test/unit/fuzz
 *
 * Without REWIND_FUZZ_SEED each suite uses its own fixed seed, so `npm test` is deterministic.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: tiny, fast, and good enough to pick test inputs. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

export const fuzzSeed = (fallback: number): number =>
  process.env.REWIND_FUZZ_SEED ? Number(process.env.REWIND_FUZZ_SEED) : fallback;

/**
 * Runs `count` cases: case i gets rng(seed, i) and its generated input. A failing check is
 * rethrown with the seed, the case number and the input, so it can be replayed.
 */
export async function fuzz<T>(
  name: string,
  seed: number,
  count: number,
  generate: (r: Rng, i: number) => T,
  check: (input: T, i: number) => Promise<void> | void,
): Promise<number> {
  const only = process.env.REWIND_FUZZ_CASE === undefined ? undefined : Number(process.env.REWIND_FUZZ_CASE);
  let ran = 0;
  for (let i = 0; i < count; i++) {
    if (only !== undefined && i !== only) continue;
    const input = generate(rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), i);
    try {
      await check(input, i);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const shown = JSON.stringify(input);
      e.message =
        `${name}: REWIND_FUZZ_SEED=${seed} REWIND_FUZZ_CASE=${i}\ninput: ` +
        `${shown.length > 800 ? `${shown.slice(0, 800)}… (replay the case for all of it)` : shown}\n${e.message}`;
      throw e;
    }
    ran++;
  }
  return ran;
}

/** Words that make refusals interesting: names rewind knows, near misses, prototype keys, flags, quotes, escapes. */
export const WORDS = {
  apps: [
    'users-api',
    'billing-worker',
    'user-api',
    'orders-api',
    'USERS-API',
    'users_api',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'prototype',
    '-',
    '--',
    'x'.repeat(200),
  ],
  envs: [
    'prod',
    'staging',
    'dev',
    'production',
    'prdo',
    'stagin',
    'stage',
    'qa',
    'PROD',
    'constructor',
    '__proto__',
    'toString',
    'valueOf',
    '',
  ],
  drills: [
    'users-api-staging-rollback',
    'users-api-dev-drift',
    'ci-access-audit',
    'users-api-dev-drfit',
    'constructor',
    '__proto__',
    'toString',
  ],
  people: ['alice', 'bob', 'carol', 'mallory', 'eve', 'constructor', '__proto__', 'toString', 'ALICE', ''],
  free: [
    '5xx',
    'after',
    'deploy',
    'failover',
    'db',
    'p99 > 2s',
    '&lt;',
    '&gt;',
    '&amp;',
    "Bob's",
    '"quoted words"',
    '\u201ccurly\u201d',
    "'single'",
    '"',
    "'",
    '`code`',
    '*bold*',
    '<@U123>',
    '<!channel>',
    '\u00e9\u00e8',
    '\u65e5\u672c',
    '\ud83d\ude91',
    '',
    ' ',
  ],
  controls: [
    '\u0000',
    '\u0001',
    '\u0007',
    '\t',
    '\n',
    '\r',
    '\u001b[2J',
    '\u007f',
    '\u0085',
    '\u2028',
    '\u2029',
    '\u202e',
    '\u2066',
    '\ufeff',
  ],
  dates: [
    '7d',
    '12h',
    '0s',
    '2026-03-01',
    '2026-02-30',
    '9999-12-31',
    '99999999d',
    '1e3d',
    'yesterday',
    '-5m',
    '2026-03-01T25:00:00Z',
    '0000-01-01',
  ],
};

/**
 * A random string over letters, digits, punctuation, whitespace, controls and non-ASCII ("N" left
 * out so "NaN" cannot appear by chance).
 */
export function randomText(r: Rng, max = 24): string {
  const alphabet = 'abcdefghijklmopqrstuvwxyzABCDEFGHIJKLMOPQRSTUVWXYZ0123456789-_./:#@{}[]()<>&;=,*?!~^$%+|\\\'"` ';
  let s = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) {
    const roll = r.next();
    s +=
      roll < 0.85
        ? alphabet[r.int(alphabet.length)]
        : roll < 0.93
          ? r.pick(WORDS.controls)
          : String.fromCodePoint(0xa0 + r.int(0x2fff));
  }
  return s;
}

/** One token: mostly a known word of some kind, sometimes random, sometimes with a control character inside. */
export function token(r: Rng, kinds: Array<keyof typeof WORDS> = ['apps', 'envs', 'free']): string {
  const base = r.chance(0.2) ? randomText(r, 12) : r.pick(WORDS[r.pick(kinds)]);
  if (r.chance(0.1)) {
    const at = r.int(base.length + 1);
    return base.slice(0, at) + r.pick(WORDS.controls) + base.slice(at);
  }
  return base;
}

/** Mutates a list of tokens: replace, insert, delete, duplicate, swap, quote. */
export function mutateTokens(r: Rng, tokens: string[], pool: () => string): string[] {
  const out = [...tokens];
  const times = 1 + r.int(3);
  for (let n = 0; n < times; n++) {
    const i = r.int(out.length + 1);
    switch (r.int(6)) {
      case 0:
        if (out.length) out[Math.min(i, out.length - 1)] = pool();
        break;
      case 1:
        out.splice(i, 0, pool());
        break;
      case 2:
        out.splice(Math.min(i, out.length - 1), 1);
        break;
      case 3:
        if (out.length) out.splice(i, 0, out[Math.min(i, out.length - 1)]!);
        break;
      case 4:
        if (out.length > 1) {
          const j = r.int(out.length);
          const k = r.int(out.length);
          [out[j], out[k]] = [out[k]!, out[j]!];
        }
        break;
      default:
        if (out.length) {
          const j = r.int(out.length);
          out[j] = `"${out[j]}"`;
        }
    }
  }
  return out;
}
