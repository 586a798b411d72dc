/**
 * Runbooks are procedures as data: YAML files in runbooks/, validated against the step
 * library at load, then snapshotted into the workflow input when a run starts.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { STEP_KINDS, type RunbookSnapshot } from '../../workflows/types.js';

/**
 * runbooks/ of the checkout (src/runbooks → ../../runbooks) or of the built image
 * (dist/src/runbooks → ../../../runbooks); REWIND_RUNBOOK_DIR wins when set.
 */
export const RUNBOOK_DIR = ((): string => {
  const candidates = [process.env.REWIND_RUNBOOK_DIR, fileURLToPath(new URL('../../runbooks/', import.meta.url)), fileURLToPath(new URL('../../../runbooks/', import.meta.url))];
  const found = candidates.find((d): d is string => !!d && existsSync(path.join(d, 'rollback.yaml')));
  return `${(found ?? candidates[1]!).replace(/\/$/, '')}/`;
})();

const stepSchema = z.strictObject({
  step: z.enum(STEP_KINDS),
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a kebab-case step name').optional(),
  with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

const runbookSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string().min(1),
  version: z.number().int().min(1),
  steps: z.array(stepSchema).min(1),
});

/** Thrown when a runbook file is not valid; the message names the file, the step and the fix. */
export class RunbookError extends Error {
  constructor(message: string) { super(message); this.name = 'RunbookError'; }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function parseRunbook(text: string, file: string): RunbookSnapshot {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new RunbookError(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
  const parsed = runbookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const hint = issue.code === 'invalid_value' ? ` Known steps: ${STEP_KINDS.join(', ')}.` : '';
    throw new RunbookError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}.${hint}`);
  }
  const steps = parsed.data.steps.map((s) => ({ kind: s.step, name: s.name ?? kebab(s.step), with: s.with }));
  const dup = steps.find((s, i) => steps.findIndex((t) => t.name === s.name) !== i);
  if (dup) throw new RunbookError(`${file}: step name "${dup.name}" is used twice; give one of them a distinct name`);
  return { name: parsed.data.name, description: parsed.data.description, version: parsed.data.version, steps };
}

export async function loadRunbook(name: string, dir = RUNBOOK_DIR): Promise<RunbookSnapshot> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new RunbookError(`"${name}" is not a runbook name`);
  const file = `${dir}${name}.yaml`;
  const text = await readFile(file, 'utf8').catch(() => { throw new RunbookError(`no runbook "${name}" in ${dir}`); });
  const runbook = parseRunbook(text, file);
  if (runbook.name !== name) throw new RunbookError(`${file}: name is "${runbook.name}" but the file is ${name}.yaml; make them match`);
  return runbook;
}
