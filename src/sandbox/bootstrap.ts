/**
 * Registers the seeded config repo's apps with the sandbox GitOps controller, as a platform team
 * would with real Argo CD and Flux: users-api per env as Argo CD Applications (kustomize
 * overlays, automated sync with prune and self-heal), billing-worker per env as Flux
 * Kustomizations over one GitRepository. Idempotent: what exists is left as it is.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../lib/gitops/render.js';
import { KubeRest, isConflict } from '../lib/kube/rest.js';
import { formatGoDuration } from './controller/durations.js';

export const SANDBOX_ARGO_NAMESPACE = 'argocd';
export const SANDBOX_FLUX_NAMESPACE = 'flux-system';

export interface SandboxArgoApp {
  engine: 'argocd';
  name: string;
  namespace: string;
  app: string;
  env: string;
  path: string;
  workloadNamespace: string;
}
export interface SandboxFluxApp {
  engine: 'flux';
  name: string;
  namespace: string;
  app: string;
  env: string;
  path: string;
  workloadNamespace: string;
  source: string;
}

/** The Argo CD Applications bootstrap creates (in `argocd`). */
export const SANDBOX_ARGO_APPS: readonly SandboxArgoApp[] = (['dev', 'staging', 'prod'] as const).map((env) => ({
  engine: 'argocd',
  name: `users-api-${env}`,
  namespace: SANDBOX_ARGO_NAMESPACE,
  app: 'users-api',
  env,
  path: `apps/users-api/overlays/${env}`,
  workloadNamespace: `users-api-${env}`,
}));

/** The Flux GitRepository all Kustomizations read (in `flux-system`). */
export const SANDBOX_GIT_REPOSITORY = { name: 'config-repo', namespace: SANDBOX_FLUX_NAMESPACE } as const;

/** The Flux Kustomizations bootstrap creates (in `flux-system`); their manifests set the namespace themselves. */
export const SANDBOX_FLUX_APPS: readonly SandboxFluxApp[] = (['dev', 'prod'] as const).map((env) => ({
  engine: 'flux',
  name: `billing-worker-${env}`,
  namespace: SANDBOX_FLUX_NAMESPACE,
  app: 'billing-worker',
  env,
  path: `apps/billing-worker/${env}`,
  workloadNamespace: `billing-worker-${env}`,
  source: SANDBOX_GIT_REPOSITORY.name,
}));

export interface BootstrapOptions {
  /** Flux GitRepository `spec.interval` in ms (Argo's poll interval is the controller's option). @default 60000 */
  pollIntervalMs?: number;
}

export interface BootstrapResult {
  created: string[];
  existing: string[];
}

/** The Argo CD Application of one target: automated sync with prune and self-heal, from `repo` at its branch. */
export function argoApplication(a: SandboxArgoApp, repo: { url: string; branch: string }): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: a.name, namespace: a.namespace },
    spec: {
      project: 'default',
      source: { repoURL: repo.url, targetRevision: repo.branch, path: a.path },
      destination: { server: 'https://kubernetes.default.svc', namespace: a.workloadNamespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      // prod scales with an HPA in the story: replicas is owned by the cluster, not by Git.
      ...(a.env === 'prod'
        ? { ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] }
        : {}),
    },
  };
}

/** Every object bootstrap creates, in creation order. */
export function sandboxObjects(repo: { url: string; branch: string }, opts: BootstrapOptions = {}): KubeObject[] {
  const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const project: KubeObject = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'default', namespace: SANDBOX_ARGO_NAMESPACE },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
  const apps = SANDBOX_ARGO_APPS.map((a) => argoApplication(a, repo));
  const source: KubeObject = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { ...SANDBOX_GIT_REPOSITORY },
    spec: { url: repo.url, interval: formatGoDuration(opts.pollIntervalMs ?? 60_000), ref: { branch: repo.branch } },
  };
  const kustomizations = SANDBOX_FLUX_APPS.map(
    (k): KubeObject => ({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: k.name, namespace: k.namespace },
      spec: {
        sourceRef: { kind: 'GitRepository', name: k.source },
        path: `./${k.path}`,
        interval: '5m',
        prune: true,
        wait: true,
        timeout: '1m',
      },
    }),
  );
  return [ns(SANDBOX_ARGO_NAMESPACE), ns(SANDBOX_FLUX_NAMESPACE), project, ...apps, source, ...kustomizations];
}

const COLLECTIONS: Record<string, (ns: string) => string> = {
  Namespace: () => '/api/v1/namespaces',
  AppProject: (ns) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/appprojects`,
  Application: (ns) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`,
  GitRepository: (ns) => `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories`,
  Kustomization: (ns) => `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`,
};

export async function bootstrapSandboxApps(
  kc: KubeConfig,
  repo: { url: string; branch: string },
  opts: BootstrapOptions = {},
): Promise<BootstrapResult> {
  if (!/^(http|https|ssh):\/\//.test(repo.url)) {
    throw new Error(
      `bootstrapSandboxApps: repo url ${repo.url} must be http(s):// ` +
        `or ssh:// (Flux's GitRepository CRD only accepts those); ` +
        'serve a local bare repo with startGitHttp() from src/sandbox/world/git-http.ts and pass its urlOf(name)',
    );
  }
  const rest = await KubeRest.create(kc);
  const result: BootstrapResult = { created: [], existing: [] };
  try {
    for (const o of sandboxObjects(repo, opts)) {
      const name = `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
      try {
        await rest.request('POST', COLLECTIONS[o.kind]!(o.metadata.namespace ?? ''), { body: o });
        result.created.push(name);
      } catch (err) {
        if (!isConflict(err)) throw err;
        result.existing.push(name);
      }
    }
  } finally {
    rest.close();
  }
  return result;
}
