import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRunbook, parseRunbook, RunbookError } from '../../../src/runbooks/load.js';
import { STEP_KINDS } from '../../../workflows/types.js';

describe('runbooks', () => {
  it('loads the shipped runbooks as snapshots of typed steps', async () => {
    const rollback = await loadRunbook('rollback');
    assert.deepEqual(rollback.steps.map((s) => [s.kind, s.name]), [
      ['planRollback', 'plan'], ['approve', 'approve'], ['revertPromotion', 'revert'], ['refresh', 'refresh'], ['waitForSynced', 'wait-for-sync'], ['verifyHealth', 'verify-health'],
    ]);
    const emergency = await loadRunbook('emergency-change');
    assert.deepEqual(emergency.steps.find((s) => s.kind === 'pauseAutoSync')!.with, { leaseHours: 4, holdSeconds: 3, remindEveryMinutes: 15 });
    assert.ok(emergency.steps.every((s) => (STEP_KINDS as readonly string[]).includes(s.kind)));
  });

  it('refuses an unknown step, naming the file, the place and the known steps', () => {
    assert.throws(() => parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: revertPromoton\n', 'runbooks/x.yaml'),
      (e: Error) => e instanceof RunbookError && /runbooks\/x\.yaml: steps\.0\.step: .*Known steps: planRollback, approve/.test(e.message));
  });

  it('refuses broken YAML, unknown keys, duplicate step names and a name that does not match the file', async () => {
    assert.throws(() => parseRunbook('name: [x\n', 'r.yaml'), /r\.yaml: invalid YAML/);
    assert.throws(() => parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: approve\n    when: always\n', 'r.yaml'), /steps\.0: Unrecognized key: "when"/);
    assert.throws(() => parseRunbook('name: x\ndescription: d\nversion: 1\nsteps:\n  - step: approve\n  - step: approve\n', 'r.yaml'), /step name "approve" is used twice/);
    await assert.rejects(loadRunbook('../etc/passwd'), /is not a runbook name/);
    await assert.rejects(loadRunbook('nope'), /no runbook "nope"/);
  });
});
