/**
 * The export formats of a timeline, apart from ./index.ts so that `rewind --help` can name them
 * without loading the builders.
 */
export const TIMELINE_FORMATS = ['md', 'json', 'svg'] as const;
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number];
