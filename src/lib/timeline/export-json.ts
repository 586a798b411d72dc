/** The document as JSON: validated first, so a file on disk always obeys rewind.timeline/v1. */
import type { TimelineDocument } from './model.js';
import { validateTimelineDocument } from './schema.js';

/** Thrown when a document about to be exported breaks the schema rules (a bug in rewind, not bad input). */
export class InvalidTimelineError extends Error {
  constructor(readonly issues: string[]) {
    super(`timeline document breaks rewind.timeline/v1: ${issues.slice(0, 5).join('; ')}`);
    this.name = 'InvalidTimelineError';
  }
}

export function exportJson(doc: TimelineDocument): string {
  const v = validateTimelineDocument(doc);
  if (!v.ok) throw new InvalidTimelineError(v.issues);
  return `${JSON.stringify(doc, null, 2)}\n`;
}
