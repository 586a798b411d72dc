/**
 * Where the CLI writes, and its exit codes. Results go to `out` (stdout), everything meant for
 * the person at the terminal to `err` (stderr), so `--json` output stays machine-readable.
 */
import { createInterface } from 'node:readline/promises';
import type { RunPhase } from '../../../workflows/types.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Asks the person at the terminal and resolves to their answer; absent when nobody can answer (no terminal). */
  ask?(question: string): Promise<string>;
}

/** The question goes to stderr, so stdout stays the command's result. */
async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export const processIo: Io = {
  out: (text) => {
    process.stdout.write(`${text}\n`);
  },
  err: (text) => {
    process.stderr.write(`${text}\n`);
  },
  ...(process.stdin.isTTY && process.stderr.isTTY ? { ask: askOnTerminal } : {}),
};

export const EXIT = {
  /** Restored or resolved, or the command did what it was asked. */
  ok: 0,
  /** Refused, failed, cancelled, rejected, expired or abandoned. */
  failed: 1,
  /**
   * The run finished but service is NOT restored (the regression may be in the environment), or
   * an emergency run holds auto-sync paused until a person resolves or abandons it.
   */
  notRestored: 2,
  /** Stopped watching with Ctrl-C; the run goes on. */
  interrupted: 130,
} as const;

/**
 * Phases where a watcher stops although the run goes on: a held emergency run waits for a
 * person (resolve or abandon), possibly for hours, reminding the channel meanwhile.
 */
export const NEEDS_A_PERSON_PHASES: readonly RunPhase[] = ['held-paused'];

export function exitCodeFor(phase: RunPhase): number {
  if (phase === 'restored' || phase === 'resolved') return EXIT.ok;
  if (phase === 'not-restored' || phase === 'held-paused') return EXIT.notRestored;
  return EXIT.failed;
}
