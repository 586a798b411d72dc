/** Text helpers shared by the exports: UTC times and compact durations. */

/** `2026-11-22 14:02:07 UTC`, from an ISO time. */
export function utc(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `14:02:07`, UTC, for axis ticks and table rows on one day. */
export function clock(iso: string | number, withMs = false): string {
  const d = new Date(iso);
  return d.toISOString().slice(11, withMs ? 23 : 19);
}

/** `1h 02m`, `3m 07s`, `4.2s`, `350ms`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a === 0) return '0s';
  if (a < 1000) return `${neg}${Math.round(a)}ms`;
  if (a < 10_000) return `${neg}${(a / 1000).toFixed(1)}s`;
  const s = Math.round(a / 1000);
  if (s < 60) return `${neg}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${neg}${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${neg}${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

export const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

export const short = (sha: string | undefined): string => (sha ? sha.replace(/^.*[:@]/, '').slice(0, 7) : '?');
