import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJson, InvalidTimelineError } from '../../../src/lib/timeline/export-json.js';
import { cell, exportMarkdown } from '../../../src/lib/timeline/export-markdown.js';
import { esc, exportSvg } from '../../../src/lib/timeline/export-svg.js';
import { validateTimelineDocument } from '../../../src/lib/timeline/schema.js';
import { syntheticDocument } from './fixture.js';
import { findAll, hasClass, markdownTables, parseXml } from './xml.js';

describe('timeline exports', () => {
  const doc = syntheticDocument({ events: 60 });

  it('JSON round-trips and validates; a broken document is refused, not written', () => {
    const parsed = JSON.parse(exportJson(doc));
    const v = validateTimelineDocument(parsed);
    assert.ok(v.ok, v.ok ? '' : v.issues.join('\n'));
    assert.equal(parsed.schema, 'rewind.timeline/v1');
    const broken = structuredClone(doc);
    broken.events.reverse();
    assert.throws(
      () => exportJson(broken),
      (e: Error) => e instanceof InvalidTimelineError && /out of time order/.test(e.message),
    );
    assert.equal(validateTimelineDocument({ ...doc, extra: 1 }).ok, false, 'unknown fields are refused');
  });

  it('Markdown: every table row has the header width, hostile text is escaped', () => {
    const md = exportMarkdown(doc);
    const tables = markdownTables(md);
    assert.equal(tables.length, 3, 'runs, phases, timeline');
    for (const t of tables) {
      const width = t[0]!.length;
      assert.ok(
        t[1]!.every((c) => c === '---'),
        'separator row',
      );
      for (const row of t) assert.equal(row.length, width, `row ${row.join(' | ')}`);
    }
    assert.doesNotMatch(md, /<script>/);
    assert.match(md, /5xx \\\| &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; "quotes"/);
    assert.match(md, /\[commit\]\(https:\/\/git\.example\/acme\/config\/commit\/[0-9a-f]{40}\)/);
    assert.match(md, /\| \*\*Detected\*\* \|/);
    assert.equal(cell('a|b\nc<d>'), 'a\\|b c&lt;d&gt;');
  });

  it('SVG is well-formed, one bar per reached phase, one mark per event, labels never overlap', () => {
    const svg = exportSvg(doc);
    const root = parseXml(svg);
    assert.equal(root.name, 'svg');
    assert.equal(root.attrs.width, '1200');
    const reached = doc.phases.filter((p) => p.state === 'reached').length;
    assert.equal(findAll(root, hasClass('phase-bar')).length, reached);
    assert.equal(findAll(root, hasClass('event-mark')).length, doc.events.length);
    const labels = findAll(root, hasClass('event-label')).map((t) => {
      const x = Number(t.attrs.x),
        w = t.text.length * 11 * 0.58;
      return {
        y: Number(t.attrs.y),
        from: t.attrs['text-anchor'] === 'end' ? x - w : x,
        to: t.attrs['text-anchor'] === 'end' ? x : x + w,
      };
    });
    for (const a of labels)
      for (const b of labels) {
        if (a !== b && a.y === b.y) assert.ok(a.to <= b.from || b.to <= a.from, `labels overlap on y=${a.y}`);
      }
    assert.ok(!svg.includes('<script>'), 'text is escaped');
    assert.equal(esc(`<a href='x'>&"`), '&lt;a href=&apos;x&apos;&gt;&amp;&quot;');
  });

  it('SVG height grows with rows, width stays fixed', () => {
    const small = parseXml(exportSvg(syntheticDocument({ events: 5 })));
    const big = parseXml(exportSvg(syntheticDocument({ events: 400, spreadMs: 60_000 })));
    assert.equal(small.attrs.width, big.attrs.width);
    assert.ok(Number(big.attrs.height) > Number(small.attrs.height));
  });

  it('a held pause becomes a follow-up with its time, and an expired lease a second one', () => {
    const held = syntheticDocument({ outcome: 'held-paused' });
    assert.deepEqual(
      held.followUps.map((f) => f.kind),
      ['auto-sync-paused', 'lease-expired'],
    );
    assert.match(held.followUps[0]!.text, /Auto-sync still paused on users-api\/prod since 2026-03-01 14:01:00 UTC/);
    assert.equal(held.phases.find((p) => p.key === 'resolved')!.state, 'pending');
    assert.match(exportMarkdown(held), /- \[ \] Auto-sync still paused/);
  });
});
