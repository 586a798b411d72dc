/**
 * Annotation and label keys through which Argo CD and Flux mark, track and trigger the objects
 * they manage. rewind reads and writes exactly these keys, so they live in one place.
 */

/** Argo CD 3 default (annotation) tracking: `<app>:<group>/<Kind>:<namespace>/<name>` on every managed object. */
export const ARGO_TRACKING_ID = 'argocd.argoproj.io/tracking-id';
/** Argo CD refresh request on an Application: `normal` or `hard`; the controller removes it once refreshed. */
export const ARGO_REFRESH = 'argocd.argoproj.io/refresh';
/** Argo CD label tracking (the pre-3.0 default); only ever ignored by the diff, never written by rewind. */
export const ARGO_INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** Flux owner label: the name of the Kustomization that applied the object. */
export const FLUX_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
/** Flux owner label: the namespace of the Kustomization that applied the object. */
export const FLUX_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';
/** Flux on-demand reconcile: any new token; the controller echoes it in `status.lastHandledReconcileAt`. */
export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
/** kubectl client-side apply's copy of the last applied manifest. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Written by the deployment controller on every rollout. */
export const DEPLOYMENT_REVISION = 'deployment.kubernetes.io/revision';

/** Annotations that controllers write on live objects and that therefore never count as drift. */
export const CONTROLLER_ANNOTATIONS: readonly string[] = [LAST_APPLIED, DEPLOYMENT_REVISION, ARGO_TRACKING_ID];
/** Labels that GitOps controllers write on live objects and that therefore never count as drift. */
export const CONTROLLER_LABELS: readonly string[] = [FLUX_NAME_LABEL, FLUX_NAMESPACE_LABEL];

export type RefreshType = 'normal' | 'hard';

/** What an Argo tracking id names. */
export interface TrackedRef {
  app: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** The Argo tracking id for an object of `app`; the core group is the empty string. */
export function argoTrackingId(app: string, ref: Omit<TrackedRef, 'app'>): string {
  return `${app}:${ref.group}/${ref.kind}:${ref.namespace}/${ref.name}`;
}

/** Parses an Argo tracking id; undefined when the value is not one (e.g. copied by hand and mangled). */
export function parseArgoTrackingId(value: string): TrackedRef | undefined {
  const m = /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(value);
  if (!m) return undefined;
  return { app: m[1]!, group: m[2]!, kind: m[3]!, namespace: m[4]!, name: m[5]! };
}

/** The Flux inventory id `<namespace>_<name>_<group>_<Kind>` (fluxcd/cli-utils ObjMetadata). */
export function fluxInventoryId(ref: { group: string; kind: string; namespace: string; name: string }): string {
  return `${ref.namespace}_${ref.name}_${ref.group}_${ref.kind}`;
}

/** Parses a Flux inventory id; names and namespaces never contain `_`, groups never do. */
export function parseFluxInventoryId(
  id: string,
): { namespace: string; name: string; group: string; kind: string } | undefined {
  const parts = id.split('_');
  if (parts.length !== 4) return undefined;
  const [namespace, name, group, kind] = parts as [string, string, string, string];
  return { namespace, name, group, kind };
}
