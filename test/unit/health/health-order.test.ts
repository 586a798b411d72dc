import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessAll, HEALTH_ORDER, isWorse, worst } from '../../../src/lib/health/index.js';

describe('health order (gitops-engine healthOrder)', () => {
  it('orders codes from most to least healthy', () => {
    assert.deepEqual(HEALTH_ORDER, ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown']);
  });
  it('isWorse compares by that order', () => {
    assert.equal(isWorse('Progressing', 'Degraded'), true);
    assert.equal(isWorse('Degraded', 'Missing'), false);
    assert.equal(isWorse('Degraded', 'Unknown'), true);
  });
  it('worst picks the least healthy, Healthy for nothing', () => {
    assert.equal(worst([]), 'Healthy');
    assert.equal(worst(['Healthy', 'Missing', 'Progressing']), 'Missing');
    assert.equal(worst(['Suspended', 'Healthy']), 'Suspended');
  });
  it('assessAll skips objects without health and keeps the worst message', () => {
    assert.deepEqual(assessAll([undefined, { code: 'Healthy', message: '' }, { code: 'Degraded', message: 'boom' }]), {
      code: 'Degraded',
      message: 'boom',
    });
    assert.deepEqual(assessAll([undefined]), { code: 'Healthy', message: '' });
  });
});
