/**
 * Runs one command's body and turns its outcome into an exit code: refusals, config errors and
 * unreadable changes are printed as they are (their messages say what to do), anything else
 * briefly, and the Temporal connection is always closed.
 */
import { ConfigError, loadConfig } from '../config/load.js';
import type { RewindConfig } from '../config/schema.js';
import { RefusedError } from '../runs.js';
import { openRewind, type CliContext } from './context.js';
import { EXIT, type Io } from './io.js';

export interface CommandEnv {
  io: Io;
  /** Records the exit code of the command that ran. */
  exit(code: number): void;
}

export async function withRewind(env: CommandEnv, body: (ctx: CliContext & { cfg: RewindConfig }) => Promise<number>, before?: (cfg: RewindConfig) => void): Promise<void> {
  let ctx: CliContext | undefined;
  try {
    const cfg = await loadConfig();
    before?.(cfg);
    ctx = await openRewind(cfg);
    env.exit(await body({ ...ctx, cfg }));
  } catch (err) {
    env.exit(EXIT.failed);
    if (err instanceof RefusedError || err instanceof ConfigError) env.io.err(`rewind: ${err.message}`);
    else env.io.err(`rewind: ${err instanceof Error ? err.message : String(err)}`);
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
    env.io.err(`rewind: ${err instanceof Error ? err.message : String(err)}`);
  }
}
