/**
 * The engine states whose shapes are pinned by fixtures, driven the same way on a world with
 * real Argo CD and Flux (scripts/record-engine-fixtures.ts records them into
 * test/fixtures/engines/) and on one with the stand-in (standin-shapes.test.ts compares them).
 * Every step writes what rewind writes (the refresh and requestedAt annotations, the pause
 * lease, `.operation`, the syncPolicy forms), so the fixtures show the engines' answers to it.
 *
 * Also here: scrubbing volatile values (times, shas, ports, uids, durations) and the shape of a
 * JSON value (its key paths, arrays by the union of their elements' shapes).
 */
import * as k8s from '@kubernetes/client-node';
import { PAUSE_LEASE_ANNOTATION } from '../../../activities/gitops/engine.js';
import type { World } from '../../../src/sandbox/world/index.js';
import { Api, waitFor } from './helpers.js';

type Obj = Record<string, any>;

export const ARGO_APP = { namespace: 'argocd', name: 'users-api-dev', workloadNamespace: 'users-api-dev' } as const;
export const FLUX_KS = {
  namespace: 'flux-system',
  name: 'billing-worker-dev',
  workloadNamespace: 'billing-worker-dev',
  source: 'config-repo',
} as const;

export const ARGO_STATES = [
  'synced-healthy',
  'out-of-sync',
  'sync-running',
  'sync-succeeded',
  'autosync-paused',
  'autosync-disabled',
  'degraded',
] as const;
export const FLUX_STATES = [
  'gitrepository-ready',
  'kustomization-ready',
  'kustomization-reconciling',
  'kustomization-health-check-failed',
  'kustomization-suspended',
] as const;
export type ArgoState = (typeof ARGO_STATES)[number];
export type FluxState = (typeof FLUX_STATES)[number];

export type Record_ = (state: string, object: Obj) => void;

const ARGO_REFRESH = 'argocd.argoproj.io/refresh';
const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

/** What the fixtures keep of an engine object: status, and the spec/metadata fields rewind reads or writes. */
export function pickArgo(app: Obj): Obj {
  return {
    apiVersion: app.apiVersion,
    kind: app.kind,
    metadata: {
      name: app.metadata.name,
      namespace: app.metadata.namespace,
      ...(app.metadata.annotations ? { annotations: app.metadata.annotations } : {}),
    },
    spec: { syncPolicy: app.spec.syncPolicy },
    ...(app.operation !== undefined ? { operation: app.operation } : {}),
    status: app.status,
  };
}

export function pickFlux(o: Obj): Obj {
  const { suspend, sourceRef, interval, timeout, wait, prune, ref } = o.spec ?? {};
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      ...(o.metadata.annotations ? { annotations: o.metadata.annotations } : {}),
    },
    spec: Object.fromEntries(
      Object.entries({ suspend, sourceRef, interval, timeout, wait, prune, ref }).filter(([, v]) => v !== undefined),
    ),
    status: o.status,
  };
}

/** Resolves with the first version of the named object for which `ok` holds, seen by a watch started now. */
export async function watchFor(
  kc: k8s.KubeConfig,
  collection: string,
  name: string,
  ok: (o: Obj) => boolean,
  timeoutMs: number,
  what: string,
): Promise<{ result: Promise<Obj>; stop(): void }> {
  let done: (o: Obj) => void, fail: (e: Error) => void;
  const result = new Promise<Obj>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  result.catch(() => undefined);
  let last: Obj | undefined;
  const req = await new k8s.Watch(kc).watch(
    collection,
    { fieldSelector: `metadata.name=${name}` },
    (_type: string, o: Obj) => {
      last = o;
      if (ok(o)) done(structuredClone(o));
    },
    (err) => {
      if (err) fail(err as Error);
    },
  );
  const timer = setTimeout(
    () =>
      fail(
        new Error(
          `timed out after ${timeoutMs} ms watching for ${what}; last ` +
            `seen: ${JSON.stringify(last?.status ?? null).slice(0, 3000)}`,
        ),
      ),
    timeoutMs,
  );
  const stop = () => {
    clearTimeout(timer);
    req.abort();
  };
  result.then(stop, stop);
  return { result, stop };
}

const APPS = `/apis/argoproj.io/v1alpha1/namespaces/${ARGO_APP.namespace}/applications`;
const KSS = `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${FLUX_KS.namespace}/kustomizations`;

/** A pause lease as rewind writes it (workflows/types.ts PauseLease). */
const lease = (policy: Obj) =>
  JSON.stringify({
    by: 'fixture',
    reason: 'engine fixtures',
    runId: 'fixture-run',
    pausedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    policy,
  });

/**
 * users-api-dev on Argo CD: Synced+Healthy; OutOfSync after a live ConfigMap edit with selfHeal
 * off; a `.operation` sync as rewind asks for it (Running, then Succeeded); auto-sync paused the
 * way rewind pauses it (`automated: null` plus the lease) and the `enabled: false` form; then the
 * bad promotion users-api 1.43.0 (auto-sync back on, refresh annotation) until Degraded.
 */
export async function driveArgoStates(world: World, record: Record_): Promise<void> {
  const api = new Api(world.kube.kc);
  const app = () => api.app(ARGO_APP.namespace, ARGO_APP.name);
  const patch = (body: Obj) => api.patchApp(ARGO_APP.namespace, ARGO_APP.name, body);
  const head = await world.repo.head();
  const healthy = (a: Obj) =>
    a.status?.sync?.status === 'Synced' &&
    a.status.sync.revision === head &&
    a.status.health?.status === 'Healthy' &&
    a.status.operationState?.phase === 'Succeeded';
  record('synced-healthy', await waitFor(app, healthy, 120_000, 'users-api-dev Synced and Healthy at the head'));

  await patch({ spec: { syncPolicy: { automated: { prune: true, selfHeal: false } } } });
  await api.patchConfigMap(ARGO_APP.workloadNamespace, 'users-api-env', { data: { LOG_LEVEL: 'debug' } });
  record(
    'out-of-sync',
    await waitFor(
      app,
      (a) => a.status?.sync?.status === 'OutOfSync',
      60_000,
      'OutOfSync after the live ConfigMap edit',
    ),
  );

  // As rewind's requestRefresh asks for a sync when auto-sync would not do it.
  const fresh = await app();
  const running = await watchFor(
    world.kube.kc,
    APPS,
    ARGO_APP.name,
    (a) =>
      a.status?.operationState?.phase === 'Running' &&
      a.status.operationState.operation?.initiatedBy?.username === 'rewind',
    60_000,
    'the sync operation Running',
  );
  await patch({
    metadata: { resourceVersion: fresh.metadata.resourceVersion },
    operation: {
      initiatedBy: { username: 'rewind' },
      sync: { revision: head, prune: true, syncStrategy: { hook: {} } },
    },
  });
  record('sync-running', await running.result);
  record(
    'sync-succeeded',
    await waitFor(
      app,
      (a) =>
        a.status?.operationState?.phase === 'Succeeded' &&
        a.status.operationState.operation?.initiatedBy?.username === 'rewind' &&
        a.status.sync?.status === 'Synced',
      60_000,
      'the sync operation Succeeded and Synced',
    ),
  );

  const before = await app();
  await patch({
    metadata: {
      resourceVersion: before.metadata.resourceVersion,
      annotations: {
        [PAUSE_LEASE_ANNOTATION]: lease({ engine: 'argocd', automated: { prune: true, selfHeal: false } }),
      },
    },
    spec: { syncPolicy: { automated: null } },
  });
  await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
  // The engine removes the refresh annotation in the status write of the comparison it asked for.
  record(
    'autosync-paused',
    await waitFor(
      app,
      (a) => !a.spec.syncPolicy?.automated && a.metadata.annotations?.[ARGO_REFRESH] === undefined,
      60_000,
      'the paused app refreshed',
    ),
  );

  await patch({
    metadata: { annotations: { [PAUSE_LEASE_ANNOTATION]: null } },
    spec: { syncPolicy: { automated: { prune: true, selfHeal: true, enabled: false } } },
  });
  await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
  record(
    'autosync-disabled',
    await waitFor(
      app,
      (a) => a.spec.syncPolicy?.automated?.enabled === false && a.metadata.annotations?.[ARGO_REFRESH] === undefined,
      60_000,
      'the app with enabled: false refreshed',
    ),
  );

  await patch({ spec: { syncPolicy: { automated: { prune: true, selfHeal: true, enabled: null } } } });
  await new Promise((r) => setTimeout(r, 2000));
  const bad = await world.repo.promote('users-api', 'dev', '1.43.0');
  // A normal refresh that lands while the engine still processes the spec change can be consumed
  // by that comparison (real Argo CD then keeps the old revision until its resync): ask again.
  let askedAt = 0;
  const refreshed = async () => {
    const a = await app();
    if (a.status?.sync?.revision !== bad.sha && Date.now() - askedAt > 10_000) {
      askedAt = Date.now();
      await patch({ metadata: { annotations: { [ARGO_REFRESH]: 'normal' } } });
    }
    return a;
  };
  record(
    'degraded',
    await waitFor(
      refreshed,
      (a) =>
        a.status?.sync?.revision === bad.sha &&
        a.status.sync.status === 'Synced' &&
        a.status.health?.status === 'Degraded',
      180_000,
      'Degraded after the bad promotion users-api 1.43.0',
    ),
  );
}

/**
 * billing-worker-dev on Flux: the GitRepository with its artifact; the Kustomization Ready; the
 * bad promotion billing-worker 2.5.0 fetched and reconciled as rewind asks (source first, then
 * the Kustomization): Reconciling while its health checks run, then HealthCheckFailed; then
 * suspended the way rewind pauses it (spec.suspend plus the lease).
 */
export async function driveFluxStates(world: World, record: Record_): Promise<void> {
  const api = new Api(world.kube.kc);
  const ks = () => api.flux('kustomizations', FLUX_KS.namespace, FLUX_KS.name);
  const src = () => api.flux('gitrepositories', FLUX_KS.namespace, FLUX_KS.source);
  const head = await world.repo.head();
  const ready = (o: Obj) => o.status?.conditions?.find((c: Obj) => c.type === 'Ready');
  record(
    'gitrepository-ready',
    await waitFor(
      src,
      (g) => g.status?.artifact?.revision === `main@sha1:${head}` && ready(g)?.status === 'True',
      120_000,
      'GitRepository Ready at the head',
    ),
  );
  record(
    'kustomization-ready',
    await waitFor(
      ks,
      (k) => k.status?.lastAppliedRevision === `main@sha1:${head}` && ready(k)?.status === 'True',
      120_000,
      'billing-worker-dev Ready at the head',
    ),
  );

  const bad = await world.repo.promote('billing-worker', 'dev', '2.5.0');
  // Watching from before the fetch: the first write of the new revision is what is recorded.
  const reconciling = await watchFor(
    world.kube.kc,
    KSS,
    FLUX_KS.name,
    (k) => k.status?.lastAttemptedRevision === `main@sha1:${bad.sha}` && ready(k)?.status === 'Unknown',
    60_000,
    'the Kustomization reconciling the bad promotion',
  );
  await api.patchFlux('gitrepositories', FLUX_KS.namespace, FLUX_KS.source, {
    metadata: { annotations: { [FLUX_REQUESTED_AT]: `fetch-${Date.now()}` } },
  });
  await waitFor(
    src,
    (g) => g.status?.artifact?.revision === `main@sha1:${bad.sha}`,
    60_000,
    'the bad promotion fetched',
  );
  const token = `reconcile-${Date.now()}`;
  await api.patchFlux('kustomizations', FLUX_KS.namespace, FLUX_KS.name, {
    metadata: { annotations: { [FLUX_REQUESTED_AT]: token } },
  });
  record('kustomization-reconciling', await reconciling.result);
  // The verdict of the reconcile rewind asked for (the artifact alone may have started an earlier one).
  record(
    'kustomization-health-check-failed',
    await waitFor(
      ks,
      (k) =>
        ready(k)?.reason === 'HealthCheckFailed' &&
        k.status?.lastAttemptedRevision === `main@sha1:${bad.sha}` &&
        k.status.lastHandledReconcileAt === token,
      180_000,
      'HealthCheckFailed after the bad promotion billing-worker 2.5.0',
    ),
  );

  const before = await ks();
  await api.patchFlux('kustomizations', FLUX_KS.namespace, FLUX_KS.name, {
    metadata: {
      resourceVersion: before.metadata.resourceVersion,
      annotations: { [PAUSE_LEASE_ANNOTATION]: lease({ engine: 'flux', suspend: false }) },
    },
    spec: { suspend: true },
  });
  // A suspended Kustomization ignores requestedAt: rewind's refresh during a pause changes nothing.
  await api.patchFlux('kustomizations', FLUX_KS.namespace, FLUX_KS.name, {
    metadata: { annotations: { [FLUX_REQUESTED_AT]: `while-suspended-${Date.now()}` } },
  });
  await new Promise((r) => setTimeout(r, 3000));
  record('kustomization-suspended', await ks());
}

export interface RecordedEvent {
  involvedKind: string;
  type: string;
  reason: string;
  message: string;
  component: string;
  reportingComponent: string;
}

/**
 * Events on the engine objects of the seeded apps (Application users-api-dev, Kustomization
 * billing-worker-dev, GitRepository config-repo), scrubbed and deduplicated, oldest first.
 */
export async function engineEvents(
  kc: k8s.KubeConfig,
  engine: 'argocd' | 'flux',
  shas: ShaNames = new Map(),
): Promise<RecordedEvent[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ns = engine === 'argocd' ? ARGO_APP.namespace : FLUX_KS.namespace;
  const names =
    engine === 'argocd'
      ? [['Application', ARGO_APP.name]]
      : [
          ['Kustomization', FLUX_KS.name],
          ['GitRepository', FLUX_KS.source],
        ];
  const list = (await core.listNamespacedEvent({ namespace: ns })).items
    .filter((e) => names.some(([k, n]) => e.involvedObject.kind === k && e.involvedObject.name === n))
    .sort((a, b) => stamp(a) - stamp(b));
  const seen = new Set<string>();
  const out: RecordedEvent[] = [];
  for (const e of list) {
    const r: RecordedEvent = {
      involvedKind: e.involvedObject.kind ?? '',
      type: e.type ?? '',
      reason: e.reason ?? '',
      message: scrubText(e.message ?? '', shas),
      component: e.source?.component ?? '',
      reportingComponent: e.reportingComponent ?? '',
    };
    const key = JSON.stringify(r);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

const stamp = (e: k8s.CoreV1Event) =>
  new Date(e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? 0).getTime();

// ---------------------------------------------------------------------------------------------
// Scrubbing and shapes

const VOLATILE_KEYS = new Set([
  'resourceVersion',
  'uid',
  'size',
  'digest',
  'creationTimestamp',
  'generation',
  'observedGeneration',
  'totalReconciliations',
  'lastReconciledDuration',
]);

/**
 * Names for commit shas: `<sha:promote users-api 1.43.0 to dev>` tells which commit a revision is;
 * other shas become `<sha>`.
 */
export type ShaNames = ReadonlyMap<string, string>;

/** Every promotion commit of the world's config repo, named by its message. */
export function promotionNames(world: World): ShaNames {
  return new Map(world.repo.promotions.map((p) => [p.sha, `promote ${p.app} ${p.to} to ${p.env}`]));
}

/** `text` with times, shas, digests, loopback ports and durations replaced by placeholders. */
export function scrubText(text: string, shas: ShaNames = new Map()): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\b[0-9a-f]{40}\b/g, (sha) => `<sha${shas.has(sha) ? `:${shas.get(sha)}` : ''}>`)
    .replace(/\b(127\.0\.0\.1|localhost):\d+/g, '$1:<port>')
    .replace(/\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)(\d+(\.\d+)?(ns|µs|us|ms|s|m|h))*\b/g, '<duration>')
    .replace(/\b(fetch|reconcile|while-suspended)-\d+\b/g, '$1-<n>');
}

/**
 * A deep copy with volatile values replaced (see scrubText); the lease JSON inside an annotation is scrubbed as text.
 */
export function scrub(v: unknown, shas: ShaNames = new Map(), key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => scrub(x, shas));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, shas, k)]));
  if (VOLATILE_KEYS.has(key) && (typeof v === 'string' || typeof v === 'number')) return `<${key}>`;
  return typeof v === 'string' ? scrubText(v, shas) : v;
}

/** The key paths of a JSON value: `a.b`, arrays as `a[]` with the union of their elements' paths. */
export function shapeOf(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    out.add(`${prefix}[]`);
    for (const x of v) shapeOf(x, `${prefix}[]`, out);
  } else if (v && typeof v === 'object') {
    out.add(prefix || '.');
    for (const [k, x] of Object.entries(v)) shapeOf(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (v !== null && v !== undefined) out.add(prefix);
  return out;
}

/** The values at `path` (dotted, `[]` for every array element), as a sorted, deduplicated list. */
export function valuesAt(v: unknown, path: string): string[] {
  const parts = path.split('.');
  let cur: unknown[] = [v];
  for (const p of parts) {
    const arr = p.endsWith('[]');
    const key = arr ? p.slice(0, -2) : p;
    cur = cur.flatMap((x) => {
      const y = x && typeof x === 'object' ? (x as Obj)[key] : undefined;
      return arr ? (Array.isArray(y) ? y : []) : y === undefined || y === null ? [] : [y];
    });
  }
  return [...new Set(cur.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))))].sort();
}
