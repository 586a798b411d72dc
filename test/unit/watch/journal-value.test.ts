import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { journalValue, MAX_VALUE_CHARS } from '../../../activities/watch/journal-value.js';

const sha8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

describe('journalValue', () => {
  it('never keeps a Secret value: a digest of the decoded bytes instead, the same for data and stringData', () => {
    const b64 = Buffer.from('hunter2').toString('base64');
    const v = journalValue('Secret', ['data', 'password'], b64);
    assert.equal(v, `(secret value, sha256 ${sha8('hunter2')})`);
    assert.equal(journalValue('Secret', ['stringData', 'password'], 'hunter2'), v);
    assert.doesNotMatch(String(v), /hunter2|aHVudGVyMg/);
    assert.equal(journalValue('Secret', ['data', 'password'], undefined), undefined, 'an absent field stays absent');
  });
  it('keeps non-data Secret fields and other kinds as they are', () => {
    assert.equal(journalValue('Secret', ['metadata', 'labels', 'team'], 'ops'), 'ops');
    assert.equal(journalValue('ConfigMap', ['data', 'DB_HOST'], 'db-prod-2.internal'), 'db-prod-2.internal');
    assert.equal(journalValue('Deployment', ['spec', 'replicas'], 3), 3);
  });
  it('cuts long values with a marker', () => {
    const long = 'x'.repeat(2000);
    const v = String(journalValue('ConfigMap', ['data', 'big'], long));
    assert.ok(v.startsWith('x'.repeat(MAX_VALUE_CHARS)));
    assert.match(v, /… \(truncated, 2000 chars\)$/);
    assert.match(
      String(journalValue('Deployment', ['spec', 'x'], { a: 'y'.repeat(600) })),
      /^\{"a":"y+… \(truncated, 608 chars\)$/,
    );
  });
});
