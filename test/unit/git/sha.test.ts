import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shaOfRevision } from '../../../src/lib/git/sha.js';

const SHA = '3f2a9c1d4e5f60718293a4b5c6d7e8f901234567';

describe('shaOfRevision', () => {
  it("reads the commit from each engine's revision format", () => {
    assert.equal(shaOfRevision(SHA), SHA); // Argo CD
    assert.equal(shaOfRevision(`main@sha1:${SHA}`), SHA); // Flux v1 APIs
    assert.equal(shaOfRevision(`sha1:${SHA}`), SHA);
    assert.equal(shaOfRevision(`main/${SHA}`), SHA); // Flux's older v1beta2 format
  });
  it('names no commit for a short, missing or run-on sha', () => {
    assert.equal(shaOfRevision(undefined), undefined);
    assert.equal(shaOfRevision(''), undefined);
    assert.equal(shaOfRevision(`main@sha1:${SHA.slice(0, 12)}`), undefined);
    assert.equal(shaOfRevision(`a${SHA}`), undefined);
    assert.equal(shaOfRevision(`${SHA}\n`), undefined);
  });
});
