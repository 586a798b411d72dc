/**
 * Post-incident timelines: build a versioned TimelineDocument (./model.ts) for a run or an
 * incident from Temporal (queries or history), Kubernetes Events and the config repo, and export
 * it as Markdown, JSON or SVG.
 *
 * ```ts
 * const doc = await incidentTimelineDocument({ rw }, 'INC-42');
 * await writeFile('INC-42.md', exportTimeline(doc, 'md'));
 * ```
 */
import { exportJson } from './export-json.js';
import { exportMarkdown } from './export-markdown.js';
import { exportSvg } from './export-svg.js';
import type { TimelineDocument } from './model.js';
import { resolveTimelineTarget, type TimelineTarget } from './target.js';
import { incidentTimelineDocument, runTimelineDocument, type TimelineDeps, type TimelineOptions } from './build.js';
import type { TimelineFormat } from './formats.js';

export { TIMELINE_FORMATS, type TimelineFormat } from './formats.js';

export function exportTimeline(doc: TimelineDocument, format: TimelineFormat): string {
  switch (format) {
    case 'md':
      return exportMarkdown(doc);
    case 'json':
      return exportJson(doc);
    case 'svg':
      return exportSvg(doc);
  }
}

export function timelineDocument(
  deps: TimelineDeps,
  target: TimelineTarget,
  opts: TimelineOptions = {},
): Promise<TimelineDocument> {
  return target.kind === 'incident'
    ? incidentTimelineDocument(deps, target.incidentId, opts)
    : runTimelineDocument(deps, target.workflowId, target.runId, opts);
}

export { resolveTimelineTarget, type TimelineTarget };
export {
  incidentTimelineDocument,
  readRun,
  runTimelineDocument,
  type RunSource,
  type TimelineDeps,
  type TimelineOptions,
} from './build.js';
export { validateTimelineDocument } from './schema.js';
export type { TimelineDocument } from './model.js';
