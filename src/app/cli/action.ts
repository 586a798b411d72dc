/**
 * Runs one command's body and turns its outcome into an exit code: refusals, config errors and
 * unreadable changes are printed as they are (their messages say what to do), anything else
 * briefly, and the Temporal connection is always closed.
 */
import type { RewindConfig } from '../../lib/config/schema.js';
import { printable } from '../../lib/input-limits.js';
import type { CliContext } from './context.js';
import { EXIT, type Io } from './io.js';

// The config loader (zod, yaml) and the Temporal client are loaded when a command runs, not when
// the program is defined: `rewind --help` needs neither.
const loadConfig = async () => (await import('../../lib/config/load.js')).loadConfig();

export interface CommandEnv {
  io: Io;
  /** Records the exit code of the command that ran. */
  exit(code: number): void;
  /** Connects to Temporal; tests give a fake client here. @default openRewind */
  open?: (cfg: RewindConfig) => Promise<CliContext>;
}

/**
 * Loads rewind.yaml, runs `before` (every check that needs no Temporal: the target, the texts, who
 * the person is), connects, runs `body`, and records its exit code.
 */
export async function withRewind(
  env: CommandEnv,
  body: (ctx: CliContext & { cfg: RewindConfig }) => Promise<number>,
  before?: (cfg: RewindConfig) => void | Promise<void>,
): Promise<void> {
  let ctx: CliContext | undefined;
  try {
    const cfg = await loadConfig();
    await before?.(cfg);
    ctx = await (env.open ?? (await import('./context.js')).openRewind)(cfg);
    env.exit(await body({ ...ctx, cfg }));
  } catch (err) {
    env.exit(EXIT.failed);
    // Messages may quote what was typed (refusals and config errors say what to do): never let a
    // control character reach the terminal as itself.
    env.io.err(`rewind: ${printable(err instanceof Error ? err.message : String(err))}`);
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

/** For commands that need only rewind.yaml (and the clusters it names), not Temporal. */
export async function withConfig(env: CommandEnv, body: (cfg: RewindConfig) => Promise<number>): Promise<void> {
  try {
    env.exit(await body(await loadConfig()));
  } catch (err) {
    env.exit(EXIT.failed);
    env.io.err(`rewind: ${printable(err instanceof Error ? err.message : String(err))}`);
  }
}
