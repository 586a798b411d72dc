/**
 * Runbooks are procedures as data: YAML files in runbooks/, validated at load (the step library,
 * each step's parameters, the order rules of ./invariants.ts), then snapshotted into the
 * workflow input when a run starts. Every error names the file, the line and the step.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNode } from 'yaml';
import { z } from 'zod';
import { STEP_KINDS, type RunbookSnapshot, type RunbookStep, type StepKind } from '../../../workflows/types.js';
import { issueText } from '../config/issue-text.js';
import { readYaml, YamlReadError, type ReadYaml } from '../config/yaml-limits.js';
import { didYouMean } from '../did-you-mean.js';
import { shown } from '../input-limits.js';
import { invariantViolations } from './invariants.js';
import { paramKeys, STEP_PARAMS } from './step-params.js';

/**
 * runbooks/ of the checkout (src/lib/runbooks → ../../../runbooks) or of the built image
 * (dist/src/lib/runbooks → ../../../../runbooks); REWIND_RUNBOOK_DIR wins when set.
 */
export const RUNBOOK_DIR = ((): string => {
  const candidates = [
    process.env.REWIND_RUNBOOK_DIR,
    fileURLToPath(new URL('../../../runbooks/', import.meta.url)),
    fileURLToPath(new URL('../../../../runbooks/', import.meta.url)),
  ];
  const found = candidates.find((d): d is string => !!d && existsSync(path.join(d, 'rollback.yaml')));
  return `${(found ?? candidates[1]!).replace(/\/$/, '')}/`;
})();

const stepSchema = z.strictObject({
  step: z.enum(STEP_KINDS),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'expected a kebab-case step name')
    .max(63)
    .optional(),
  with: z.record(z.string(), z.unknown()).default({}),
});

const runbookSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  description: z.string().min(1),
  version: z.number().int().min(1),
  steps: z.array(stepSchema).min(1).max(100),
});

/** Thrown when a runbook file is not valid; the message names the file, the line, the step and the fix. */
export class RunbookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunbookError';
  }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function parseRunbook(text: string, file: string): RunbookSnapshot {
  let yaml: ReadYaml;
  try {
    yaml = readYaml(text);
  } catch (err) {
    if (err instanceof YamlReadError) {
      const p = err.problems[0]!;
      throw new RunbookError(
        `${file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}: invalid YAML: ${p.message}. Fix: ${p.fix}`,
      );
    }
    throw err;
  }
  const where = (keys: Array<string | number>) => {
    let node: unknown = yaml.doc.getIn(keys, true);
    for (let n = keys.length - 1; !isNode(node) && n >= 0; n--) node = yaml.doc.getIn(keys.slice(0, n), true);
    const at = yaml.at(isNode(node) ? node.range?.[0] : undefined);
    return `${file}${at.line ? `:${at.line}:${at.column}` : ''}`;
  };
  const parsed = runbookSchema.safeParse(yaml.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.path as Array<string | number>;
    let message = `${issueText(issue)}.`;
    if (issue.code === 'invalid_value' && keys.at(-1) === 'step') {
      const typed = String(yaml.doc.getIn(keys) ?? '');
      message =
        `unknown step ${shown(typed, 40)}${didYouMean(typed, STEP_KINDS)}` + `. Known steps: ${STEP_KINDS.join(', ')}.`;
    }
    throw new RunbookError(`${where(keys)}: ${keys.join('.') || '(top level)'}: ${message}`);
  }
  const problems: string[] = [];
  const steps: RunbookStep[] = parsed.data.steps.map((s, i) => {
    const name = s.name ?? kebab(s.step);
    const params = STEP_PARAMS[s.step].safeParse(s.with);
    if (!params.success) {
      for (const issue of params.error.issues) {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        const known = paramKeys(s.step as StepKind);
        const message = keys.length
          ? `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` +
            `; ${s.step} takes ${known.length ? known.join(', ') : 'no parameters'}`
          : issueText(issue);
        problems.push(
          `${where(['steps', i, 'with', ...(issue.path as Array<string | number>)])}: step "${name}" ` +
            `(${s.step}): with${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${message}`,
        );
      }
      return { kind: s.step, name, with: {} };
    }
    return { kind: s.step, name, with: params.data as RunbookStep['with'] };
  });
  if (problems.length) throw new RunbookError(problems.join('\n'));
  const dup = steps.findIndex((s, i) => steps.findIndex((t) => t.name === s.name) !== i);
  if (dup >= 0)
    throw new RunbookError(
      `${where(['steps', dup])}: step name "${steps[dup]!.name}" is used twice; give one of them a distinct name`,
    );
  const violations = invariantViolations(steps);
  if (violations.length)
    throw new RunbookError(violations.map((v) => `${where(['steps', v.step])}: ${v.message}`).join('\n'));
  return { name: parsed.data.name, description: parsed.data.description, version: parsed.data.version, steps };
}

export async function loadRunbook(name: string, dir = RUNBOOK_DIR): Promise<RunbookSnapshot> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new RunbookError(`"${name}" is not a runbook name`);
  const file = `${dir}${name}.yaml`;
  const text = await readFile(file, 'utf8').catch(() => {
    throw new RunbookError(`no runbook "${name}" in ${dir}`);
  });
  const runbook = parseRunbook(text, file);
  if (runbook.name !== name)
    throw new RunbookError(`${file}: name is "${runbook.name}" but the file is ${name}.yaml; make them match`);
  return runbook;
}
