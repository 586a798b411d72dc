/**
 * Export benchmark: a synthetic 10,000-event incident (one run, Kubernetes Warnings, commits,
 * approvals, notes over six hours) exported as Markdown, JSON (validated) and SVG. Each export is
 * run once to warm up, then timed over several rounds; the median, min and max go to
 * bench/results/timeline-export.json with the machine described.
 *
 *   node --import tsx bench/timeline-export.ts [events=10000] [rounds=7]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { exportJson } from '../src/lib/timeline/export-json.js';
import { exportMarkdown } from '../src/lib/timeline/export-markdown.js';
import { exportSvg } from '../src/lib/timeline/export-svg.js';
import { validateTimelineDocument } from '../src/lib/timeline/schema.js';
import { syntheticDocument } from '../test/unit/timeline/fixture.js';

const events = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 7);

async function cpuModel(): Promise<string> {
  const info = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
}

function time(label: string, fn: () => string | unknown) {
  fn();
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const out = fn();
    ms.push(performance.now() - t);
    if (typeof out === 'string') bytes = Buffer.byteLength(out);
  }
  ms.sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  const row = {
    medianMs: r(ms[Math.floor(ms.length / 2)]!),
    minMs: r(ms[0]!),
    maxMs: r(ms.at(-1)!),
    ...(bytes ? { bytes } : {}),
  };
  console.log(
    `${label.padEnd(10)} median ${String(row.medianMs).padStart(8)} ms  min ${row.minMs} ms  ` +
      `max ${row.maxMs} ms${bytes ? `  ${(bytes / 1024).toFixed(0)} KiB` : ''}`,
  );
  return row;
}

const buildStart = performance.now();
const doc = syntheticDocument({ events, spreadMs: 6 * 3_600_000 });
const buildMs = performance.now() - buildStart;
console.log(
  `document: ${doc.events.length} events, built in ${buildMs.toFixed(1)} ms; ${rounds} rounds after a warm-up`,
);

const results = {
  markdown: time('markdown', () => exportMarkdown(doc)),
  json: time('json', () => exportJson(doc)),
  svg: time('svg', () => exportSvg(doc)),
  validate: time('validate', () => validateTimelineDocument(doc)),
};

const report = {
  benchmark: 'timeline-export',
  at: new Date().toISOString(),
  document: {
    events: doc.events.length,
    runs: doc.runs.length,
    spans: doc.spans.length,
    buildMs: Math.round(buildMs * 10) / 10,
  },
  rounds,
  results,
  machine: {
    node: process.version,
    cpu: await cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}/${process.arch}`,
  },
};
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'timeline-export.json');
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
