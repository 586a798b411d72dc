import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { assessDeployment, assessObject, type HealthCode } from '../../../src/lib/health/index.js';

const fixture = async (name: string) =>
  parse(await readFile(new URL(`../../fixtures/health/${name}.yaml`, import.meta.url), 'utf8'));

/** One fixture per state, as gitops-engine's `assertAppHealth`. */
async function assertHealth(name: string, code: HealthCode, message?: string | RegExp) {
  const h = assessDeployment(await fixture(name));
  assert.equal(h.code, code, `${name}: ${h.message}`);
  if (typeof message === 'string') assert.equal(h.message, message);
  else if (message) assert.match(h.message, message);
}

describe('assessDeployment (kubectl rollout rules, gitops-engine messages)', () => {
  it('healthy when every replica is updated and available', () => assertHealth('deployment-healthy', 'Healthy', ''));
  it('progressing with the available/updated numbers', () =>
    assertHealth(
      'deployment-progressing',
      'Progressing',
      'Waiting for rollout to finish: 1 of 2 updated replicas are available...',
    ));
  it('progressing while old replicas terminate', () =>
    assertHealth(
      'deployment-progressing-old-replicas',
      'Progressing',
      'Waiting for rollout to finish: 1 old replicas are pending termination...',
    ));
  it('progressing while replicas are being updated', () =>
    assertHealth(
      'deployment-progressing-updating',
      'Progressing',
      'Waiting for rollout to finish: 1 out of 2 new replicas have been updated...',
    ));
  it('progressing until the controller observed the generation, whatever the counts say', () =>
    assertHealth(
      'deployment-progressing-generation',
      'Progressing',
      /observed deployment generation less than desired generation/,
    ));
  it('degraded once the progress deadline is exceeded', () =>
    assertHealth('deployment-degraded', 'Degraded', 'Deployment "users-api" exceeded its progress deadline'));
  it('suspended when paused, before any other rule', () =>
    assertHealth('deployment-suspended', 'Suspended', 'Deployment is paused'));
  it('a ProgressDeadlineExceeded from before the change is history: the replica counts decide', async () => {
    const d = await fixture('deployment-degraded');
    const progressing = d.status.conditions.find((c: { type: string }) => c.type === 'Progressing');
    Object.assign(progressing, { lastUpdateTime: '2026-12-01T10:00:00Z', lastTransitionTime: '2026-12-01T10:00:00Z' });
    const fix = Date.parse('2026-12-01T10:05:00Z');
    assert.deepEqual(assessDeployment(d, { since: fix }), {
      code: 'Progressing',
      message: 'Waiting for rollout to finish: 0 of 2 updated replicas are available...',
    });
    d.status.availableReplicas = 2;
    assert.deepEqual(assessDeployment(d, { since: fix }), { code: 'Healthy', message: '' });
    assert.equal(
      assessDeployment(d, { since: Date.parse('2026-12-01T09:59:00Z') }).code,
      'Degraded',
      'a deadline exceeded after the change counts',
    );
    assert.equal(assessDeployment(d).code, 'Degraded', 'without a change time every condition counts (kubectl)');
  });
  it('defaults spec.replicas to 1 and missing counters to 0', () => {
    assert.deepEqual(assessDeployment({ metadata: { name: 'x', generation: 1 }, status: { observedGeneration: 1 } }), {
      code: 'Progressing',
      message: 'Waiting for rollout to finish: 0 out of 1 new replicas have been updated...',
    });
  });
});

describe('assessObject dispatcher', () => {
  it('routes Deployments by group and kind', async () => {
    assert.equal(assessObject(await fixture('deployment-degraded'))?.code, 'Degraded');
    assert.equal(assessObject({ ...(await fixture('deployment-degraded')), apiVersion: 'example.com/v1' }), undefined);
  });
  it('a ClusterIP Service is healthy, a LoadBalancer without ingress progressing', async () => {
    assert.equal(assessObject(await fixture('service-clusterip'))?.code, 'Healthy');
    assert.equal(assessObject(await fixture('service-loadbalancer-pending'))?.code, 'Progressing');
  });
  it('kinds without a health check have none', async () => {
    assert.equal(assessObject(await fixture('configmap')), undefined);
  });
  it('an object being deleted is progressing', async () => {
    const cm = await fixture('configmap');
    cm.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.deepEqual(assessObject(cm), { code: 'Progressing', message: 'Pending deletion' });
  });
});
