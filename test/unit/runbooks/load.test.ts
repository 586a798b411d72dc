import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRunbook, parseRunbook, RunbookError } from '../../../src/lib/runbooks/load.js';
import { STEP_KINDS } from '../../../workflows/types.js';

describe('runbooks', () => {
  it('loads the shipped runbooks as snapshots of typed steps', async () => {
    const rollback = await loadRunbook('rollback');
    assert.deepEqual(
      rollback.steps.map((s) => [s.kind, s.name]),
      [
        ['planRollback', 'plan'],
        ['approve', 'approve'],
        ['revertPromotion', 'revert'],
        ['landPullRequest', 'pull-request'],
        ['refresh', 'refresh'],
        ['waitForSynced', 'wait-for-sync'],
        ['verifyHealth', 'verify-health'],
      ],
    );
    const emergency = await loadRunbook('emergency-change');
    assert.deepEqual(emergency.steps.find((s) => s.kind === 'pauseAutoSync')!.with, {
      leaseHours: 4,
      holdSeconds: 3,
      remindEveryMinutes: 15,
    });
    assert.ok(emergency.steps.every((s) => (STEP_KINDS as readonly string[]).includes(s.kind)));
  });

  it('refuses an unknown step, naming the file, the place and the known steps', () => {
    assert.throws(
      () => parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: revertPromoton\n', 'runbooks/x.yaml'),
      (e: Error) =>
        e instanceof RunbookError &&
        /runbooks\/x\.yaml:5:11: steps\.0\.step: unknown step "revertPromoton" \(did you mean "revertPromotion"\?\)\. Known steps: planRollback, approve/.test(
          e.message,
        ),
    );
  });

  it('refuses broken YAML, unknown keys, duplicate step names and a name that does not match the file', async () => {
    assert.throws(() => parseRunbook('name: [x\n', 'r.yaml'), /r\.yaml:2:1: invalid YAML/);
    assert.throws(
      () =>
        parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: approve\n    when: always\n', 'r.yaml'),
      /steps\.0: Unrecognized key: "when"/,
    );
    assert.throws(
      () =>
        parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: approve\n  - step: approve\n', 'r.yaml'),
      /step name "approve" is used twice/,
    );
    await assert.rejects(loadRunbook('../etc/passwd'), /is not a runbook name/);
    await assert.rejects(loadRunbook('nope'), /no runbook "nope"/);
  });
});

const runbook = (steps: string) => `name: x\ndescription: d\nversion: 1\nsteps:\n${steps}`;
const refuses = (steps: string, re: RegExp) =>
  assert.throws(
    () => parseRunbook(runbook(steps), 'runbooks/x.yaml'),
    (e: Error) => e instanceof RunbookError && re.test(e.message),
    re.source,
  );

describe('runbook step parameters: one schema per step kind', () => {
  it('types, ranges and unknown keys, naming the file, line and step', () => {
    refuses(
      '  - step: approve\n  - step: pauseAutoSync\n    with: { remindEveryMinutes: abc }\n  - step: resumeAutoSync\n',
      /runbooks\/x\.yaml:7:\d+: step "pause-auto-sync" \(pauseAutoSync\): with\.remindEveryMinutes: remindEveryMinutes must be a number \(of minutes\)/,
    );
    refuses(
      '  - step: approve\n  - step: pauseAutoSync\n    with: { leaseHours: -4 }\n',
      /with\.leaseHours: leaseHours must be more than 0 hours/,
    );
    refuses(
      '  - step: approve\n  - step: pauseAutoSync\n    with: { holdSeconds: 0 }\n',
      /holdSeconds must be more than 0 seconds/,
    );
    refuses(
      '  - step: approve\n  - step: pauseAutoSync\n    with: { leaseHours: 1000 }\n',
      /leaseHours must be at most 168 hours/,
    );
    refuses('  - step: waitForGitToMatchLive\n    with: { timeoutMinutes: "30" }\n', /timeoutMinutes must be a number/);
    refuses(
      '  - step: waitForGitToMatchLive\n    with: { timeoutMinutes: 1, pollSeconds: 120 }\n',
      /pollSeconds must not be longer than timeoutMinutes/,
    );
    refuses(
      '  - step: awaitEngineRevision\n    with: { timeoutMinute: 5 }\n',
      /step "await-engine-revision" \(awaitEngineRevision\): with: unknown parameter "timeoutMinute"; awaitEngineRevision takes timeoutMinutes/,
    );
    refuses(
      '  - step: verifyHealth\n    with: { windowSeconds: 5 }\n',
      /unknown parameter "windowSeconds"; verifyHealth takes no parameters/,
    );
    refuses('  - step: notify\n    with: { message: "" }\n', /message must not be empty/);
    refuses('  - step: notify\n    with: { message: [a, b] }\n', /with\.message: /);
  });

  it('the shipped runbooks keep their parameters', async () => {
    const emergency = await loadRunbook('emergency-change');
    assert.deepEqual(emergency.steps.find((s) => s.kind === 'waitForGitToMatchLive')!.with, {
      timeoutMinutes: 30,
      pollSeconds: 10,
    });
    assert.deepEqual(emergency.steps.find((s) => s.kind === 'awaitEngineRevision')!.with, { timeoutMinutes: 10 });
  });
});

describe('runbook invariants checked at load', () => {
  const emergency = [
    'planEmergency',
    'approve',
    'pauseAutoSync',
    'patchLive',
    'verifyHealth',
    'commitToGit',
    'waitForGitToMatchLive',
    'awaitEngineRevision',
    'resumeAutoSync',
    'refresh',
    'waitForSynced',
    'verifyHealth:verify-again',
  ];
  const steps = (kinds: string[]) =>
    kinds
      .map((k) => {
        const [kind, name] = k.split(':');
        return `  - step: ${kind}${name ? `\n    name: ${name}` : ''}\n`;
      })
      .join('');
  const without = (kind: string) => emergency.filter((k) => k !== kind);
  const move = (kind: string, before: string) => {
    const rest = without(kind);
    rest.splice(rest.indexOf(before), 0, kind);
    return rest;
  };

  it('the well-ordered emergency path loads', () => {
    assert.equal(parseRunbook(runbook(steps(emergency)), 'x.yaml').steps.length, emergency.length);
  });

  it('no side effect before the approval step, or without one', () => {
    refuses(
      steps(
        move('patchLive', 'approve')
          .filter((k) => k !== 'pauseAutoSync')
          .concat([]),
      ),
      /step "patch-live" \(patchLive\) changes things but comes before the approval step "approve"/,
    );
    refuses(
      steps(['planRollback', 'revertPromotion', 'approve', 'waitForSynced']),
      /runbooks\/x\.yaml:6:\d+: step "revert-promotion" \(revertPromotion\) changes things but comes before the approval step "approve" \(approve\); move it after, or waive approval for this step/,
    );
    refuses(
      steps(['planRollback', 'revertPromotion', 'refresh', 'waitForSynced']),
      /step "revert-promotion" \(revertPromotion\) changes things, and the runbook has no approve step/,
    );
    refuses(
      steps(['refresh', 'approve']),
      /step "refresh" \(refresh\) changes things but comes before the approval step/,
    );
    // Reads and notify need no approval.
    assert.doesNotThrow(() =>
      parseRunbook(runbook(steps(['planRollback', 'notify', 'waitForSynced', 'verifyHealth'])), 'x.yaml'),
    );
  });

  it('an explicit waiver lets one side-effect step run before approval, and says why', () => {
    const waived = runbook(
      '  - step: refresh\n    with: { beforeApproval: "a refresh only makes the ' +
        'engine read Git sooner" }\n  - step: approve\n  - step: revertPromotion\n',
    );
    assert.equal(
      parseRunbook(waived, 'x.yaml').steps[0]!.with.beforeApproval,
      'a refresh only makes the engine read Git sooner',
    );
    refuses(
      '  - step: refresh\n    with: { beforeApproval: "ok" }\n  - step: approve\n',
      /beforeApproval must say why this step is safe/,
    );
    refuses(
      '  - step: approve\n    with: { beforeApproval: "approval waives itself" }\n',
      /unknown parameter "beforeApproval"; approve takes no parameters/,
    );
  });

  it('patchLive only after pauseAutoSync', () => {
    refuses(
      steps(move('patchLive', 'pauseAutoSync')),
      /step "patch-live" \(patchLive\) patches live objects before "pause-auto-sync" \(pauseAutoSync\): the engine's self-heal would undo it/,
    );
    refuses(steps(['approve', 'patchLive']), /patches live objects but the runbook never pauses auto-sync/);
  });

  it('resumeAutoSync only after the Git gate and awaitEngineRevision', () => {
    refuses(
      steps(without('waitForGitToMatchLive')),
      /step "resume-auto-sync" \(resumeAutoSync\) resumes auto-sync without a waitForGitToMatchLive step between the pause and it/,
    );
    refuses(
      steps(without('awaitEngineRevision')),
      /without a awaitEngineRevision step between the pause and it; the engine must have fetched the commit/,
    );
    refuses(steps(move('resumeAutoSync', 'waitForGitToMatchLive')), /without a waitForGitToMatchLive step/);
    refuses(steps(['approve', 'resumeAutoSync']), /resumes auto-sync that the runbook never paused/);
  });

  it('every step after the pause is covered by the held-pause path: one pause, one resume after it', () => {
    refuses(
      steps(without('resumeAutoSync')),
      /step "pause-auto-sync" \(pauseAutoSync\) pauses auto-sync but no resumeAutoSync step follows/,
    );
    refuses(
      steps([...emergency.slice(0, 3), 'pauseAutoSync:pause-again', ...emergency.slice(3)]),
      /step "pause-again" \(pauseAutoSync\) pauses auto-sync a second time/,
    );
    refuses(
      steps([...emergency, 'resumeAutoSync:resume-again']),
      /step "resume-again" \(resumeAutoSync\) resumes auto-sync a second time/,
    );
  });

  it('YAML limits are reported with the file and line', () => {
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    assert.throws(
      () => parseRunbook(bomb, 'runbooks/bomb.yaml'),
      /^RunbookError: runbooks\/bomb\.yaml:4:\d+: invalid YAML: YAML aliases expand to more than 10000 values/,
    );
    assert.throws(
      () => parseRunbook(`steps: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'runbooks/deep.yaml'),
      /^RunbookError: runbooks\/deep\.yaml:1:\d+: invalid YAML: the YAML is nested too deeply/,
    );
  });
});
