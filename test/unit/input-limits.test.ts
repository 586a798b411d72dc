import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, didYouMean, editDistance } from '../../src/lib/did-you-mean.js';
import { forbiddenChar, shown, TEXT_LIMITS, textFieldError } from '../../src/lib/input-limits.js';

describe('text fields: forbidden characters and one limit per field', () => {
  it(
    'refuses every C0 control (tab and newline included), DEL, ' +
      'C1, line separators, direction overrides and invisible marks',
    () => {
      const forbidden = [
        ...Array.from({ length: 0x20 }, (_, i) => i),
        0x7f,
        ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
        0x2028,
        0x2029,
        0x202a,
        0x202b,
        0x202c,
        0x202d,
        0x202e,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
        0x200b,
        0x200e,
        0x200f,
        0xfeff,
      ];
      for (const cp of forbidden) assert.ok(forbiddenChar(`ok${String.fromCodePoint(cp)}ok`), `U+${cp.toString(16)}`);
      for (const ok of [
        'plain text',
        'ünïcödé ✓ 日本語',
        'emoji 🚑',
        'family 👨\u200d👩\u200d👧',
        'Persian \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
        'quotes "x" \'y\' `z`',
        '5xx > 2% & p99',
      ])
        assert.equal(forbiddenChar(ok), undefined, ok);
    },
  );

  it('names the field, the character and where it is', () => {
    assert.equal(
      textFieldError('reason', 'db\u0000failover'),
      'the reason contains a NUL byte (U+0000) at character 3; write ' +
        'it on one line, without tabs or invisible control characters',
    );
    assert.match(textFieldError('comment', 'a\tb')!, /^the comment contains a tab \(U\+0009\) at character 2/);
    assert.match(
      textFieldError('change', 'a\u202eb', '--change "a…"')!,
      /^--change "a…" contains a text-direction control \(U\+202E\)/,
    );
    assert.match(
      textFieldError('reason', 'x'.repeat(TEXT_LIMITS.reason + 1))!,
      /^the reason is 501 characters; keep it to at most 500$/,
    );
    assert.equal(textFieldError('reason', 'x'.repeat(TEXT_LIMITS.reason)), undefined);
  });

  it('echoes what was typed with controls escaped and long values cut', () => {
    assert.equal(shown('a\u001b[2Jb'), '"a\\u001b[2Jb"');
    assert.equal(shown('x'.repeat(100), 5), '"xxxxx…"');
  });
});

describe('did you mean', () => {
  it('edit distance counts a swap of neighbours as one', () => {
    assert.equal(editDistance('prod', 'prod'), 0);
    assert.equal(editDistance('prdo', 'prod'), 1);
    assert.equal(editDistance('stagin', 'staging'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggests near names only, closest first', () => {
    assert.deepEqual(closest('prdo', ['dev', 'staging', 'prod']), ['prod']);
    assert.deepEqual(closest('stage', ['dev', 'staging', 'prod']), ['staging']);
    assert.deepEqual(closest('db', ['dev', 'staging', 'prod']), [], 'short reason words are not typos of dev');
    assert.deepEqual(closest('5xx', ['dev', 'staging', 'prod']), []);
    assert.equal(didYouMean('user-api', ['users-api', 'billing-worker']), ' (did you mean "users-api"?)');
    assert.equal(didYouMean('zzz', ['users-api']), '');
    assert.equal(didYouMean('prod', ['prod']), '', 'never the word itself');
  });
});
