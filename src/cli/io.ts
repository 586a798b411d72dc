/**
 * Where the CLI writes, and its exit codes. Results go to `out` (stdout), everything meant for
 * the person at the terminal to `err` (stderr), so `--json` output stays machine-readable.
 */
import type { RunPhase } from '../../workflows/types.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => { process.stdout.write(`${text}\n`); },
  err: (text) => { process.stderr.write(`${text}\n`); },
};

export const EXIT = {
  /** Restored, or the command did what it was asked. */
  ok: 0,
  /** Refused, failed, cancelled, rejected or expired. */
  failed: 1,
  /** The run finished but service is NOT restored (the regression may be in the environment). */
  notRestored: 2,
  /** Stopped watching with Ctrl-C; the run goes on. */
  interrupted: 130,
} as const;

export const TERMINAL_PHASES: readonly RunPhase[] = ['restored', 'not-restored', 'failed', 'cancelled', 'rejected', 'expired'];

export function exitCodeFor(phase: RunPhase): number {
  if (phase === 'restored') return EXIT.ok;
  if (phase === 'not-restored') return EXIT.notRestored;
  return EXIT.failed;
}
