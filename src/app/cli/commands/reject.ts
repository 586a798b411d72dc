/** `rewind reject <app>`: reject the run waiting on that app and environment; nothing changes. */
import type { Command } from 'commander';
import type { CommandEnv } from '../action.js';
import { addDecision } from './decision.js';

export const addReject = (program: Command, env: CommandEnv): void =>
  addDecision(program, env, 'reject', 'reject the run of an app that is waiting for approval; nothing is changed');
