/**
 * core/v1 Events, written through the API and deduplicated the way client-go's recorder does:
 * the same object, source, type, reason and message bump `count` and `lastTimestamp` on the
 * existing Event instead of creating another. The cache lives in memory, as the recorder's does.
 *
 * There are no Pod objects here, so the kubelet's pod-level events are recorded on the owning
 * Deployment or Job, with `source.component: kubelet` and `reportingComponent: sandbox-kubelet`;
 * the controllers' own events say `sandbox-deployment-controller` / `sandbox-job-controller` as
 * reporting component. Anyone reading them can tell they come from a stand-in.
 */
import { isNotFound, type KubeRest } from '../../lib/kube/rest.js';
import { metaTime } from './names.js';
import type { ObjectMeta, SimEvent } from './types.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

const MAX_CACHED = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();
  private seq = 0;

  constructor(
    private readonly rest: KubeRest,
    private readonly fieldManager: string,
  ) {}

  async record(obj: InvolvedObject, e: SimEvent, now: number): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const key = JSON.stringify([
      e.source,
      obj.kind,
      ns,
      obj.metadata.name,
      obj.metadata.uid,
      e.type,
      e.reason,
      e.message,
    ]);
    const stamp = metaTime(now);
    const prior = this.seen.get(key);
    if (prior) {
      try {
        await this.rest.request(
          'PATCH',
          `/api/v1/namespaces/${encodeURIComponent(prior.namespace)}/events/${encodeURIComponent(prior.name)}`,
          {
            body: { count: prior.count + 1, lastTimestamp: stamp },
            contentType: 'application/merge-patch+json',
            query: { fieldManager: this.fieldManager },
          },
        );
        prior.count++;
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key); // expired (events live an hour): record it afresh
      }
    }
    // client-go names events `<object>.<unix nanos in hex>`.
    const name = `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    await this.rest.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          namespace: ns,
          name: obj.metadata.name,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type: e.type,
        reason: e.reason,
        message: e.message,
        source: { component: e.source },
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        count: 1,
        reportingComponent: `sandbox-${e.source}`,
        reportingInstance: 'sandbox-workload-simulator',
      },
      query: { fieldManager: this.fieldManager },
    });
    if (this.seen.size >= MAX_CACHED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { namespace: ns, name, count: 1 });
  }
}
