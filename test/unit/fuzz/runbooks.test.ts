/**
 * Fuzz: several hundred mutations of the shipped runbooks (steps moved, dropped, doubled,
 * renamed, given parameters; the text cut or bloated) through the loader. Each is either refused
 * with a RunbookError that names the file (and the line), or accepted, and then the runbook keeps
 * the order rules and parameter types, checked here independently of src/lib/runbooks.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { parseRunbook, RunbookError } from '../../../src/lib/runbooks/load.js';
import { STEP_KINDS, type RunbookSnapshot } from '../../../workflows/types.js';
import { LEAKS, PROTOTYPE_KEYS } from '../support/entry-config.js';
import { fuzz, fuzzSeed, randomText, type Rng } from './prng.js';

const CASES = 400;
const FILES = ['rollback', 'emergency-change'] as const;
const texts = Object.fromEntries(
  await Promise.all(
    FILES.map(
      async (f) => [f, await readFile(new URL(`../../../runbooks/${f}.yaml`, import.meta.url), 'utf8')] as const,
    ),
  ),
) as Record<(typeof FILES)[number], string>;

const PARAMS = [
  'leaseHours',
  'holdSeconds',
  'remindEveryMinutes',
  'timeoutMinutes',
  'pollSeconds',
  'message',
  'beforeApproval',
  'timeoutMinute',
  'when',
  ...PROTOTYPE_KEYS,
];
const VALUES: unknown[] = [
  1,
  4,
  0,
  -1,
  -0.5,
  1e9,
  0.001,
  'abc',
  '15',
  '',
  true,
  null,
  [],
  {},
  'a'.repeat(600),
  'it is safe because the engine only reads Git sooner',
  Number.NaN,
];

type Step = Record<string, unknown>;

function mutate(r: Rng): { file: string; text: string } {
  const name = r.pick(FILES);
  const file = `runbooks/${name}.yaml`;
  if (r.chance(0.15)) {
    // the text itself
    const t = texts[name];
    const at = r.int(t.length);
    return { file, text: r.chance(0.5) ? t.slice(0, at) : `${t.slice(0, at)}${randomText(r, 30)}${t.slice(at)}` };
  }
  const doc = parse(texts[name]) as { steps: Step[] } & Record<string, unknown>;
  const steps = doc.steps;
  const times = 1 + r.int(3);
  for (let n = 0; n < times; n++) {
    const i = r.int(steps.length);
    switch (r.int(9)) {
      case 0: {
        const j = r.int(steps.length);
        [steps[i], steps[j]] = [steps[j]!, steps[i]!];
        break;
      }
      case 1:
        steps.splice(i, 1);
        break;
      case 2:
        steps.splice(i, 0, { ...steps[i] });
        break;
      case 3:
        steps.splice(i, 0, { step: r.pick([...STEP_KINDS, 'revertPromoton', 'sleep', ...PROTOTYPE_KEYS]) });
        break;
      case 4:
        steps[i] = { ...steps[i], step: r.pick(STEP_KINDS) };
        break;
      case 5:
        steps[i] = {
          ...steps[i],
          with: { ...(steps[i]?.with as object | undefined), [r.pick(PARAMS)]: r.pick(VALUES) },
        };
        break;
      case 6:
        steps[i] = {
          ...steps[i],
          name: r.pick(['plan', 'approve', 'x', 'Bad Name', '', 'constructor', randomText(r, 10)]),
        };
        break;
      case 7:
        doc[r.pick(['name', 'description', 'version', 'steps', 'extra'])] = r.pick(VALUES);
        break;
      default: {
        const from = r.int(steps.length);
        const [s] = steps.splice(from, 1);
        steps.splice(r.int(steps.length + 1), 0, s!);
      }
    }
  }
  return { file, text: stringify(doc) };
}

const SIDE_EFFECTS = [
  'revertPromotion',
  'landPullRequest',
  'pauseAutoSync',
  'patchLive',
  'commitToGit',
  'resumeAutoSync',
  'refresh',
];

/** The order rules and parameter types, checked on an accepted runbook without src/lib/runbooks. */
function checkAccepted(rb: RunbookSnapshot): void {
  const kinds = rb.steps.map((s) => s.kind);
  const approve = kinds.indexOf('approve');
  rb.steps.forEach((s, i) => {
    if (SIDE_EFFECTS.includes(s.kind))
      assert.ok(
        (approve >= 0 && i > approve) || typeof s.with.beforeApproval === 'string',
        `${s.name} after approval or waived`,
      );
    for (const [k, v] of Object.entries(s.with)) {
      if (k === 'message' || k === 'beforeApproval') assert.equal(typeof v, 'string');
      else assert.ok(typeof v === 'number' && v > 0 && Number.isFinite(v), `${s.name}.${k} = ${String(v)}`);
      assert.ok(!PROTOTYPE_KEYS.includes(k), k);
    }
  });
  const pauses = kinds.flatMap((k, i) => (k === 'pauseAutoSync' ? [i] : []));
  const resumes = kinds.flatMap((k, i) => (k === 'resumeAutoSync' ? [i] : []));
  assert.ok(pauses.length <= 1 && resumes.length === pauses.length, 'one pause, one resume');
  for (const [i, k] of kinds.entries()) if (k === 'patchLive') assert.ok(pauses[0]! < i, 'patch after pause');
  if (pauses.length) {
    const [p, r] = [pauses[0]!, resumes[0]!];
    assert.ok(p < r, 'resume after pause');
    for (const gate of ['waitForGitToMatchLive', 'awaitEngineRevision'])
      assert.ok(kinds.slice(p + 1, r).includes(gate as never), `${gate} before resume`);
  }
  assert.equal(new Set(rb.steps.map((s) => s.name)).size, rb.steps.length, 'unique names');
}

describe('fuzz: runbooks', () => {
  it('the shipped runbooks load', () => {
    for (const f of FILES) checkAccepted(parseRunbook(texts[f], `runbooks/${f}.yaml`));
  });

  it(
    `${CASES} mutations of runbooks/*.yaml: a RunbookError ` +
      `naming file and step, or a runbook that keeps the rules`,
    async (t) => {
      const seed = fuzzSeed(20_260_400);
      let refused = 0;
      await fuzz('runbooks', seed, CASES, mutate, ({ file, text }) => {
        let rb: RunbookSnapshot;
        try {
          rb = parseRunbook(text, file);
        } catch (err) {
          assert.ok(
            err instanceof RunbookError,
            `only RunbookError, got ${(err as Error).name}: ${(err as Error).message}`,
          );
          assert.ok(err.message.startsWith(`${file}`), err.message);
          assert.doesNotMatch(err.message, LEAKS, err.message);
          refused++;
          return;
        }
        checkAccepted(rb);
      });
      t.diagnostic(`seed ${seed}: ${refused} refused, ${CASES - refused} accepted`);
    },
  );
});
