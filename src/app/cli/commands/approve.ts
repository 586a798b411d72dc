/** `rewind approve <app>`: approve the run waiting on that app and environment. */
import type { Command } from 'commander';
import type { CommandEnv } from '../action.js';
import { addDecision } from './decision.js';

export const addApprove = (program: Command, env: CommandEnv): void =>
  addDecision(program, env, 'approve', 'approve the run of an app that is waiting for approval (not your own)');
