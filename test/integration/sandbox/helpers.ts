/**
 * Shared by the sandbox controller's integration tests: polling with a useful failure message,
 * a tiny Git repo of our own (real git, bare remote served over smart HTTP), and typed-enough
 * access to the API through client-node, the client rewind's runbooks use.
 */
import * as k8s from '@kubernetes/client-node';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { startGitHttp, type GitHttpServer } from '../../../src/sandbox/world/git-http.js';

/** Polls `read` until `ok` holds; fails naming what was awaited and the last value seen. */
export async function waitFor<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined, error: unknown;
  for (;;) {
    try {
      last = await read();
      error = undefined;
      if (ok(last)) return last;
    } catch (err) {
      error = err;
    }
    if (Date.now() > deadline) {
      const seen = error ? `error: ${(error as Error).message}` : JSON.stringify(last, null, 1)?.slice(0, 6000);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last observed: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface TestRepo {
  /** http URL of the bare repo (served by `git http-backend`). */
  url: string;
  /** Sha of the initial commit. */
  first: string;
  /** Local path of the bare repo. */
  remote: string;
  commit(files: Record<string, string | null>, msg: string): Promise<string>;
}

/** Bare repos under one temp root, served over HTTP for the whole test file. */
export class RepoHost {
  private constructor(
    readonly root: string,
    private readonly server: GitHttpServer,
  ) {}
  static async start(): Promise<RepoHost> {
    const root = await mkdtemp(path.join(tmpdir(), 'rewind-repos-'));
    return new RepoHost(root, await startGitHttp(root));
  }
  async create(name: string, files: Record<string, string>): Promise<TestRepo> {
    const remote = path.join(this.root, `${name}.git`),
      work = path.join(this.root, `${name}-work`);
    await simpleGit().init(true, [remote, '--initial-branch=main']);
    await mkdir(work);
    const git = simpleGit({
      baseDir: work,
      config: ['user.name=test', 'user.email=test@example.test', 'commit.gpgsign=false'],
    });
    await git.init(['--initial-branch=main']);
    await git.addRemote('origin', remote);
    const commit = async (changes: Record<string, string | null>, msg: string) => {
      for (const [p, text] of Object.entries(changes)) {
        const full = path.join(work, p);
        if (text === null) await rm(full, { force: true });
        else {
          await mkdir(path.dirname(full), { recursive: true });
          await writeFile(full, text);
        }
      }
      await git.add(['-A', '--', '.']);
      await git.commit(msg);
      await git.push('origin', 'HEAD:main');
      return (await git.revparse(['HEAD'])).trim();
    };
    const first = await commit(files, 'initial');
    return { url: this.server.urlOf(`${name}.git`), remote, first, commit };
  }
  async stop(): Promise<void> {
    await this.server.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A small workload: ConfigMap + Deployment reading it through envFrom. */
export function workloadYaml(o: {
  ns: string;
  name?: string;
  image: string;
  dbHost?: string;
  replicas?: number;
  deadline?: number;
}): Record<string, string> {
  const name = o.name ?? 'web';
  return {
    'configmap.yaml':
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-env\n` +
      `  namespace: ${o.ns}\ndata:\n  DB_HOST: ${o.dbHost ?? 'db.internal'}\n`,
    'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${o.ns}
spec:
  replicas: ${o.replicas ?? 1}
  progressDeadlineSeconds: ${o.deadline ?? 4}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${name}
          image: ${o.image}
          envFrom:
            - configMapRef:
                name: ${name}-env
          ports:
            - containerPort: 8080
`,
  };
}

/** A Namespace manifest: Flux (and Argo CD without CreateNamespace=true) creates none. */
export function namespaceYaml(ns: string): Record<string, string> {
  return { 'namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` };
}

/** Prefixes every path of `files` with `dir/`. */
export const under = <V extends string | null>(dir: string, files: Record<string, V>): Record<string, V> =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, v]));

type Obj = Record<string, any>;

/** The API as a runbook sees it: client-node with merge patches. */
export class Api {
  readonly co: k8s.CustomObjectsApi;
  readonly apps: k8s.AppsV1Api;
  readonly core: k8s.CoreV1Api;
  constructor(readonly kc: k8s.KubeConfig) {
    this.co = kc.makeApiClient(k8s.CustomObjectsApi);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }
  private static merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  app(ns: string, name: string): Promise<Obj> {
    return this.co.getNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'applications',
      name,
    });
  }
  createApp(ns: string, body: Obj): Promise<Obj> {
    return this.co.createNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'applications',
      body,
    });
  }
  patchApp(ns: string, name: string, body: Obj): Promise<Obj> {
    return this.co.patchNamespacedCustomObject(
      { group: 'argoproj.io', version: 'v1alpha1', namespace: ns, plural: 'applications', name, body },
      Api.merge,
    );
  }
  flux(kind: 'kustomizations' | 'gitrepositories', ns: string, name: string): Promise<Obj> {
    const group = kind === 'kustomizations' ? 'kustomize.toolkit.fluxcd.io' : 'source.toolkit.fluxcd.io';
    return this.co.getNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: kind, name });
  }
  createFlux(kind: 'kustomizations' | 'gitrepositories', ns: string, body: Obj): Promise<Obj> {
    const group = kind === 'kustomizations' ? 'kustomize.toolkit.fluxcd.io' : 'source.toolkit.fluxcd.io';
    return this.co.createNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: kind, body });
  }
  patchFlux(kind: 'kustomizations' | 'gitrepositories', ns: string, name: string, body: Obj): Promise<Obj> {
    const group = kind === 'kustomizations' ? 'kustomize.toolkit.fluxcd.io' : 'source.toolkit.fluxcd.io';
    return this.co.patchNamespacedCustomObject(
      { group, version: 'v1', namespace: ns, plural: kind, name, body },
      Api.merge,
    );
  }
  async deployment(ns: string, name: string): Promise<k8s.V1Deployment | undefined> {
    try {
      return await this.apps.readNamespacedDeployment({ namespace: ns, name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
  patchDeployment(ns: string, name: string, body: Obj): Promise<k8s.V1Deployment> {
    return this.apps.patchNamespacedDeployment({ namespace: ns, name, body }, Api.merge);
  }
  async configMap(ns: string, name: string): Promise<k8s.V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ namespace: ns, name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
  patchConfigMap(ns: string, name: string, body: Obj): Promise<k8s.V1ConfigMap> {
    return this.core.patchNamespacedConfigMap({ namespace: ns, name, body }, Api.merge);
  }
  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.core.createNamespace({ body: { metadata: { name } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

export const imageOf = (d: k8s.V1Deployment | undefined) => d?.spec?.template.spec?.containers[0]?.image;
export const ready = (o: Obj) => (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
