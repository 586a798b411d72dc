/**
 * Markdown ready to paste into a postmortem (GitHub-flavoured tables): title, summary, runs,
 * phases with durations, the event table with UTC times and actors, evidence with links, and the
 * open follow-ups as a checklist. Every cell is escaped so a reason or a Kubernetes message
 * cannot break a table or inject HTML.
 */
import { shaOfRevision } from '../git/sha.js';
import { duration, utc } from './format.js';
import { isHttpUrl } from './links.js';
import type { TimelineDocument, TimelineEntry, TimelineLink, TimelineRun } from './model.js';

/** Text for one table cell: no line breaks, pipes escaped, HTML-significant characters as entities. */
export function cell(text: string): string {
  return (
    text
      .replace(/\r?\n|\r/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\|/g, '\\|')
      .trim() || ' '
  );
}

/** Inline code in a cell; backticks inside become quotes (a code span cannot escape them). */
const code = (text: string): string =>
  `\`${text
    .replace(/`/g, "'")
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\|/g, '\\|')}\``;

const link = (l: TimelineLink): string =>
  isHttpUrl(l.url)
    ? `[${cell(l.label).replace(/[[\]]/g, '')}](${l.url.replace(/[()\s|]/g, encodeURIComponent)})`
    : cell(l.label);

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function runLabels(runs: TimelineRun[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(`${r.app}/${r.env}`, (counts.get(`${r.app}/${r.env}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  return new Map(
    runs.map((r) => {
      const t = `${r.app}/${r.env}`;
      const n = (seen.get(t) ?? 0) + 1;
      seen.set(t, n);
      return [r.runId, (counts.get(t) ?? 0) > 1 ? `${t} #${n}` : t];
    }),
  );
}

function evidenceCell(e: TimelineEntry): string {
  const parts = Object.entries(e.evidence ?? {})
    .filter(([k]) => k !== 'permalink' && k !== 'commitUrl')
    .map(
      ([k, v]) => `${cell(k)}: ${typeof v === 'string' && shaOfRevision(v) !== undefined ? code(v) : cell(String(v))}`,
    );
  const links = (e.links ?? []).map(link);
  return [...parts, ...links].join('; ') || ' ';
}

export function exportMarkdown(doc: TimelineDocument): string {
  const labels = runLabels(doc.runs);
  const out: string[] = [];
  out.push(`# ${cell(doc.title)}`, '');
  out.push(
    `_Generated ${utc(doc.generatedAt)} by rewind (${doc.schema}); ` +
      `window ${utc(doc.window.start)} – ${utc(doc.window.end)}._`,
    '',
  );
  out.push('## Summary', '', cell(doc.summary), '');

  out.push('## Runs', '');
  out.push(
    ...table(
      ['Run', 'Runbook', 'Requested by', 'Approved by', 'Reason', 'Outcome', 'Started (UTC)', 'Ended (UTC)', 'Change'],
      doc.runs.map((r) => [
        `${cell(labels.get(r.runId) ?? r.workflowId)}` +
          `${r.slackPermalink ? ` (${link({ label: 'Slack', url: r.slackPermalink })})` : ''}`,
        cell(r.runbook),
        cell(r.requester),
        cell(r.approvers.join(', ') || (r.rejectedBy ? `rejected by ${r.rejectedBy}` : '—')),
        cell(r.reason),
        `**${cell(r.outcome)}**${r.result ? `: ${cell(r.result)}` : ''}`,
        cell(utc(r.startedAt)),
        cell(utc(r.endedAt)),
        r.revertSha ? `revert ${code(r.revertSha)}` : r.commitSha ? `commit ${code(r.commitSha)}` : '—',
      ]),
    ),
    '',
  );

  out.push('## Phases', '');
  out.push(
    ...table(
      ['Phase', 'Reached (UTC)', 'Since detected', 'Since previous', 'Basis'],
      doc.phases.map((p) => [
        p.state === 'reached' ? `**${cell(p.label)}**` : cell(p.label),
        p.state === 'reached' ? cell(utc(p.at)) : p.state === 'not-applicable' ? 'n/a' : 'not yet',
        cell(duration(p.sinceDetectedMs)),
        cell(duration(p.sincePreviousMs)),
        cell(p.basis),
      ]),
    ),
    '',
  );
  const d = doc.durations;
  out.push(
    `**Time to acknowledge:** ${duration(d.timeToAcknowledgeMs)} · **Time to mitigate:** ` +
      `${duration(d.timeToMitigateMs)} · **Time until Git converged:** ${duration(d.timeToGitConvergedMs)} · ` +
      `**Time to restore:** ${duration(d.timeToRestoreMs)} (all from detection)`,
    '',
  );

  out.push('## Timeline', '');
  out.push(
    ...table(
      ['Time (UTC)', 'Source', 'Run', 'Step', 'Actor', 'Event', 'Evidence'],
      doc.events.map((e) => [
        cell(utc(e.at).replace(' UTC', '')),
        cell(e.kind === 'kube-event' ? 'kubernetes' : e.kind === 'commit' ? 'git' : e.kind),
        cell(e.runId ? (labels.get(e.runId) ?? e.runId) : '—'),
        cell(e.step ?? '—'),
        cell(e.actor),
        e.severity === 'error' || e.severity === 'warning' ? `**${cell(e.summary)}**` : cell(e.summary),
        evidenceCell(e),
      ]),
    ),
    '',
  );

  out.push('## Follow-ups', '');
  if (doc.followUps.length === 0) out.push('None: nothing rewind knows of is still open.', '');
  else out.push(...doc.followUps.map((f) => `- [ ] ${cell(f.text)}`), '');

  const failed = doc.sources.filter((s) => !s.ok);
  out.push('## Sources', '');
  out.push(...doc.sources.map((s) => `- ${s.ok ? '' : '**not available:** '}${cell(s.kind)}: ${cell(s.detail)}`));
  if (failed.length) out.push('', `_${failed.length} source(s) could not be read; the timeline may be incomplete._`);
  return `${out.join('\n').trimEnd()}\n`;
}
