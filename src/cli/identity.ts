/**
 * Who is running the CLI: `--as`, else REWIND_USER, else the OS user name. The name must be a
 * person in rewind.yaml; what they may do is then decided by src/runs.ts, as for Slack.
 */
import { userInfo } from 'node:os';
import type { RewindConfig } from '../config/schema.js';
import { person } from '../runs.js';
import type { PersonRef } from '../../workflows/types.js';

export function cliHandle(as: string | undefined, env: NodeJS.ProcessEnv = process.env, osUser: () => string = () => userInfo().username): string {
  const fromFlag = as?.trim();
  if (fromFlag) return fromFlag;
  const fromEnv = env.REWIND_USER?.trim();
  if (fromEnv) return fromEnv;
  return osUser();
}

/** @throws RefusedError (not-authorized) when the handle is not under people: in rewind.yaml. */
export function cliPerson(cfg: RewindConfig, as: string | undefined, env: NodeJS.ProcessEnv = process.env, osUser?: () => string): PersonRef {
  return person(cfg, cliHandle(as, env, osUser));
}
