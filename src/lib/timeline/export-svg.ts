/**
 * The timeline as one standalone SVG, fixed width, height growing with its rows: a UTC time axis
 * with labelled ticks, one bar per reached phase, the step spans of each run, and every event as a
 * mark with a short label. Labels are staggered into lanes so none overlap; each mark also has a
 * <title> with the full text. Meaning never rests on colour alone: every bar and mark is labelled.
 * All text is XML-escaped.
 */
import { clock, duration, ms, short, utc } from './format.js';
import { runLabels } from './export-markdown.js';
import type { PhaseKey, StepSpan, TimelineDocument, TimelineEntry } from './model.js';
import { staggerLabels, textWidth, ticks, timeScale } from './svg-layout.js';

export const SVG_WIDTH = 1200;
const LEFT = 170,
  RIGHT = SVG_WIDTH - 30,
  ROW = 22,
  LANE = 15,
  MAX_LANES = 24,
  LABEL_CHARS = 34;

const PHASE_COLOUR: Record<PhaseKey, string> = {
  detected: '#fca5a5',
  acknowledged: '#fdba74',
  mitigated: '#fde68a',
  'git-converged': '#86efac',
  'auto-sync-restored': '#93c5fd',
  resolved: '#c4b5fd',
};
const KIND_COLOUR: Record<TimelineEntry['kind'], string> = {
  run: '#111827',
  step: '#2563eb',
  approval: '#7c3aed',
  evidence: '#6b7280',
  retry: '#d97706',
  failure: '#dc2626',
  note: '#0d9488',
  'kube-event': '#64748b',
  commit: '#16a34a',
  alert: '#be123c',
};
const STATE_COLOUR: Record<StepSpan['state'], string> = {
  done: '#bfdbfe',
  failed: '#fecaca',
  skipped: '#e5e7eb',
  running: '#dbeafe',
  pending: '#f3f4f6',
};

/** XML text and attribute escaping (both quote kinds, so either may delimit attributes). */
export function esc(text: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0 at all.
  // eslint-disable-next-line no-control-regex
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const clip = (text: string, n = LABEL_CHARS) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const n1 = (v: number) => Math.round(v * 10) / 10;

/** A few words saying what the mark is, so the picture reads without a legend. */
export function shortLabel(e: TimelineEntry): string {
  switch (e.kind) {
    case 'run':
      return /requested via/.test(e.summary)
        ? `requested by ${e.actor}`
        : clip(e.summary.split(/[:.]/)[0] ?? e.summary);
    case 'step':
      return /^.* started$/.test(e.summary) ? `${e.step ?? ''} started` : `${e.step ?? 'step'} ✓`;
    case 'failure':
      return e.step ? `${e.step} ✗` : clip(`✗ ${e.summary}`);
    case 'approval':
      return `${e.summary.split(':')[0]} by ${e.actor}`;
    case 'evidence':
      return clip(e.summary);
    case 'retry':
      return `retry ${String(e.evidence?.activity ?? e.step ?? '')}`.trim();
    case 'kube-event':
      return `${e.severity === 'warning' ? '⚠ ' : ''}k8s ${String(e.evidence?.reason ?? '')}`.trim();
    case 'commit':
      return `commit ${short(String(e.evidence?.sha ?? ''))} ${e.actor}`;
    case 'alert':
      return clip(`alert ${e.summary}`);
    case 'note':
      return clip(e.summary);
  }
}

export function exportSvg(doc: TimelineDocument): string {
  const t0 = ms(doc.window.start)!,
    t1 = ms(doc.window.end)!;
  const scale = timeScale(t0, t1, LEFT, RIGHT);
  const X = (iso: string | undefined) => n1(scale.x(ms(iso) ?? t0));
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, attrs = '') =>
    `<text x="${n1(x)}" y="${n1(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;

  // Header.
  const d = doc.durations;
  parts.push(text(16, 26, doc.title, 'class="title"'));
  parts.push(
    text(
      16,
      44,
      `${utc(doc.window.start)} – ${utc(doc.window.end)} · mitigate ${duration(d.timeToMitigateMs)} · ` +
        `Git converged ${duration(d.timeToGitConvergedMs)} · restore ${duration(d.timeToRestoreMs)}`,
      'class="sub"',
    ),
  );

  // Axis.
  const axisY = 72;
  const tickList = ticks(scale);
  parts.push(`<line class="axis" x1="${LEFT}" y1="${axisY}" x2="${RIGHT}" y2="${axisY}"/>`);
  for (const t of tickList) {
    parts.push(`<line class="tick" x1="${n1(t.x)}" y1="${axisY - 4}" x2="${n1(t.x)}" y2="${axisY + 4}"/>`);
    parts.push(text(t.x, axisY - 8, t.label, 'class="tick-label" text-anchor="middle"'));
  }
  parts.push(text(16, axisY + 4, 'time (UTC)', 'class="row-label"'));
  let y = axisY + 16;

  // Phases: one bar per reached phase, from when it was reached to the next reached phase.
  parts.push(text(16, y + 12, 'Phases', 'class="section"'));
  y += 18;
  const reached = doc.phases.filter((p) => p.state === 'reached');
  doc.phases.forEach((p) => {
    parts.push(text(16, y + 15, p.label, 'class="row-label"'));
    if (p.state === 'reached') {
      const i = reached.indexOf(p);
      const x1 = X(p.at),
        x2 = Math.max(X(reached[i + 1]?.at ?? doc.window.end), x1 + 3);
      const label = `${p.label} ${clock(p.at!)}${p.sinceDetectedMs ? ` (+${duration(p.sinceDetectedMs)})` : ''}`;
      parts.push(
        `<g class="phase" data-phase="${p.key}"><title>${esc(`${p.label} at ${utc(p.at)}: ${p.basis}`)}</title>` +
          `<rect class="phase-bar" x="${x1}" y="${y + 3}" width="${n1(x2 - x1)}" ` +
          `height="${ROW - 6}" rx="3" fill="${PHASE_COLOUR[p.key]}"/>` +
          (x1 + 4 + textWidth(label) <= RIGHT
            ? text(x1 + 4, y + 15, label, 'class="bar-label"')
            : text(x1 - 4, y + 15, label, 'class="bar-label" text-anchor="end"')) +
          '</g>',
      );
    } else {
      parts.push(text(LEFT + 4, y + 15, p.state === 'not-applicable' ? 'n/a' : 'not reached', 'class="muted"'));
    }
    y += ROW;
  });

  // Steps: one row per run.
  y += 8;
  parts.push(text(16, y + 12, 'Steps', 'class="section"'));
  y += 18;
  const labels = runLabels(doc.runs);
  for (const run of doc.runs) {
    parts.push(
      text(16, y + 15, clip(`${labels.get(run.runId) ?? run.workflowId} ${run.runbook}`, 26), 'class="row-label"'),
    );
    for (const s of doc.spans.filter((x) => x.runId === run.runId && x.start)) {
      const x1 = X(s.start),
        x2 = Math.max(X(s.end ?? doc.window.end), x1 + 2);
      const w = x2 - x1;
      parts.push(
        `<g class="step"><title>` +
          `${esc(
            `${s.step} (${s.kind}) ${s.state}${s.durationMs !== undefined ? ` in ${duration(s.durationMs)}` : ''}` +
              `${s.summary ? `: ${s.summary}` : ''}`,
          )}</title>` +
          `<rect class="step-span" x="${x1}" y="${y + 3}" width="${n1(w)}" height="${ROW - 6}" ` +
          `fill="${STATE_COLOUR[s.state]}" stroke="${s.state === 'failed' ? '#dc2626' : '#93c5fd'}"/>` +
          (textWidth(s.step, 10) + 4 <= w ? text(x1 + 2, y + 15, s.step, 'class="span-label"') : '') +
          '</g>',
      );
    }
    y += ROW;
  }

  // Events: marks on one line, labels staggered below.
  y += 8;
  parts.push(text(16, y + 12, 'Events', 'class="section"'));
  const markY = y + 10;
  const order = doc.events.map((e, i) => ({ e, i, x: X(e.at) })).sort((a, b) => a.x - b.x || a.i - b.i);
  const labelled = order.filter((o) => !(o.e.kind === 'step' && / started$/.test(o.e.summary)));
  const layout = staggerLabels(
    labelled.map((o) => ({ x: o.x, width: textWidth(shortLabel(o.e)) })),
    RIGHT,
    MAX_LANES,
  );
  parts.push(`<line class="axis" x1="${LEFT}" y1="${markY}" x2="${RIGHT}" y2="${markY}"/>`);
  for (const o of order) {
    const colour = o.e.kind === 'kube-event' && o.e.severity === 'warning' ? '#ea580c' : KIND_COLOUR[o.e.kind];
    parts.push(
      `<g class="event-mark" data-kind="${o.e.kind}"><title>${esc(`${utc(o.e.at)} ${o.e.actor}: ${o.e.summary}`)}` +
        `</title><circle cx="${o.x}" cy="${markY}" r="3.5" fill="${colour}"/></g>`,
    );
  }
  for (const box of layout.placed) {
    const o = labelled[box.index]!;
    const ly = markY + 20 + box.lane * LANE;
    const colour = KIND_COLOUR[o.e.kind];
    parts.push(`<line class="leader" x1="${o.x}" y1="${markY + 4}" x2="${o.x}" y2="${ly - 9}"/>`);
    parts.push(
      text(
        box.anchor === 'start' ? o.x + 2 : o.x - 2,
        ly,
        shortLabel(o.e),
        `class="event-label" fill="${colour}"${box.anchor === 'end' ? ' text-anchor="end"' : ''}`,
      ),
    );
  }
  y = markY + 20 + Math.max(layout.lanes, 1) * LANE;

  // Grid lines behind everything, now that the height is known.
  const grid = tickList
    .map((t) => `<line class="grid" x1="${n1(t.x)}" y1="${axisY}" x2="${n1(t.x)}" y2="${y}"/>`)
    .join('');
  const footer =
    `${doc.events.length} events · ${doc.runs.length} run(s) · ${doc.schema} · generated ${utc(doc.generatedAt)}` +
    `${layout.dropped ? ` · ${layout.dropped} labels omitted where marks crowd (hover a mark for its text)` : ''}`;
  parts.push(text(16, y + 16, footer, 'class="muted"'));
  const height = Math.ceil(y + 28);

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}"` +
      ` viewBox="0 0 ${SVG_WIDTH} ${height}"` +
      ` font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    `<title>${esc(doc.title)}</title>`,
    '<style>.title{font-size:16px;font-weight:600;fill:#111827}.sub{fill:#374151}' +
      '.section{font-weight:600;fill:#111827}.row-label{fill:#374151}' +
      '.tick-label{fill:#4b5563;font-size:10px}.axis{stroke:#9ca3af}.tick{stroke:#6b7280}' +
      '.grid{stroke:#f3f4f6}.muted{fill:#9ca3af;font-style:italic}' +
      '.bar-label{fill:#111827}.span-label{fill:#1e3a8a;font-size:10px}.leader{stroke:#d1d5db}' +
      '.event-label{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}</style>',
    `<rect x="0" y="0" width="${SVG_WIDTH}" height="${height}" fill="#ffffff"/>`,
    grid,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
