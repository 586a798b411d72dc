/**
 * `/timeline <incident-id | app [env]>`: ack at once, then build the timeline and upload it to the
 * channel the command came from, Markdown and SVG in one message (the external upload flow via
 * `files.uploadV2`). Only people in rewind.yaml may ask: a timeline names who did what.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { RefusedError } from '../../../../lib/runs.js';
import {
  exportTimeline,
  resolveTimelineTarget,
  timelineDocument,
  type TimelineTarget,
} from '../../../../lib/timeline/index.js';
import type { ListenerDeps } from '../deps.js';
import { slackIdentity } from '../identity.js';
import { ephemeral, replyWithError, safeRespond } from '../reply.js';

type Args = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

/** Slack escapes &, < and > in command text. */
const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export const TIMELINE_USAGE =
  'Usage: `/timeline <incident-id>` (every run of the incident) or ' +
  '`/timeline <app> [env]` (its latest run). Example: `/timeline INC-42`';

/** The command text as a timeline target; app and env may be separated by a space or a slash. */
export function parseTimelineText(cfg: ListenerDeps['rewind']['cfg'], text: string): TimelineTarget {
  const words = unescape(text).trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length > 2) throw new RefusedError(TIMELINE_USAGE, 'bad-input');
  const [what = '', env] = words;
  return resolveTimelineTarget(cfg, what, env ? { env } : {});
}

const fileStem = (t: TimelineTarget) =>
  (t.kind === 'incident' ? t.incidentId : t.workflowId).replace(/[^A-Za-z0-9._-]+/g, '-');

export function timelineCommand(deps: ListenerDeps) {
  return async function timeline({ ack, command, respond, client }: Args): Promise<void> {
    const { cfg } = deps.rewind;
    if (['', 'help', '-h', '--help'].includes((command.text ?? '').trim())) {
      await ack(ephemeral(TIMELINE_USAGE));
      return;
    }
    const who = slackIdentity(cfg, command.user_id);
    if (!who.ok) {
      await ack(ephemeral(`:no_entry: ${who.error}`));
      return;
    }
    let target: TimelineTarget;
    try {
      target = parseTimelineText(cfg, command.text ?? '');
    } catch (err) {
      await ack(
        ephemeral(`:no_entry: ${err instanceof RefusedError ? err.message : 'that timeline cannot be resolved'}`),
      );
      return;
    }
    const name = target.kind === 'incident' ? `incident ${target.incidentId}` : target.workflowId;
    await ack(ephemeral(`:hourglass_flowing_sand: Building the timeline of ${name}…`));
    try {
      const doc = await timelineDocument({ rw: deps.rewind }, target);
      const stem = `timeline-${fileStem(target)}`;
      const gaps = doc.sources.filter((s) => !s.ok).length;
      await client.files.uploadV2({
        channel_id: command.channel_id,
        initial_comment:
          `Timeline of ${doc.title}, asked for by ${who.person.handle}: ${doc.summary}` +
          `${gaps ? ` (${gaps} source(s) could not be read; see the file)` : ''}`,
        file_uploads: [
          { file: Buffer.from(exportTimeline(doc, 'md')), filename: `${stem}.md`, title: `${doc.title} (Markdown)` },
          { file: Buffer.from(exportTimeline(doc, 'svg')), filename: `${stem}.svg`, title: `${doc.title} (SVG)` },
        ],
      });
      await safeRespond(
        deps,
        respond,
        ephemeral(
          `:page_facing_up: Posted the timeline of ${name} (${doc.events.length}` +
            ` events, ${doc.runs.length} run(s)) to <#${command.channel_id}>.`,
        ),
      );
    } catch (err) {
      await replyWithError(deps, respond, err, 'building the timeline');
    }
  };
}
