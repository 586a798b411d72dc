/**
 * The CLI in-process with a fake Temporal client: each command runs as `rewind …` would, against
 * a rewind.yaml written to a temporary directory, and what it would have changed in Temporal is
 * recorded (see fake-temporal.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/app/cli/program.js';
import type { RewindConfig } from '../../../src/lib/config/schema.js';
import { fakeTemporal, type FakeTemporal } from './fake-temporal.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  effects: string[];
  connected: boolean;
}

export interface CliHarness {
  run(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

export async function cliHarness(configYaml: string): Promise<CliHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rewind-cli-harness-'));
  const file = path.join(dir, 'rewind.yaml');
  await writeFile(file, configYaml);
  const saved = { REWIND_CONFIG: process.env.REWIND_CONFIG, REWIND_USER: process.env.REWIND_USER };
  return {
    async run(...args) {
      process.env.REWIND_CONFIG = file;
      delete process.env.REWIND_USER;
      const out: string[] = [],
        err: string[] = [];
      let temporal: FakeTemporal | undefined;
      const code = await runCli(
        ['node', 'rewind', ...args],
        { out: (s) => out.push(s), err: (s) => err.push(s) },
        async (cfg: RewindConfig) => {
          temporal = fakeTemporal();
          return { rw: { cfg, client: temporal.client, taskQueue: 'unit' }, close: async () => undefined };
        },
      );
      return {
        code,
        out: out.join('\n'),
        err: err.join('\n'),
        effects: temporal?.effects ?? [],
        connected: temporal !== undefined,
      };
    },
    async close() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
