/**
 * A tiny stand-in for the API server around the pure workload model: it holds one Deployment
 * (or Job) as stored, bumps `metadata.generation` on spec edits as the apiserver does, writes
 * back what a sync returns, and steps time in ticks. Fixtures are YAML documents under
 * test/fixtures/workloads/.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { syncDeployment, REVISION_ANNOTATION } from '../../../../src/sandbox/workloads/deployment-controller.js';
import type { FaultRule } from '../../../../src/sandbox/workloads/faults.js';
import { syncJob, type JobModel } from '../../../../src/sandbox/workloads/job-status.js';
import type { KubeletSettings } from '../../../../src/sandbox/workloads/pods.js';
import type { DeploymentModel } from '../../../../src/sandbox/workloads/replica-sets.js';
import type {
  DeploymentObject,
  DeploymentStatus,
  JobObject,
  SimEvent,
} from '../../../../src/sandbox/workloads/types.js';

export const T0 = Date.parse('2026-03-02T10:00:00Z');
/** metav1 time `s` seconds after T0. */
export const at = (s: number): string => new Date(T0 + Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Doc = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
} & Record<string, unknown>;

export function fixture(name: string): Doc[] {
  const text = readFileSync(new URL(`../../../fixtures/workloads/${name}.yaml`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Doc);
}

abstract class Clock {
  now = T0;
  configMaps = new Map<string, Record<string, string>>();
  /** Decoded, as the kubelet sees them. */
  secrets = new Map<string, Record<string, string>>();
  faults: FaultRule[] = [];
  events: Array<SimEvent & { at: number }> = [];
  podStartMs = 1000;
  backoffScale = 0.1;

  protected load(docs: Doc[]): void {
    for (const d of docs) {
      if (d.kind === 'ConfigMap') this.configMaps.set(d.metadata.name, { ...(d.data ?? {}) });
      if (d.kind === 'Secret') {
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(d.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
        this.secrets.set(d.metadata.name, { ...data, ...(d.stringData ?? {}) });
      }
    }
  }

  protected kubelet(): KubeletSettings {
    return {
      sources: { configMap: (n) => this.configMaps.get(n), secret: (n) => this.secrets.get(n) },
      faults: this.faults,
      podStartMs: this.podStartMs,
      backoffScale: this.backoffScale,
    };
  }

  abstract sync(): void;
  /** When the last sync ran; an edit clears it, so the next run syncs at once. */
  protected syncedAt?: number;

  /**
   * Ticks every `tickMs` until `seconds` later, the last tick exactly at the end; the first one
   * now, unless a sync already ran at this instant and nothing was edited since.
   */
  run(seconds: number, tickMs = 250): void {
    const end = this.now + seconds * 1000;
    for (;;) {
      if (this.syncedAt !== this.now) {
        this.sync();
        this.syncedAt = this.now;
      }
      if (this.now >= end) return;
      this.now = Math.min(this.now + tickMs, end);
    }
  }

  /** Events recorded so far, as `reason: message` lines. */
  eventLines(source?: SimEvent['source']): string[] {
    return this.events.filter((e) => !source || e.source === source).map((e) => `${e.reason}: ${e.message}`);
  }
}

export class FakeDeployment extends Clock {
  d: DeploymentObject;
  model?: DeploymentModel;

  constructor(docs: Doc[]) {
    super();
    this.load(docs);
    const d = docs.find((x) => x.kind === 'Deployment');
    if (!d) throw new Error('fixture has no Deployment');
    this.d = { ...(structuredClone(d) as unknown as DeploymentObject) };
    this.d.metadata = { namespace: 'shop', uid: 'uid-1', generation: 1, ...this.d.metadata };
  }

  get status(): DeploymentStatus {
    return this.d.status ?? {};
  }
  condition(type: string) {
    return this.status.conditions?.find((c) => c.type === type);
  }
  /** `type=status/reason` of each condition, in order. */
  conditions(): string[] {
    return (this.status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
  }
  counters() {
    const s = this.status;
    return {
      replicas: s.replicas,
      updated: s.updatedReplicas,
      ready: s.readyReplicas,
      available: s.availableReplicas,
      unavailable: s.unavailableReplicas,
    };
  }
  replicaSets() {
    return (this.model?.replicaSets ?? []).map((rs) => `${rs.name}:${rs.replicas}`);
  }

  /** A spec edit: generation + 1, as the apiserver does. */
  edit(change: (spec: NonNullable<DeploymentObject['spec']>) => void): void {
    const spec = structuredClone(this.d.spec ?? {});
    change(spec);
    this.d = { ...this.d, spec, metadata: { ...this.d.metadata, generation: (this.d.metadata.generation ?? 1) + 1 } };
    this.syncedAt = undefined;
  }

  image(image: string): void {
    this.edit((s) => {
      s.template!.spec!.containers![0]!.image = image;
    });
  }

  sync(): void {
    const r = syncDeployment(this.d, this.model, this.kubelet(), this.now);
    this.model = r.model;
    const annotations = r.revision
      ? { ...(this.d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: r.revision }
      : this.d.metadata.annotations;
    this.d = { ...this.d, metadata: { ...this.d.metadata, ...(annotations ? { annotations } : {}) }, status: r.status };
    for (const e of r.events) this.events.push({ ...e, at: this.now });
  }
}

export class FakeJob extends Clock {
  job: JobObject;
  model?: JobModel;

  constructor(docs: Doc[]) {
    super();
    this.load(docs);
    const j = docs.find((x) => x.kind === 'Job');
    if (!j) throw new Error('fixture has no Job');
    this.job = structuredClone(j) as unknown as JobObject;
    this.job.metadata = { namespace: 'shop', uid: 'job-uid-1', generation: 1, ...this.job.metadata };
  }

  sync(): void {
    const r = syncJob(this.job, this.model, this.kubelet(), this.now);
    this.model = r.model;
    this.job = { ...this.job, status: r.status };
    for (const e of r.events) this.events.push({ ...e, at: this.now });
  }
}
