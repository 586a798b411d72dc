/** `rewind abandon <app> --env <env> --confirm`: a held emergency run resumes auto-sync and Git wins. */
import type { Command } from 'commander';
import type { CommandEnv } from '../action.js';
import { addHold } from './hold.js';

export const addAbandon = (program: Command, env: CommandEnv): void =>
  addHold(
    program,
    env,
    'abandon',
    'a held emergency run: resume auto-sync now and let Git undo the live change (needs --confirm)',
  );
