/**
 * The test world's GitOps config repository: a real bare repo (the "remote") seeded with a
 * kustomize app (users-api, rendered per overlay by Argo CD), a plain-YAML app (billing-worker,
 * applied by Flux) and a history of promotion commits, so rollbacks have real commits to revert.
 *
 * Files are edited through the yaml Document API, never re-serialized from plain objects,
 * because runbooks diff and revert these files: an edit must change only the line it means to.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';

export interface Promotion {
  app: string;
  env: string;
  sha: string;
  from: string;
  to: string;
}

export interface GitPerson {
  name: string;
  email: string;
}

export interface ConfigRepo {
  /** Absolute path of the bare repo, usable as a git URL. */
  remote: string;
  branch: 'main';
  /** The seed clone, for pushing further commits. */
  workdir: string;
  /** In commit order; promote() appends to it. */
  promotions: Promotion[];
  /** Sha of main in the bare repo. */
  head(): Promise<string>;
  /** Commit one or more file writes (paths relative to repo root) and push; returns the new sha. */
  commit(files: Record<string, string>, message: string, author?: GitPerson): Promise<string>;
  /** Bump the image tag of `app` in `env` as a promotion commit by ci-bot; returns the Promotion. */
  promote(app: PromotableApp, env: string, tag: string): Promise<Promotion>;
  /** Read a file at a revision (default: main of the bare repo). */
  show(path: string, rev?: string): Promise<string>;
}

export type PromotableApp = 'users-api' | 'billing-worker';

export const CONFIG_REPO_PEOPLE = {
  dana: { name: 'Dana Ops', email: 'dana@acme.test' },
  lee: { name: 'Lee Dev', email: 'lee@acme.test' },
  ciBot: { name: 'ci-bot', email: 'ci@acme.test' },
} as const satisfies Record<string, GitPerson>;

const { dana, lee, ciBot } = CONFIG_REPO_PEOPLE;
const BRANCH = 'main';
const HOUR = 3_600_000;

const IMAGE = { 'users-api': 'ghcr.io/acme/users-api', 'billing-worker': 'ghcr.io/acme/billing-worker' } as const;
const ENVS = { 'users-api': ['dev', 'staging', 'prod'], 'billing-worker': ['dev', 'prod'] } as const;

/** The file holding the image tag of an app in an env. */
export function tagFile(app: PromotableApp, env: string): string {
  return app === 'users-api'
    ? `apps/users-api/overlays/${env}/kustomization.yaml`
    : `apps/billing-worker/${env}/deployment.yaml`;
}

// ---------------------------------------------------------------------------------------------
// Initial layout. Written in the exact style `yaml` prints (2-space indent, indented sequences),
// so a Document round trip reproduces the file byte for byte.

const README = `# acme config
Kustomize apps live in \`apps/<app>/base\` with one overlay per env under \`apps/<app>/overlays/{dev,staging,prod}\` \
(Argo CD renders the overlay).
Flux apps keep plain manifests per env in \`apps/<app>/<env>/\`; \
image tags change only through ci-bot promotion commits.
`;

const USERS_API_BASE: Record<string, string> = {
  'apps/users-api/base/kustomization.yaml': `# users-api base: everything env-specific (namespace, tag, replicas, \
DB_HOST) lives in the overlays
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
`,
  'apps/users-api/base/deployment.yaml': `# owned by team-identity; \
a rollout that misses progressDeadlineSeconds counts as failed
apiVersion: apps/v1
kind: Deployment
metadata:
  name: users-api
  labels:
    app.kubernetes.io/name: users-api
spec:
  replicas: 1
  progressDeadlineSeconds: 20
  selector:
    matchLabels:
      app.kubernetes.io/name: users-api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: users-api
    spec:
      containers:
        - name: users-api
          # the tag is set per env by the overlay's images: entry, not here
          image: ghcr.io/acme/users-api:1.40.0
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: users-api-env
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 5
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`,
  'apps/users-api/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: users-api
  labels:
    app.kubernetes.io/name: users-api
spec:
  selector:
    app.kubernetes.io/name: users-api
  ports:
    - name: http
      port: 80
      targetPort: 8080
`,
  'apps/users-api/base/configmap.yaml': `# owned by team-identity; \
DB_HOST must point at the env's primary (each overlay patches it)
# plain ConfigMap, not a generator: pods reference it by this exact name
apiVersion: v1
kind: ConfigMap
metadata:
  name: users-api-env
  labels:
    app.kubernetes.io/name: users-api
data:
  DB_HOST: db.internal
  LOG_LEVEL: info # debug doubles log volume; keep it off in prod
  FEATURE_FLAGS: ""
`,
};

const REPLICAS: Record<string, number> = { dev: 1, staging: 2, prod: 3 };

function usersApiOverlay(env: string, tag: string): Record<string, string> {
  const dir = `apps/users-api/overlays/${env}`;
  return {
    [`${dir}/kustomization.yaml`]: `# users-api in ${env}; newTag is bumped by ci-bot promotions, do not edit by hand
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: users-api-${env}
resources:
  - ../../base
images:
  - name: ghcr.io/acme/users-api
    newTag: ${tag}
replicas:
  - name: users-api
    count: ${REPLICAS[env] ?? 1}
patches:
  - path: configmap-patch.yaml
`,
    [`${dir}/configmap-patch.yaml`]: `# ${env} database primary; failover means changing this line, then syncing
apiVersion: v1
kind: ConfigMap
metadata:
  name: users-api-env
data:
  DB_HOST: db-${env}.internal
`,
  };
}

function billingWorker(env: string, tag: string): Record<string, string> {
  const dir = `apps/billing-worker/${env}`;
  return {
    [`${dir}/deployment.yaml`]: `# owned by team-payments; Flux applies this directory as is, so namespace is set here
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-worker
  namespace: billing-worker-${env}
  labels:
    app.kubernetes.io/name: billing-worker
spec:
  replicas: ${env === 'prod' ? 2 : 1}
  progressDeadlineSeconds: 20
  selector:
    matchLabels:
      app.kubernetes.io/name: billing-worker
  template:
    metadata:
      labels:
        app.kubernetes.io/name: billing-worker
    spec:
      containers:
        - name: billing-worker
          image: ghcr.io/acme/billing-worker:${tag} # bumped by ci-bot promotions
          envFrom:
            - configMapRef:
                name: billing-worker-env
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
`,
    // Flux applies what Git holds and creates nothing else: the namespace is part of the app.
    [`${dir}/namespace.yaml`]: `apiVersion: v1
kind: Namespace
metadata:
  name: billing-worker-${env}
`,
    [`${dir}/configmap.yaml`]: `apiVersion: v1
kind: ConfigMap
metadata:
  name: billing-worker-env
  namespace: billing-worker-${env}
  labels:
    app.kubernetes.io/name: billing-worker
data:
  # the worker drains this queue; pointing it at another env's broker double-charges
  QUEUE_URL: amqp://mq-${env}.internal
`,
  };
}

type SeedStep =
  | { kind: 'files'; who: GitPerson; message: string; files: (workdir: string) => Promise<Record<string, string>> }
  | { kind: 'promote'; app: PromotableApp; env: string; tag: string };

const setLogLevel = (level: string) => async (workdir: string) => {
  const file = 'apps/users-api/base/configmap.yaml';
  return {
    [file]: editYaml(await readFile(path.join(workdir, file), 'utf8'), (doc) => {
      doc.setIn(['data', 'LOG_LEVEL'], level);
    }),
  };
};

const SEED_HISTORY: readonly SeedStep[] = [
  {
    kind: 'files',
    who: dana,
    message: 'add users-api: kustomize base and dev/staging/prod overlays',
    files: async () => ({
      'README.md': README,
      ...USERS_API_BASE,
      ...usersApiOverlay('dev', '1.40.0'),
      ...usersApiOverlay('staging', '1.40.0'),
      ...usersApiOverlay('prod', '1.40.0'),
    }),
  },
  {
    kind: 'files',
    who: dana,
    message: 'add billing-worker manifests for Flux (dev, prod)',
    files: async () => ({ ...billingWorker('dev', '2.2.0'), ...billingWorker('prod', '2.2.0') }),
  },
  { kind: 'promote', app: 'users-api', env: 'dev', tag: '1.41.0' },
  { kind: 'promote', app: 'users-api', env: 'staging', tag: '1.41.0' },
  { kind: 'promote', app: 'billing-worker', env: 'dev', tag: '2.3.0' },
  {
    kind: 'files',
    who: lee,
    message: 'users-api: debug logging while chasing slow logins',
    files: setLogLevel('debug'),
  },
  { kind: 'promote', app: 'users-api', env: 'prod', tag: '1.41.0' },
  { kind: 'promote', app: 'billing-worker', env: 'prod', tag: '2.3.0' },
  { kind: 'promote', app: 'users-api', env: 'dev', tag: '1.42.0' },
  {
    kind: 'files',
    who: lee,
    message: 'users-api: back to info logging, slow logins were the DB pool',
    files: setLogLevel('info'),
  },
  { kind: 'promote', app: 'users-api', env: 'staging', tag: '1.42.0' },
  { kind: 'promote', app: 'billing-worker', env: 'dev', tag: '2.4.0' },
  {
    kind: 'files',
    who: dana,
    message: 'README: say who bumps image tags',
    files: async (workdir) => ({
      'README.md':
        `${await readFile(path.join(workdir, 'README.md'), 'utf8')}Rollbacks: revert ` +
        `the promotion commit (rewind does this); never edit a tag by hand in prod.\n`,
    }),
  },
  { kind: 'promote', app: 'users-api', env: 'prod', tag: '1.42.0' },
  { kind: 'promote', app: 'billing-worker', env: 'prod', tag: '2.4.0' },
];

// ---------------------------------------------------------------------------------------------
// Tag edits

function editYaml(text: string, edit: (doc: Document.Parsed) => void): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`cannot parse YAML: ${doc.errors[0]?.message ?? 'unknown error'}`);
  edit(doc);
  return doc.toString();
}

/** Returns the file with the tag replaced, and the tag it had. */
export function setImageTag(app: PromotableApp, text: string, tag: string): { text: string; from: string } {
  let from: string | undefined;
  const next = editYaml(text, (doc) => {
    if (app === 'users-api') {
      const images = doc.get('images');
      const i = isSeq(images) ? images.items.findIndex((it) => isMap(it) && it.get('name') === IMAGE[app]) : -1;
      const current = i >= 0 ? doc.getIn(['images', i, 'newTag']) : undefined;
      if (typeof current !== 'string') throw new Error(`no images entry with newTag for ${IMAGE[app]}`);
      from = current;
      doc.setIn(['images', i, 'newTag'], tag);
      return;
    }
    const containers = doc.getIn(['spec', 'template', 'spec', 'containers']);
    const items = isSeq(containers) ? containers.items : [];
    const i = items.findIndex((c) => isMap(c) && String(c.get('image') ?? '').startsWith(`${IMAGE[app]}:`));
    const image = i >= 0 ? doc.getIn(['spec', 'template', 'spec', 'containers', i, 'image']) : undefined;
    if (typeof image !== 'string') throw new Error(`no container with image ${IMAGE[app]}`);
    from = image.slice(IMAGE[app].length + 1);
    doc.setIn(['spec', 'template', 'spec', 'containers', i, 'image'], `${IMAGE[app]}:${tag}`);
  });
  if (from === undefined) throw new Error('unreachable: tag not found');
  return { text: next, from };
}

// ---------------------------------------------------------------------------------------------
// Git plumbing

const GIT_CONFIG = ['commit.gpgsign=false', 'core.autocrlf=false', 'advice.detachedHead=false'];
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SAFE_REV = /^[A-Za-z0-9_][A-Za-z0-9_./^~@{}-]*$/;

/**
 * A minimal environment: the parent's GIT_* variables (GIT_SSL_CAINFO, GIT_DIR...) must not leak
 * into these repos, and simple-git refuses editor/pager-like variables (npm run sets several).
 */
const PASSED_ENV = /^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z]+|TZ|TMPDIR|SystemRoot)$/;
function envWithCommitterDate(date: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && PASSED_ENV.test(k)) env[k] = v;
  env.GIT_COMMITTER_DATE = date;
  return env;
}

function gitAs(baseDir: string, who: GitPerson, date: string): SimpleGit {
  return simpleGit({
    baseDir,
    config: [...GIT_CONFIG, `user.name=${who.name}`, `user.email=${who.email}`],
    allowEnvironment: ['GIT_COMMITTER_DATE'],
  }).env(envWithCommitterDate(date));
}

const gitDate = (ms: number): string => `${Math.floor(ms / 1000)} +0000`;

/** Rejects absolute paths, escapes from the repo and anything inside .git. */
function repoPath(workdir: string, rel: string): string {
  const abs = path.resolve(workdir, rel);
  const inside = path.relative(workdir, abs);
  if (path.isAbsolute(rel) || inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
    throw new Error(`file path "${rel}" must be relative and inside the repository`);
  }
  if (inside.split(path.sep)[0] === '.git') throw new Error(`file path "${rel}" points into .git`);
  return abs;
}

export async function seedConfigRepo(root: string): Promise<ConfigRepo> {
  const remote = path.resolve(root, 'config.git');
  const workdir = path.resolve(root, 'seed-work');
  await mkdir(path.resolve(root), { recursive: true });
  // Non-recursive so an existing world is refused instead of being silently re-seeded.
  await mkdir(remote);
  await mkdir(workdir);
  await simpleGit({ baseDir: remote, config: GIT_CONFIG }).init(true, [`--initial-branch=${BRANCH}`]);
  const plain = simpleGit({ baseDir: workdir, config: GIT_CONFIG });
  await plain.init([`--initial-branch=${BRANCH}`]);
  await plain.addRemote('origin', remote);

  // Seeded history spreads over the past ~9 days; later commits use the wall clock but never go
  // back in time, so `git log` order and date order agree.
  let lastMs = Date.now() - 9 * 24 * HOUR;
  const nextDate = (seeding: boolean, step = 0): string => {
    lastMs = seeding
      ? lastMs + (9 + ((step * 7) % 8)) * HOUR + ((step * 13) % 50) * 60_000
      : Math.max(Date.now(), lastMs + 1000);
    return gitDate(lastMs);
  };

  const promotions: Promotion[] = [];

  async function commitLocal(
    files: Record<string, string>,
    message: string,
    who: GitPerson,
    date: string,
  ): Promise<string> {
    const rels = Object.keys(files);
    if (rels.length === 0) throw new Error('commit needs at least one file');
    if (message.trim() === '') throw new Error('commit message must not be empty');
    for (const rel of rels) {
      const abs = repoPath(workdir, rel);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, files[rel] ?? '');
    }
    const git = gitAs(workdir, who, date);
    await git.add(['--', ...rels]);
    const status = await git.status();
    if (status.staged.length === 0) throw new Error(`nothing to commit: ${rels.join(', ')} already hold that content`);
    await git.commit(message, undefined, { '--author': `${who.name} <${who.email}>`, '--date': date });
    return (await git.revparse(['HEAD'])).trim();
  }

  async function promoteLocal(app: PromotableApp, env: string, tag: string, date: string): Promise<Promotion> {
    if (!(ENVS[app] as readonly string[]).includes(env))
      throw new Error(`${app} has no env "${env}" (known: ${ENVS[app].join(', ')})`);
    if (!DOCKER_TAG.test(tag)) throw new Error(`"${tag}" is not a valid image tag`);
    const file = tagFile(app, env);
    const { text, from } = setImageTag(app, await readFile(path.join(workdir, file), 'utf8'), tag);
    if (from === tag) throw new Error(`${app}/${env} is already at ${tag}; nothing to promote`);
    const sha = await commitLocal({ [file]: text }, `promote ${app} ${tag} to ${env}`, ciBot, date);
    return { app, env, sha, from, to: tag };
  }

  for (const [i, step] of SEED_HISTORY.entries()) {
    const date = nextDate(true, i);
    if (step.kind === 'files') await commitLocal(await step.files(workdir), step.message, step.who, date);
    else promotions.push(await promoteLocal(step.app, step.env, step.tag, date));
  }
  await plain.push(['-u', 'origin', `${BRANCH}:${BRANCH}`]);

  // Other processes push to the same bare repo; rebase onto them, and if that conflicts, drop the
  // local commit so the clone stays usable and the remote is untouched.
  async function publish(make: () => Promise<string>): Promise<string> {
    await plain.pull('origin', BRANCH, { '--rebase': 'true' });
    try {
      await make();
    } catch (err) {
      await plain.reset(['--hard', 'HEAD']);
      await plain.raw(['clean', '-fd']);
      throw err;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await plain.push('origin', `HEAD:${BRANCH}`);
        return (await plain.revparse(['HEAD'])).trim();
      } catch (err) {
        const rejected = /rejected|non-fast-forward|fetch first/i.test(String(err));
        let rebased = false;
        if (rejected && attempt < 5) {
          try {
            await plain.pull('origin', BRANCH, { '--rebase': 'true' });
            rebased = true;
          } catch {
            await plain.raw(['rebase', '--abort']).catch(() => undefined);
          }
        }
        if (!rebased) {
          await plain.fetch('origin', BRANCH);
          await plain.reset(['--hard', `origin/${BRANCH}`]);
          throw err;
        }
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  // One operation at a time on the shared clone.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(op: () => Promise<T>): Promise<T> {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  }

  const bare = simpleGit({ baseDir: remote, config: GIT_CONFIG });

  return {
    remote,
    branch: BRANCH,
    workdir,
    promotions,
    async head() {
      return (await bare.revparse([`refs/heads/${BRANCH}`])).trim();
    },
    async commit(files, message, author = dana) {
      for (const rel of Object.keys(files)) repoPath(workdir, rel);
      return serial(() => publish(() => commitLocal(files, message, author, nextDate(false))));
    },
    promote(app, env, tag) {
      return serial(async () => {
        let promotion: Promotion | undefined;
        const sha = await publish(async () => (promotion = await promoteLocal(app, env, tag, nextDate(false))).sha);
        if (!promotion) throw new Error('unreachable: promotion not recorded');
        // A rebase onto someone else's push rewrites the sha.
        promotion.sha = sha;
        promotions.push(promotion);
        return promotion;
      });
    },
    async show(file, rev = `refs/heads/${BRANCH}`) {
      if (!SAFE_REV.test(rev)) throw new Error(`"${rev}" is not a valid revision`);
      if (file.startsWith('/') || file.split('/').includes('..'))
        throw new Error(`"${file}" must be a path relative to the repository root`);
      return bare.show([`${rev}:${file}`]);
    },
  };
}
