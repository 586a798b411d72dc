/** `rewind resolve <app> --env <env>`: a held emergency run checks that Git holds the live change, then resumes. */
import type { Command } from 'commander';
import type { CommandEnv } from '../action.js';
import { addHold } from './hold.js';

export const addResolve = (program: Command, env: CommandEnv): void =>
  addHold(
    program,
    env,
    'resolve',
    'a held emergency run: check that Git holds the live change, then resume auto-sync exactly as it was',
  );
