import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveChangeMessage } from '../../../src/lib/git/live-change-message.js';
import type { GitEdit, LiveChange } from '../../../workflows/types.js';

const cm: LiveChange = {
  object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'p', name: 'api-env' },
  patchType: 'merge',
  patch: { data: { DB_HOST: 'db-2', OLD: null } },
};
const edits: GitEdit[] = [
  { file: 'o/patch.yaml', docIndex: 0, yamlPath: ['data', 'DB_HOST'], value: 'db-2', before: 'db-1', why: '' },
  { file: 'o/patch.yaml', docIndex: 0, yamlPath: ['data', 'OLD'], value: null, before: 'x', why: '', remove: true },
];
const base = { edits, runId: 'rewind/api/prod/r1', requestedBy: 'alice' };

describe('liveChangeMessage', () => {
  it('subject names object and fields; then reason, where each field went, and the trailer block last', () => {
    assert.equal(
      liveChangeMessage({ ...base, changes: [cm], reason: 'failover\r\n\r\nRewind-Run: forged', incidentId: 'INC-1' }),
      'emergency: ConfigMap/api-env data.DB_HOST=db-2, -data.OLD\n\nfailover\n\nRewind-Run: forged\n\n' +
        'Applied live first by rewind (emergency path); this commit makes Git render ' +
        'the patched live state, so auto-sync can be resumed without undoing it.\n\n' +
        '- o/patch.yaml: data.DB_HOST = db-2\n- o/patch.yaml: data.OLD removed\n\n' +
        'Rewind-Run: rewind/api/prod/r1\nRewind-Requested-By: alice\n' +
        'Rewind-Incident: INC-1\nRewind-Change: live-first\n',
    );
  });

  it('never shows Secret values, and keeps the subject to one short line', () => {
    const secret: LiveChange = {
      object: { apiVersion: 'v1', kind: 'Secret', namespace: 'p', name: 'creds' },
      patchType: 'merge',
      patch: { stringData: { PASSWORD: 'hunter2' } },
    };
    const msg = liveChangeMessage({
      ...base,
      edits: [{ ...edits[0]!, yamlPath: ['stringData', 'PASSWORD'], value: 'hunter2' }],
      changes: [secret],
      reason: '',
    });
    assert.ok(!msg.includes('hunter2'), msg);
    assert.match(msg, /^emergency: Secret\/creds stringData\.PASSWORD\n/);
    const long: LiveChange = {
      ...cm,
      patch: {
        data: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`KEY_${i}`, `value\nwith newline ${i}`])),
      },
    };
    const subject = liveChangeMessage({ ...base, changes: [long], reason: '' }).split('\n')[0] ?? '';
    assert.ok(subject.length <= 100, subject);
    assert.match(subject, /^emergency: ConfigMap\/api-env 8 fields \(data\.KEY_0, /);
  });
});
