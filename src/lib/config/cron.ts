/**
 * Drill schedules: the five-field cron expressions rewind.yaml takes, checked field by field at
 * load, and their next fire times in a time zone (for `rewind drills list` before a Schedule
 * exists). Read as Temporal reads cron strings (ScheduleSpec.cronExpressions): minute, hour, day
 * of month, month, day of week; names such as MON or JAN; `*`, lists, ranges and `/step`; the
 * shorthands @yearly, @monthly, @weekly, @daily, @hourly. Like Temporal, a time matches only when
 * every field matches (day of month AND day of week, not the "or" of classic cron), and a wall
 * time skipped by a daylight-saving change does not fire.
 *
 * Left out on purpose (refused with a message): the 6- and 7-field forms, @every, CRON_TZ= and
 * comments: the time zone has its own key, and one form keeps schedules readable.
 */

export interface CronSpec {
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  dayOfWeek: number[];
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: Array<{
  key: keyof CronSpec;
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesFrom?: number;
}> = [
  { key: 'minute', name: 'minute', min: 0, max: 59 },
  { key: 'hour', name: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', name: 'day of month', min: 1, max: 31 },
  { key: 'month', name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  // 7 is Sunday too, as in most crons.
  { key: 'dayOfWeek', name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 },
];

export type CronParse = { ok: true; spec: CronSpec } | { ok: false; message: string };

function parseField(text: string, f: (typeof FIELDS)[number]): number[] | string {
  const value = (word: string): number | string => {
    if (/^\d+$/.test(word)) {
      const n = Number(word);
      return n < f.min || n > f.max ? `${f.name} ${n} is out of range ${f.min}-${f.max}` : n;
    }
    const i = f.names?.indexOf(word.toUpperCase()) ?? -1;
    if (i >= 0) return i + f.namesFrom!;
    return (
      `"${word}" is not a ${f.name}` +
      `${f.names ? ` (${f.min}-${f.max} or ${f.names[0]}-${f.names.at(-1)})` : ` (${f.min}-${f.max})`}`
    );
  };
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `"${item}" is not a ${f.name} (write a number, a range such as 1-5, a list such as 1,3 or */15)`;
    const [, range, stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1 || step > f.max) return `step /${stepText} of the ${f.name} must be 1-${f.max}`;
    let lo: number, hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.max;
    } else {
      const [a, b] = range!.split('-');
      const va = value(a!);
      if (typeof va === 'string') return va;
      const vb = b === undefined ? (stepText === undefined ? va : f.max) : value(b);
      if (typeof vb === 'string') return vb;
      if (vb < va) return `the ${f.name} range ${range} runs backwards`;
      lo = va;
      hi = vb;
    }
    for (let n = lo; n <= hi; n += step) out.add(f.key === 'dayOfWeek' && n === 7 ? 0 : n);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseCron(expr: string): CronParse {
  const text = expr.trim();
  if (text.startsWith('@')) {
    const expanded = SHORTHANDS[text.toLowerCase()];
    if (!expanded)
      return {
        ok: false,
        message: `"${text}" is not a shorthand rewind takes (${Object.keys(SHORTHANDS).join(', ')})`,
      };
    return parseCron(expanded);
  }
  if (/^(CRON_)?TZ=/i.test(text))
    return { ok: false, message: 'give the time zone under schedule.timezone, not in the cron expression' };
  const words = text.split(/\s+/);
  if (words.length !== 5)
    return {
      ok: false,
      message:
        `a cron expression has five fields (minute hour day-of-month ` +
        `month day-of-week); "${text}" has ${words.length}`,
    };
  const spec: Partial<CronSpec> = {};
  for (const [i, f] of FIELDS.entries()) {
    const parsed = parseField(words[i]!, f);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    spec[f.key] = parsed;
  }
  return { ok: true, spec: spec as CronSpec };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of `t` in `tz`, as if it were UTC (ms). */
function wallClock(t: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
}

/**
 * The instant at which `tz` shows the wall time `wall` (given as UTC ms), or undefined inside a daylight-saving gap.
 */
function instantOf(wall: number, tz: string): number | undefined {
  let t = wall - (wallClock(wall, tz) - wall);
  const offset = wallClock(t, tz) - t;
  t = wall - offset;
  return wallClock(t, tz) === wall ? t : undefined;
}

/** Searched this far ahead; an expression that fires later than that (or never, "0 0 31 2 *") has no next time. */
const HORIZON_DAYS = 5 * 366;

/** The next `count` times after `from` at which `spec` fires in `tz`. */
export function nextFireTimes(spec: CronSpec, tz: string, from: Date, count = 3): Date[] {
  const out: Date[] = [];
  const start = wallClock(from.getTime(), tz);
  const day0 = Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth(), new Date(start).getUTCDate());
  for (let d = 0; d <= HORIZON_DAYS && out.length < count; d++) {
    const day = new Date(day0 + d * 86_400_000);
    if (
      !spec.month.includes(day.getUTCMonth() + 1) ||
      !spec.dayOfMonth.includes(day.getUTCDate()) ||
      !spec.dayOfWeek.includes(day.getUTCDay())
    )
      continue;
    for (const h of spec.hour) {
      for (const m of spec.minute) {
        const t = instantOf(day.getTime() + h * 3_600_000 + m * 60_000, tz);
        if (t !== undefined && t > from.getTime()) out.push(new Date(t));
        if (out.length >= count) return out;
      }
    }
  }
  return out;
}

/** Why `expr` in `tz` is not a usable drill schedule, or undefined. Assumes `tz` is a valid time zone. */
export function cronFailure(expr: string, tz = 'UTC'): string | undefined {
  const parsed = parseCron(expr);
  if (!parsed.ok) return parsed.message;
  if (nextFireTimes(parsed.spec, tz, new Date(), 1).length === 0)
    return `"${expr}" never fires (no such day within five years)`;
  return undefined;
}
