/**
 * Names and times of drill Schedules, apart from ./schedules.ts so that the CLI can define and
 * print them without loading the Temporal client.
 */
export const SCHEDULE_PREFIX = 'rewind-drill-';

/** 2026-03-03T11:00:00.000Z → 2026-03-03 11:00Z: fire times are on the minute. */
export const shortTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
