import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { assessObject } from '../../../src/lib/health/index.js';

const fixture = async (name: string) =>
  parse(await readFile(new URL(`../../fixtures/health/${name}.yaml`, import.meta.url), 'utf8'));
const health = async (name: string) => assessObject(await fixture(name));

describe('health of StatefulSets, DaemonSets and Jobs (kubectl rollout status, gitops-engine for Jobs)', () => {
  it('a StatefulSet rolling update waits for every pod at the update revision', async () => {
    assert.deepEqual(await health('statefulset-rolling'), {
      code: 'Progressing',
      message: 'waiting for statefulset rolling update to complete 1 pods at revision db-5f8b...',
    });
    assert.deepEqual(await health('statefulset-healthy'), { code: 'Healthy', message: '' });
  });
  it('a StatefulSet waits for ready pods, its observed generation and a partition', async () => {
    const s = await fixture('statefulset-healthy');
    assert.equal(
      assessObject({ ...s, status: { ...s.status, readyReplicas: 1 } })?.message,
      'Waiting for 2 pods to be ready...',
    );
    assert.equal(
      assessObject({ ...s, metadata: { ...s.metadata, generation: 5 } })?.message,
      'Waiting for statefulset spec update to be observed...',
    );
    const partitioned = {
      ...s,
      spec: { ...s.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      status: { ...s.status, updatedReplicas: 0 },
    };
    assert.equal(
      assessObject(partitioned)?.message,
      'Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...',
    );
  });
  it('a DaemonSet waits for updated, then available pods on every node', async () => {
    assert.deepEqual(await health('daemonset-rolling'), {
      code: 'Progressing',
      message: 'Waiting for daemon set "agent" rollout to finish: 3 out of 5 new pods have been updated...',
    });
    const d = await fixture('daemonset-healthy');
    assert.equal(
      assessObject({ ...d, status: { ...d.status, numberAvailable: 4 } })?.message,
      'Waiting for daemon set "agent" rollout to finish: 4 of 5 updated pods are available...',
    );
    assert.deepEqual(await health('daemonset-healthy'), { code: 'Healthy', message: '' });
  });
  it('a Job is Degraded once Failed, Healthy once Complete', async () => {
    assert.deepEqual(await health('job-failed'), {
      code: 'Degraded',
      message: 'Job "db-migrate" failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
    assert.deepEqual(await health('job-complete'), { code: 'Healthy', message: '' });
    assert.equal(
      assessObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, status: { active: 1 } })?.code,
      'Progressing',
    );
  });
});
