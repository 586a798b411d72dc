/**
 * The live changes people type during an incident, turned into exact patches:
 *   configmap/users-api-env DB_HOST=db-prod-2.internal [KEY=VALUE…]
 *   deployment/users-api image=ghcr.io/acme/users-api:1.42.1
 *   deployment/users-api env DB_HOST=db-prod-2.internal        (container = the deployment's name)
 *   deployment/users-api:sidecar env LOG_LEVEL=debug           (a named container)
 *   <kind>/<name> {"json":"merge patch"}
 * Built-in workloads get strategic merge patches (containers and env merge by name); everything
 * else gets JSON merge patches. Text is only ever data here: no shell, no git option.
 *
 * Where Git holds the changes is decided by the plan; `withGitOptions` adds what the requester
 * said about it (`--git-file`/`--git-path`, `--git-base`).
 */
import type { LiveChange } from '../../../workflows/types.js';

export class ChangeSyntaxError extends Error {
  constructor(message: string) {
    super(
      `${message}. Forms: "configmap/NAME KEY=VALUE", "deployment/NAME image=REF", ` +
        `"deployment/NAME[:CONTAINER] env KEY=VALUE", or "KIND/NAME {json merge patch}"`,
    );
    this.name = 'ChangeSyntaxError';
  }
}

const KINDS: Record<string, { apiVersion: string; kind: string; strategic: boolean }> = {
  configmap: { apiVersion: 'v1', kind: 'ConfigMap', strategic: false },
  secret: { apiVersion: 'v1', kind: 'Secret', strategic: false },
  service: { apiVersion: 'v1', kind: 'Service', strategic: true },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment', strategic: true },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet', strategic: true },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet', strategic: true },
};
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

function pairs(words: string[]): Record<string, string> {
  if (words.length === 0) throw new ChangeSyntaxError('no KEY=VALUE given');
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf('=');
    const key = w.slice(0, i),
      value = w.slice(i + 1);
    if (i <= 0 || !KEY.test(key)) throw new ChangeSyntaxError(`"${w}" is not KEY=VALUE`);
    out[key] = value;
  }
  return out;
}

export function parseChange(text: string, namespace: string): LiveChange {
  const trimmed = text.trim();
  const m = /^([a-z]+)\/([a-z0-9.-]+)(?::([a-z0-9-]+))?(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!m) throw new ChangeSyntaxError(`cannot read "${trimmed}"`);
  const [, kindWord = '', name = '', container, rest = ''] = m;
  const kind = KINDS[kindWord];
  if (!kind) throw new ChangeSyntaxError(`unknown kind "${kindWord}" (known: ${Object.keys(KINDS).join(', ')})`);
  if (!NAME.test(name)) throw new ChangeSyntaxError(`"${name}" is not an object name`);
  const object = { apiVersion: kind.apiVersion, kind: kind.kind, namespace, name };
  const body = rest.trim();
  if (body.startsWith('{')) {
    let patch: unknown;
    try {
      patch = JSON.parse(body);
    } catch (err) {
      throw new ChangeSyntaxError(`the JSON patch does not parse (${(err as Error).message})`);
    }
    if (!patch || typeof patch !== 'object' || Array.isArray(patch))
      throw new ChangeSyntaxError('a JSON merge patch must be an object');
    return { object, patchType: kind.strategic ? 'strategic' : 'merge', patch: patch as Record<string, unknown> };
  }
  const words = body.split(/\s+/).filter(Boolean);
  if (kind.kind === 'ConfigMap' || kind.kind === 'Secret') {
    if (container) throw new ChangeSyntaxError(`${kindWord} has no containers`);
    return { object, patchType: 'merge', patch: { [kind.kind === 'Secret' ? 'stringData' : 'data']: pairs(words) } };
  }
  if (!kind.strategic || kind.kind === 'Service')
    throw new ChangeSyntaxError(`give a JSON merge patch for ${kindWord}`);
  const containerName = container ?? name;
  if (words[0] === 'env') {
    const env = Object.entries(pairs(words.slice(1))).map(([k, value]) => ({ name: k, value }));
    return {
      object,
      patchType: 'strategic',
      patch: { spec: { template: { spec: { containers: [{ name: containerName, env }] } } } },
    };
  }
  const set = pairs(words);
  const keys = Object.keys(set);
  if (keys.length !== 1 || keys[0] !== 'image' || !IMAGE.test(set.image!))
    throw new ChangeSyntaxError(`for ${kindWord}, use "image=REF" or "env KEY=VALUE"`);
  return {
    object,
    patchType: 'strategic',
    patch: { spec: { template: { spec: { containers: [{ name: containerName, image: set.image }] } } } },
  };
}

/**
 * What a request says about the Git side: an explicit place for its one change, and whether a shared base may change.
 */
export interface GitOptions {
  gitFile?: string;
  gitPath?: string;
  gitBase?: boolean;
}

/** Thrown when the Git options do not fit the changes given; the message names the flags. */
export class GitOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitOptionsError';
  }
}

/**
 * The changes with the request's Git options. `--git-base` lets every change edit a layer other
 * environments share (LiveChange.gitScope 'base'); without it a change stays in its environment.
 */
export function withGitOptions(changes: readonly LiveChange[], o: GitOptions): LiveChange[] {
  if ((o.gitFile === undefined) !== (o.gitPath === undefined))
    throw new GitOptionsError('give --git-file and --git-path together');
  let out = [...changes];
  if (o.gitFile !== undefined && o.gitPath !== undefined) {
    const [only] = changes;
    if (!only || changes.length !== 1)
      throw new GitOptionsError(
        '--git-file/--git-path name the Git place of one change: give exactly one --change with them',
      );
    out = [{ ...only, gitFile: o.gitFile, gitPath: o.gitPath }];
  }
  return o.gitBase ? out.map((c) => ({ ...c, gitScope: 'base' })) : out;
}
