/** The `rewind` command line: one subcommand per file in ./commands, all through src/lib/runs.ts. */
import { Command, CommanderError } from 'commander';
import type { CommandEnv } from './action.js';
import { addAbandon } from './commands/abandon.js';
import { addApprove } from './commands/approve.js';
import { addCancel } from './commands/cancel.js';
import { addConfigSchema } from './commands/config-schema.js';
import { addDora } from './commands/dora.js';
import { addDrills } from './commands/drills.js';
import { addEmergency } from './commands/emergency.js';
import { addPauses } from './commands/pauses.js';
import { addReject } from './commands/reject.js';
import { addResolve } from './commands/resolve.js';
import { addRollback } from './commands/rollback.js';
import { addStatus } from './commands/status.js';
import { addTimeline } from './commands/timeline.js';
import { printable } from '../../lib/input-limits.js';
import { EXIT, processIo, type Io } from './io.js';

/** @param open how commands reach Temporal; tests pass a fake (the default connects, src/app/cli/context.ts). */
export async function runCli(argv: string[], io: Io = processIo, open?: CommandEnv['open']): Promise<number> {
  let code: number = EXIT.ok;
  const env: CommandEnv = {
    io,
    exit: (c) => {
      code = c;
    },
    ...(open ? { open } : {}),
  };
  const program = new Command('rewind')
    .description('GitOps incident runbooks (rollback, emergency change) as durable Temporal workflows')
    .exitOverride()
    // Commander echoes unknown options and arguments as typed: escape control characters in them.
    .configureOutput({
      writeOut: (s) => io.out(printable(s.trimEnd())),
      writeErr: (s) => io.err(printable(s.trimEnd())),
    });
  addRollback(program, env);
  addStatus(program, env);
  addApprove(program, env);
  addReject(program, env);
  addCancel(program, env);
  addTimeline(program, env);
  addDora(program, env);
  addEmergency(program, env);
  addPauses(program, env);
  addResolve(program, env);
  addAbandon(program, env);
  addDrills(program, env);
  addConfigSchema(program, env);
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return code;
}
