/**
 * `rewind config schema`: prints the JSON Schema of rewind.yaml, generated from the validator rewind
 * itself loads the file with (src/lib/config/json-schema.ts). Needs no config file and no Temporal, so
 * CI and editors can use it anywhere: `rewind config schema > rewind.schema.json`.
 */
import type { Command } from 'commander';
import type { CommandEnv } from '../action.js';
import { EXIT } from '../io.js';

export function addConfigSchema(program: Command, env: CommandEnv): void {
  // `config` may already hold other subcommands (validate, …): join it rather than redefine it.
  const config =
    program.commands.find((c) => c.name() === 'config') ?? program.command('config').description('rewind.yaml tools');
  config
    .command('schema')
    .description('print the JSON Schema of rewind.yaml (draft 2020-12)')
    .action(async () => {
      const { configJsonSchema } = await import('../../../lib/config/json-schema.js');
      env.io.out(JSON.stringify(configJsonSchema(), null, 2));
      env.exit(EXIT.ok);
    });
  // runCli sets exitOverride on top-level commands only; a nested one needs its own.
  for (const c of config.commands) c.exitOverride();
}
