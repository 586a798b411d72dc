/** One KubeRest (keep-alive agent, discovery cache) per KubeConfig, shared by every activity of a worker. */
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterNameOf } from './clusters.js';
import { KubeRest } from './rest.js';

const pool = new WeakMap<KubeConfig, Promise<KubeRest>>();

export function restFor(kc: KubeConfig): Promise<KubeRest> {
  let rest = pool.get(kc);
  if (!rest) {
    rest = KubeRest.create(kc, clusterNameOf(kc));
    rest.catch(() => pool.delete(kc));
    pool.set(kc, rest);
  }
  return rest;
}

/** The live object, or undefined when it does not exist (raw JSON: every field, none dropped). */
export async function readObject<T = Record<string, unknown>>(
  kc: KubeConfig,
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): Promise<T | undefined> {
  const rest = await restFor(kc);
  return rest.get<T>(rest.objectPath(await rest.resource(apiVersion, kind), namespace, name));
}
