/**
 * The order rules every runbook keeps (DESIGN.md, "Invariants every runbook keeps"), checked on
 * the parsed steps at load so a runbook that would break them never reaches a run:
 *
 * 1. No side-effect step (SIDE_EFFECT_STEPS) before the first `approve` step, and none at all
 *    without one, unless that step waives it explicitly: `with: { beforeApproval: "<why>" }`.
 *    The approval policy of the environment still decides at run time whether anyone must approve.
 * 2. `patchLive` only after `pauseAutoSync`: a live patch with auto-sync on is undone by self-heal.
 * 3. `resumeAutoSync` only after the Git gate (`waitForGitToMatchLive`) and after
 *    `awaitEngineRevision`, both after the pause: resuming before Git holds the change, or before
 *    the engine fetched it, lets the engine flip the patched fields back.
 * 4. The held-pause path covers everything from the pause to the resume: at most one
 *    `pauseAutoSync`, and a runbook that pauses has exactly one `resumeAutoSync`, after it (the
 *    interpreter holds the pause and reminds when any step in between fails).
 */
import type { RunbookStep } from '../../../workflows/types.js';
import { SIDE_EFFECT_STEPS } from './step-params.js';

export interface InvariantViolation {
  step: number;
  message: string;
}

const label = (s: RunbookStep) => `"${s.name}" (${s.kind})`;

export function invariantViolations(steps: readonly RunbookStep[]): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const first = (kind: RunbookStep['kind']) => steps.findIndex((s) => s.kind === kind);
  const all = (kind: RunbookStep['kind']) => steps.flatMap((s, i) => (s.kind === kind ? [i] : []));

  const approve = first('approve');
  steps.forEach((s, i) => {
    if (!(SIDE_EFFECT_STEPS as readonly string[]).includes(s.kind) || (approve >= 0 && i > approve)) return;
    if (typeof s.with.beforeApproval === 'string') return;
    out.push({
      step: i,
      message:
        approve < 0
          ? `step ${label(s)} changes things, and the runbook has no approve step; add "- step: approve" before it`
          : `step ${label(s)} changes things but comes before the approval ` +
            `step ${label(steps[approve]!)}; move it after, or waive approval for ` +
            `this step with with: { beforeApproval: "<why it is safe unapproved>" }`,
    });
  });

  const pauses = all('pauseAutoSync');
  const resumes = all('resumeAutoSync');
  const pause = pauses[0] ?? -1;
  if (pauses.length > 1)
    out.push({
      step: pauses[1]!,
      message:
        `step ${label(steps[pauses[1]!]!)} pauses auto-sync a second ` +
        `time; a runbook pauses once (the held-pause path guards one pause)`,
    });
  for (const i of all('patchLive')) {
    if (pause < 0 || i < pause)
      out.push({
        step: i,
        message:
          `step ${label(steps[i]!)} patches live ` +
          `objects ${pause < 0 ? 'but the runbook never pauses auto-sync' : `before ${label(steps[pause]!)}`}: ` +
          `the engine's self-heal would undo it; put a pauseAutoSync step before it`,
      });
  }
  if (pause >= 0 && resumes.length === 0)
    out.push({
      step: pause,
      message:
        `step ${label(steps[pause]!)} pauses auto-sync but no resumeAutoSync step follows; ` +
        `add one after the Git gate (waitForGitToMatchLive) and awaitEngineRevision`,
    });
  if (resumes.length > 1)
    out.push({
      step: resumes[1]!,
      message: `step ${label(steps[resumes[1]!]!)} resumes auto-sync a second time; a runbook resumes once`,
    });
  const resume = resumes[0];
  if (resume !== undefined) {
    const s = steps[resume]!;
    if (pause < 0 || resume < pause)
      out.push({
        step: resume,
        message:
          `step ${label(s)} resumes auto-sync ` +
          `${pause < 0 ? 'that the runbook never paused' : `before ${label(steps[pause]!)}`}; ` +
          `resume only after the pause`,
      });
    for (const gate of ['waitForGitToMatchLive', 'awaitEngineRevision'] as const) {
      const g = steps.findIndex((x, i) => x.kind === gate && i > pause && i < resume);
      if (g < 0)
        out.push({
          step: resume,
          message:
            `step ${label(s)} resumes auto-sync without a ${gate} step between the pause and it; ` +
            `${
              gate === 'waitForGitToMatchLive'
                ? 'Git must render the live state before the engine manages the app again'
                : 'the engine must have fetched the commit before it may act again'
            }`,
        });
    }
  }
  return out.sort((a, b) => a.step - b.step);
}
