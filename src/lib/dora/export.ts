/**
 * `rewind dora` output: Markdown for a review, JSON for tools (`rewind.dev/dora/v1`), and an SVG
 * card per app/env (the four keys, and each promotion on a time axis).
 */
import { esc } from '../timeline/export-svg.js';
import { duration, short, utc } from '../timeline/format.js';
import { timeScale, ticks } from '../timeline/svg-layout.js';
import type { DoraFormat, DoraReport, PromotionRow, Stat } from './model.js';

const pct = (r: number | undefined) => (r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`);
const per = (n: number) => (Math.round(n * 100) / 100).toString();
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function statText(s: Stat): string {
  return s.count ? `median ${duration(s.medianMs)}, p90 ${duration(s.p90Ms)} (${s.count})` : '—';
}

/** The four keys, one line each, as a person reads them. */
export function keyLines(r: DoraReport): Array<[string, string, string]> {
  const k = r.keys;
  return [
    [
      'Deployment frequency',
      `${k.deploymentFrequency.deployed} in ${per(k.deploymentFrequency.days)} days ` +
        `(${per(k.deploymentFrequency.perWeek)}/week)`,
      'promotions committed in the window that the engine applied',
    ],
    [
      'Lead time for changes',
      statText(k.leadTime) + (k.leadTime.untimed ? `; ${k.leadTime.untimed} without a recorded time` : ''),
      "commit to the engine's first deployment that holds it",
    ],
    [
      'Change failure rate',
      `${pct(k.changeFailureRate.rate)} (${k.changeFailureRate.failed} of ${k.changeFailureRate.deployed})`,
      `a rollback, emergency run or revert within ${duration(r.failureWindowMs)} of the deployment`,
    ],
    [
      'Time to restore',
      statText(k.timeToRestore) +
        (k.timeToRestore.notRestored ? `; ${k.timeToRestore.notRestored} not restored` : '') +
        (k.timeToRestore.open ? `; ${k.timeToRestore.open} still open` : ''),
      "rewind's runs, from detection (else the request) to health held",
    ],
  ];
}

function deployedText(p: PromotionRow): string {
  const where = p.revision ? ` (${p.deploySource} at ${short(p.revision)})` : '';
  if (p.deployedAt) return `${utc(p.deployedAt)}${where}`;
  if (p.unhealthy) return `applied, health checks failed${where}`;
  if (p.deployedUntimed) return `applied, time no longer recorded${where}`;
  return 'not deployed';
}

function markdownOne(r: DoraReport): string {
  const lines = [
    `## ${r.app}/${r.env}`,
    '',
    `${utc(r.from)} to ${utc(r.to)}.`,
    '',
    '| Key | Value | Measured as |',
    '|---|---|---|',
    ...keyLines(r).map(([k, v, how]) => `| ${k} | ${cell(v)} | ${cell(how)} |`),
    '',
    '### Promotions',
    '',
  ];
  if (!r.promotions.length) lines.push('None in the window.', '');
  else
    lines.push(
      '| Commit | Subject | Author | Committed | Deployed | Lead time | Failed |',
      '|---|---|---|---|---|---|---|',
      ...r.promotions.map(
        (p) =>
          `| \`${short(p.sha)}\` | ${cell(p.subject)} | ${cell(p.author)} | ${utc(p.committedAt)} | ` +
          `${cell(deployedText(p))} | ${duration(p.leadTimeMs)} | ` +
          `${p.failure ? cell(`${p.failure.by} ${p.failure.ref} at ${utc(p.failure.at)}`) : 'no'} |`,
      ),
      '',
    );
  lines.push('### Runs', '');
  if (!r.restores.length) lines.push('No rollback or emergency run in the window.', '');
  else
    lines.push(
      '| Run | Runbook | Result | From | Restored | Time to restore | Promotion | Commit |',
      '|---|---|---|---|---|---|---|---|',
      ...r.restores.map(
        (x) =>
          `| ${cell(x.workflowId)} (${x.runId.slice(0, 8)}) | ${x.runbook} | ${x.phase} | ` +
          `${x.fromKind} ${utc(x.from)} | ${utc(x.restoredAt)} | ${duration(x.timeToRestoreMs)} | ` +
          `${x.promotion ? `\`${short(x.promotion)}\`` : '—'} | ${x.commit ? `\`${short(x.commit)}\`` : '—'} |`,
      ),
      '',
    );
  if (r.notes.length) lines.push(...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

export function doraMarkdown(reports: readonly DoraReport[]): string {
  return `${['# DORA keys', '', ...reports.map(markdownOne)].join('\n').trimEnd()}\n`;
}

export function doraJson(reports: readonly DoraReport[]): string {
  return `${JSON.stringify({ schema: 'rewind.dev/dora/v1', reports }, null, 2)}\n`;
}

const COLOR = {
  deployed: '#16a34a',
  failed: '#dc2626',
  unhealthy: '#d97706',
  pending: '#9ca3af',
  restore: '#2563eb',
};
const W = 960,
  CARD_H = 190,
  TILE_W = 225;

function svgCard(r: DoraReport, top: number): string {
  const out: string[] = [
    `<text x="16" y="${top + 22}" font-size="15" font-weight="bold">${esc(`${r.app}/${r.env}`)}</text>`,
    `<text x="${W - 16}" y="${top + 22}" font-size="11" text-anchor="end" fill="#555">` +
      `${esc(`${utc(r.from)} to ${utc(r.to)}`)}</text>`,
  ];
  keyLines(r).forEach(([k, v], i) => {
    const x = 16 + i * (TILE_W + 8);
    const value = v.length > 34 ? `${v.slice(0, 33)}…` : v;
    out.push(
      `<rect x="${x}" y="${top + 32}" width="${TILE_W}" height="56" rx="6" fill="#f3f4f6"/>`,
      `<text x="${x + 10}" y="${top + 50}" font-size="11" fill="#555">${esc(k)}</text>`,
      `<text x="${x + 10}" y="${top + 72}" font-size="12" font-weight="bold">${esc(value)}</text>`,
    );
  });
  const scale = timeScale(Date.parse(r.from), Date.parse(r.to), 24, W - 24);
  const axisY = top + 140;
  out.push(`<line x1="24" y1="${axisY}" x2="${W - 24}" y2="${axisY}" stroke="#999"/>`);
  for (const t of ticks(scale, 6))
    out.push(
      `<text x="${t.x.toFixed(1)}" y="${axisY + 16}" font-size="10" text-anchor="middle" fill="#555">` +
        `${esc(t.label)}</text>`,
    );
  for (const p of r.promotions) {
    const x = scale.x(Date.parse(p.deployedAt ?? p.committedAt)).toFixed(1);
    const [fill, what] = p.failure
      ? [COLOR.failed, `failed: ${p.failure.by}`]
      : p.unhealthy
        ? [COLOR.unhealthy, 'applied, health checks failed']
        : p.deployedAt || p.deployedUntimed
          ? [COLOR.deployed, p.deployedAt ? `lead time ${duration(p.leadTimeMs)}` : 'deployed']
          : [COLOR.pending, 'not deployed'];
    out.push(
      `<circle cx="${x}" cy="${axisY - 14}" r="6" fill="${fill}">` +
        `<title>${esc(`${short(p.sha)} ${p.subject}: ${what}`)}</title></circle>`,
    );
  }
  for (const x of r.restores.filter((y) => y.restoredAt)) {
    const [x1, x2] = [x.from, x.restoredAt!].map((t) => scale.x(Date.parse(t)).toFixed(1));
    out.push(
      `<line x1="${x1}" y1="${axisY - 30}" x2="${x2}" y2="${axisY - 30}" stroke="${COLOR.restore}" ` +
        `stroke-width="4"><title>${esc(`${x.runbook} ${duration(x.timeToRestoreMs)}`)}</title></line>`,
    );
  }
  return out.join('\n');
}

export function doraSvg(reports: readonly DoraReport[]): string {
  const h = Math.max(1, reports.length) * CARD_H + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" ` +
      `font-family="system-ui, sans-serif">`,
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    ...reports.map((r, i) => svgCard(r, i * CARD_H)),
    `<text x="16" y="${h - 10}" font-size="10" fill="#555">green: deployed; red: failed (rolled back, ` +
      `repaired or reverted); amber: health checks failed; grey: not deployed; blue: detection to restore</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export function exportDora(reports: readonly DoraReport[], format: DoraFormat): string {
  return format === 'md' ? doraMarkdown(reports) : format === 'json' ? doraJson(reports) : doraSvg(reports);
}
