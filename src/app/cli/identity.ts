/**
 * Who is running the CLI. By default the cluster says so: the caller's own kubeconfig
 * ($KUBECONFIG or ~/.kube/config, `--kube-context`) is sent a SelfSubjectReview (what
 * `kubectl auth whoami` does) by the API server of a cluster in rewind.yaml, and the Kubernetes
 * user it answers is mapped to a person by `people.<handle>.kube`. A kubeconfig pointing at any
 * other server is refused: its answer would be vouched for by a cluster rewind does not trust.
 * A typed name (`--as`, REWIND_USER) counts only where rewind.yaml allows it
 * (`cli.allowClaimedIdentity`). What the person may do is then decided by src/lib/runs.ts and the
 * workflow, as for Slack. Nothing is cached: every invocation asks the cluster again.
 *
 * This proof is made on the caller's machine, by code the caller runs: it keeps honest people
 * from acting as someone else by mistake or by habit, not someone who can talk to the Temporal
 * namespace directly (README, "Trust model").
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { RewindConfig } from '../../lib/config/schema.js';
import { own } from '../../lib/config/own-keys.js';
import { shown } from '../../lib/input-limits.js';
import { kubeConfigFor } from '../../lib/kube/clusters.js';
import { KubeApiError, isForbidden, isUnauthorized } from '../../lib/kube/errors.js';
import { KubeRest } from '../../lib/kube/rest.js';
import { selfSubjectReview, type KubeUserInfo } from '../../lib/kube/whoami.js';
import { person, personByKubeUser, RefusedError } from '../../lib/runs.js';
import type { IdentityProof, PersonRef } from '../../../workflows/types.js';

export interface CliIdentity {
  person: PersonRef;
  via: Extract<IdentityProof, 'kube' | 'claimed'>;
  /** How, in words: `Kubernetes user "alice@acme.com" on cluster prod-eu`, or `--as alice (typed)`. */
  proof: string;
}

export interface IdentityOptions {
  /** `--as <handle>`. */
  as?: string;
  /** `--kube-context <name>`: the caller's context that proves who they are; default its current one. */
  kubeContext?: string;
  /**
   * The rewind.yaml cluster of the target the command acts on: only it may vouch. Undefined: any
   * cluster in rewind.yaml.
   */
  cluster?: string;
}

/** What cliIdentity reaches outside the process; tests replace it. */
export interface IdentityDeps {
  env: NodeJS.ProcessEnv;
  /** The caller's kubeconfig, or undefined when they have none. @default callerKubeConfig */
  kubeConfig(env: NodeJS.ProcessEnv): KubeConfig | undefined;
  /** The SelfSubjectReview, sent with `kc`'s current context to its server. @default one KubeRest, closed after */
  whoami(kc: KubeConfig, cluster: string): Promise<KubeUserInfo>;
}

// Defined apart so that `rewind --help` loads no Kubernetes client.
export { AS_HELP, KUBE_CONTEXT_HELP, identityOptions } from './identity-options.js';

const defaultDeps: IdentityDeps = {
  env: process.env,
  kubeConfig: callerKubeConfig,
  async whoami(kc, cluster) {
    const rest = await KubeRest.create(kc, cluster);
    try {
      return await selfSubjectReview(rest);
    } finally {
      rest.close();
    }
  },
};

/**
 * The person running the CLI and how that is known.
 * @throws RefusedError (not-authorized) with the fix: a typed name where none is allowed, no or an
 * untrusted kubeconfig, credentials the cluster refuses, a Kubernetes user mapped to nobody.
 */
export async function cliIdentity(
  cfg: RewindConfig,
  o: IdentityOptions,
  deps: Partial<IdentityDeps> = {},
): Promise<CliIdentity> {
  const d = { ...defaultDeps, ...deps };
  const claimed = claimedHandle(o.as, d.env);
  if (claimed) {
    const flag = claimed.source === 'flag' ? '--as' : 'REWIND_USER';
    if (!cfg.cli.allowClaimedIdentity) {
      throw new RefusedError(
        `${flag} ${shown(claimed.handle, 40)} is refused: rewind.yaml does not let the CLI act ` +
          `as a typed name (cli.allowClaimedIdentity is false), since anyone could type anyone's. ` +
          `Drop ${flag}${claimed.source === 'flag' && d.env.REWIND_USER?.trim() ? ' and unset REWIND_USER' : ''}: ` +
          `rewind asks the cluster who your kubeconfig is (as kubectl auth whoami does) and maps that Kubernetes ` +
          `user to you through people.<handle>.kube in rewind.yaml; pick the context with --kube-context.`,
        'not-authorized',
      );
    }
    return {
      person: person(cfg, claimed.handle),
      via: 'claimed',
      proof: `${flag} ${claimed.handle} (typed; rewind.yaml allows it with cli.allowClaimedIdentity)`,
    };
  }
  const orClaim = cfg.cli.allowClaimedIdentity
    ? ' Or, since this rewind.yaml allows typed identities ' +
      '(cli.allowClaimedIdentity), name yourself with --as <handle>.'
    : '';
  const kc = d.kubeConfig(d.env);
  if (!kc || kc.getContexts().length === 0) {
    throw new RefusedError(
      `rewind proves who you are from your kubeconfig, and found none ($KUBECONFIG or ` +
        `~/.kube/config): log in to the cluster as you do for kubectl, then retry.${orClaim}`,
      'not-authorized',
    );
  }
  const contextName = o.kubeContext ?? kc.getCurrentContext();
  const context = kc.getContexts().find((c) => c.name === contextName);
  if (!context) {
    const names = kc
      .getContexts()
      .map((c) => c.name)
      .join(', ');
    throw new RefusedError(
      o.kubeContext
        ? `your kubeconfig has no context ${shown(o.kubeContext, 60)}; its contexts: ${names}`
        : `your kubeconfig has no current context; choose one of ${names} with --kube-context`,
      'not-authorized',
    );
  }
  kc.setCurrentContext(context.name);
  const server = kc.getCurrentCluster()?.server ?? '';
  const cluster = vouchingCluster(cfg, kc, server, context.name, o.cluster);
  let info: KubeUserInfo;
  try {
    info = await d.whoami(kc, cluster);
  } catch (err) {
    throw new RefusedError(
      reviewFailure(err, cluster, server, context.name, kc.getCurrentUser()?.name ?? '(no user)'),
      'not-authorized',
    );
  }
  if (!info.username)
    throw new RefusedError(
      `cluster ${cluster} (${server}) answered without a user name for your ` +
        `kubeconfig context "${context.name}"; rewind cannot tell who you are.${orClaim}`,
      'not-authorized',
    );
  const who = personByKubeUser(cfg, info.username);
  if (!who) {
    throw new RefusedError(
      `cluster ${cluster} knows you as Kubernetes user ${shown(info.username, 80)}, ` +
        `but no person in rewind.yaml has it under kube:. ` +
        `Ask a rewind admin to add \`kube: ${shown(info.username, 80)}\` to your entry under ` +
        `people: (user names only: groups are not mapped, many people share one).${orClaim}`,
      'not-authorized',
    );
  }
  return { person: who, via: 'kube', proof: `Kubernetes user ${shown(info.username, 80)} on cluster ${cluster}` };
}

/** `--as`, else REWIND_USER; blank values do not count. */
export function claimedHandle(
  as: string | undefined,
  env: NodeJS.ProcessEnv,
): { handle: string; source: 'flag' | 'env' } | undefined {
  const fromFlag = as?.trim();
  if (fromFlag) return { handle: fromFlag, source: 'flag' };
  const fromEnv = env.REWIND_USER?.trim();
  return fromEnv ? { handle: fromEnv, source: 'env' } : undefined;
}

/**
 * $KUBECONFIG (merged, as kubectl does) or ~/.kube/config; undefined when there is no such file.
 * In-cluster credentials are a pod's, never a person's.
 */
export function callerKubeConfig(env: NodeJS.ProcessEnv): KubeConfig | undefined {
  const files = env.KUBECONFIG
    ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
    : [path.join(env.HOME || homedir(), '.kube', 'config')];
  const present = files.filter((f) => existsSync(f));
  if (present.length === 0) return undefined;
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(present[0]!);
    for (const file of present.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more);
    }
  } catch (err) {
    throw new RefusedError(
      `cannot read your kubeconfig (${present.join(path.delimiter)}): ${(err as Error).message}`,
      'not-authorized',
    );
  }
  return kc;
}

/**
 * The API server rewind.yaml trusts for a cluster: its `server:`, else the server of its explicit
 * `kubeconfig:` file. Undefined for in-cluster or default-kubeconfig clusters without `server:`:
 * the default kubeconfig on the caller's machine is the caller's own, and proves nothing.
 */
export function trustedServer(spec: RewindConfig['clusters'][string]): string | undefined {
  if (spec.server) return spec.server;
  if (spec.inCluster || !spec.kubeconfig) return undefined;
  try {
    return kubeConfigFor(spec).getCurrentCluster()?.server || undefined;
  } catch {
    return undefined;
  }
}

/** The same API server, whatever the spelling: scheme, lowercase host, explicit port, path without trailing slash. */
export function sameServer(a: string, b: string): boolean {
  const norm = (s: string) => {
    try {
      const u = new URL(s);
      return (
        `${u.protocol}//${u.hostname.toLowerCase()}:` +
        `${u.port || (u.protocol === 'https:' ? '443' : '80')}${u.pathname.replace(/\/+$/, '')}`
      );
    } catch {
      return s;
    }
  };
  return norm(a) === norm(b);
}

/** The rewind.yaml cluster whose server the caller's context points at (the target's, when the command has one). */
function vouchingCluster(
  cfg: RewindConfig,
  kc: KubeConfig,
  server: string,
  contextName: string,
  target: string | undefined,
): string {
  const candidates = target !== undefined ? [target] : Object.keys(cfg.clusters);
  const servers = candidates.map((name) => ({
    name,
    server: own(cfg.clusters, name) ? trustedServer(own(cfg.clusters, name)!) : undefined,
  }));
  const match = servers.find((c) => c.server !== undefined && sameServer(c.server, server));
  if (match) return match.name;
  const known = servers.filter((c): c is { name: string; server: string } => c.server !== undefined);
  if (known.length === 0) {
    const names = candidates.join(', ') || '(none)';
    throw new RefusedError(
      `rewind.yaml names no API server for cluster${candidates.length === 1 ? '' : 's'} ${names} that ` +
        `the CLI could check your kubeconfig against (rewind ` +
        `reaches ${candidates.length === 1 ? 'it' : 'them'} in-cluster or through the default kubeconfig). ` +
        `Ask a rewind admin to set clusters.<name>.server to the URL your ` +
        `kubeconfig uses for ${candidates.length === 1 ? 'it' : 'them'}.`,
      'not-authorized',
    );
  }
  const elsewhere = Object.entries(cfg.clusters).find(([, spec]) => {
    const s = trustedServer(spec);
    return s !== undefined && sameServer(s, server);
  })?.[0];
  const contexts = kc
    .getContexts()
    .filter((c) => {
      const s = kc.getCluster(c.cluster)?.server;
      return s !== undefined && known.some((k) => sameServer(k.server, s));
    })
    .map((c) => c.name);
  const wanted = known.map((k) => `${k.name} (${k.server})`).join(', ');
  const why =
    target === undefined
      ? `which is not a cluster in rewind.yaml (${wanted}): rewind does ` +
        `not take the word of a server it does not trust for who you are`
      : elsewhere !== undefined
        ? `which is cluster ${elsewhere} in rewind.yaml, but the target runs ` +
          `on cluster ${wanted}: only that cluster may say who acts on it`
        : `which is not a cluster in rewind.yaml, and the target runs on cluster ${wanted}: ` +
          `rewind does not take the word of a server it does not trust for who you are`;
  throw new RefusedError(
    `your kubeconfig context "${contextName}" points at ${server || '(no server)'}, ${why}. ` +
      (contexts.length
        ? `Use --kube-context ${contexts.join(' or --kube-context ')}.`
        : `Log in to ${known.length === 1 ? 'that cluster' : 'one of those clusters'} and ` +
          `pick its context with --kube-context.`),
    'not-authorized',
  );
}

function reviewFailure(err: unknown, cluster: string, server: string, context: string, user: string): string {
  const where = `cluster ${cluster} (${server})`;
  if (isUnauthorized(err))
    return (
      `${where} did not accept the credentials of your kubeconfig context "${context}" (user ${user}): ` +
      `they expired or are for another cluster. Log in again (as for kubectl), then retry.`
    );
  if (isForbidden(err))
    return (
      `${where} refused to say who you are (${(err as KubeApiError).serverMessage}). ` +
      `Every authenticated user may create selfsubjectreviews through the ` +
      `ClusterRole system:basic-user; ask the cluster admin whether that was removed.`
    );
  if (err instanceof KubeApiError && err.status === 404)
    return `${where} has no SelfSubjectReview API (Kubernetes 1.27 and later have it), so it cannot say who you are.`;
  return `cannot ask ${where} who you are: ${(err as Error).message ?? String(err)}`;
}
