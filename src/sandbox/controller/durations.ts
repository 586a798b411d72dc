/** Go `time.Duration` strings, as Flux's `spec.interval` / `spec.timeout` use them (`1m`, `30s`, `1m30s`, `1h0m0s`). */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration; undefined when the text is not one. */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0,
    m: RegExpExecArray | null,
    end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : undefined;
}

/** Formats like Go's `Duration.String()` for whole milliseconds: `1m0s`, `1.5s`, `1h0m0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000),
    m = Math.floor((ms % 3_600_000) / 60_000),
    sec = (ms % 60_000) / 1000;
  const secText = `${Number(sec.toFixed(3))}s`;
  return h > 0 ? `${h}h${m}m${secText}` : m > 0 ? `${m}m${secText}` : secText;
}
