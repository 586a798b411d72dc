/**
 * The commit message of an emergency change: which object and fields, the reason, where each
 * field went in Git, and the run's trailers with `Rewind-Change: live-first`, so anyone reading
 * the history sees that this commit records a change that was made live before it was in Git.
 */
import type { GitEdit, LiveChange } from '../../../workflows/types.js';
import { formatFieldPath, patchLeaves } from './field-path.js';
import { normalizeReason, trailerBlock } from './revert-message.js';

export interface LiveChangeMessageInput {
  changes: readonly LiveChange[];
  edits: readonly GitEdit[];
  reason: string;
  runId: string;
  requestedBy: string;
  incidentId?: string;
  /**
   * Overrides for commits that are not emergency changes (a drill's bad promotion): subject, first
   * body paragraph, `Rewind-Change` value.
   */
  subject?: string;
  body?: string;
  change?: string;
}

/** Values of these kinds never appear in messages: commit messages travel to Slack and timelines. */
const SECRET_KINDS = new Set(['Secret']);
const SUBJECT_MAX = 100;
const POD_TEMPLATE = /^spec\.(?:jobTemplate\.spec\.)?template\.spec\./;

// eslint-disable-next-line no-control-regex
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, ' ');

function shown(value: unknown, max = 40): string {
  const text = oneLine(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `ConfigMap/users-api-env data.DB_HOST=db-prod-2.internal` (field names only for Secrets). */
export function changeSummary(c: LiveChange): string {
  const hide = SECRET_KINDS.has(c.object.kind);
  const fields = patchLeaves(c.patch, c.patchType).map((l) => {
    // The pod template prefix says nothing a reader needs in a subject line.
    const name = formatFieldPath(l.path).replace(POD_TEMPLATE, '');
    return hide ? name : l.value === null ? `-${name}` : `${name}=${shown(l.value)}`;
  });
  const object = `${c.object.kind}/${c.object.name}`;
  const full = `${object} ${fields.join(', ')}`;
  if (full.length <= SUBJECT_MAX - 'emergency: '.length) return full;
  return (
    `${object} ${fields.length} field${fields.length === 1 ? '' : 's'}` +
    ` (${fields.map((f) => f.split('=')[0]).join(', ')})`
  );
}

export function liveChangeMessage(m: LiveChangeMessageInput): string {
  let subject = m.subject ? oneLine(m.subject) : `emergency: ${m.changes.map(changeSummary).join('; ')}`;
  if (subject.length > SUBJECT_MAX) subject = `${subject.slice(0, SUBJECT_MAX - 1)}…`;
  const reason = normalizeReason(m.reason);
  // Edits do not say which change they came from; with any Secret in the run, hide every value.
  const hide = m.changes.some((c) => SECRET_KINDS.has(c.object.kind));
  const where = m.edits.map((e) =>
    e.newFile
      ? `- ${e.file}: new file`
      : `- ${e.file}: ${e.yamlPath.join('.')} ${e.remove ? 'removed' : `= ${hide ? '(hidden)' : shown(e.value, 80)}`}`,
  );
  const body = [
    m.body ??
      'Applied live first by rewind (emergency path); this commit makes Git render ' +
        'the patched live state, so auto-sync can be resumed without undoing it.',
    ...(where.length > 0 ? [where.join('\n')] : []),
  ].join('\n\n');
  return `${[subject, ...(reason ? [reason] : []), body, trailerBlock({ ...m, change: m.change ?? 'live-first' })].join(
    '\n\n',
  )}\n`;
}
