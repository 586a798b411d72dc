/** What one drill run shares between its kind-specific steps, its cleanups and its scorecard. */
import type { TargetSnapshot } from '../types.js';
import type { DrillInput, Scorecard } from './types.js';

export interface Cleanup {
  name: string;
  run: () => Promise<string>;
}

export interface DrillContext {
  input: DrillInput;
  card: Scorecard;
  /** Newest first: pushed by each injection right after it succeeds (the saga pattern). */
  cleanups: Cleanup[];
  /** Unique per drill run; used as the runId of every Git write (idempotent trailers) and refresh tokens. */
  key: string;
  workflowId: string;
}

export function check(ctx: DrillContext, name: string, passed: boolean, detail: string): void {
  ctx.card.checks.push({ name, passed, detail });
}

export function requireTarget(ctx: DrillContext): TargetSnapshot {
  if (!ctx.input.target) throw new Error(`a ${ctx.input.drill.kind} drill needs a target app and environment`);
  return ctx.input.target;
}

export const since = (from: string, to: string | undefined): number | undefined =>
  to ? Date.parse(to) - Date.parse(from) : undefined;
