/**
 * Kubernetes Events (core/v1) on the engine objects, written the way each real engine writes them
 * but signed as the stand-in, so anyone reading a timeline can tell:
 *
 * - Argo CD's application controller creates a new Event for every message (its audit logger
 *   names them `<app>.<unix nanos in hex>`, count 1, no deduplication); here
 *   `source.component` and `reportingComponent` are `sandbox-argocd-standin`.
 * - Flux's controllers use client-go's recorder, which folds a repeated (object, type, reason,
 *   message) into `count` and `lastTimestamp`; here `sandbox-flux-standin`.
 *
 * What is written, with the reasons and message forms recorded from the real engines in
 * test/fixtures/engines/{argocd,flux}/events.json, is decided by argo-app.ts, argo-sync.ts,
 * flux-source.ts and flux-kustomization.ts.
 */
import { isNotFound } from '../../lib/kube/rest.js';
import type { KubeObject } from '../../lib/gitops/render.js';
import type { Runtime } from './runtime.js';

export const ARGO_EVENT_COMPONENT = 'sandbox-argocd-standin';
export const FLUX_EVENT_COMPONENT = 'sandbox-flux-standin';

export interface EngineEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const MAX_CACHED = 2048;

export class EventWriter {
  private readonly folded = new Map<string, { name: string; count: number }>();
  private seq = 0;

  constructor(
    private readonly component: string,
    private readonly fold: boolean,
  ) {}

  /** Writes `e` on `obj`; never throws (an event is worth less than the reconcile that reports it). */
  async emit(rt: Runtime, obj: KubeObject, e: EngineEvent): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const now = rt.now(),
      stamp = rt.timestamp(now);
    const key = JSON.stringify([obj.kind, ns, obj.metadata.name, obj.metadata['uid'], e.type, e.reason, e.message]);
    try {
      const prior = this.fold ? this.folded.get(key) : undefined;
      if (prior) {
        try {
          await rt.rest.mergePatch(
            `/api/v1/namespaces/${encodeURIComponent(ns)}/events/${encodeURIComponent(prior.name)}`,
            { count: prior.count + 1, lastTimestamp: stamp },
          );
          prior.count++;
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.folded.delete(key); // expired: record it afresh
        }
      }
      const name = `${obj.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
      await rt.rest.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace: ns },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            namespace: ns,
            name: obj.metadata.name,
            uid: obj.metadata['uid'],
            resourceVersion: obj.metadata['resourceVersion'],
          },
          type: e.type,
          reason: e.reason,
          message: e.message,
          source: { component: this.component },
          firstTimestamp: stamp,
          lastTimestamp: stamp,
          count: 1,
          reportingComponent: this.component,
          reportingInstance: this.component,
        },
      });
      if (this.fold) {
        if (this.folded.size >= MAX_CACHED) this.folded.delete(this.folded.keys().next().value!);
        this.folded.set(key, { name, count: 1 });
      }
    } catch (err) {
      rt.logError(
        err,
        { object: `${obj.kind}/${ns}/${obj.metadata.name}`, reason: e.reason },
        'writing an event failed',
      );
    }
  }
}

/** Argo CD's events: one Event per message, never folded. */
export const argoEvents = new EventWriter(ARGO_EVENT_COMPONENT, false);
/** Flux's events: client-go's recorder folds repeats. */
export const fluxEvents = new EventWriter(FLUX_EVENT_COMPONENT, true);
