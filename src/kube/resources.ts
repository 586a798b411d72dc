/**
 * Raw reads of arbitrary Kubernetes objects, with the REST path found by API discovery
 * (cached per group/version). Raw JSON, not client-node's typed models: those drop fields
 * they do not know, and a drift report must see every field.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, kubeRequest } from './raw-request.js';

interface ApiResource { name: string; kind: string; namespaced: boolean }
const discovery = new WeakMap<KubeConfig, Map<string, Promise<ApiResource[]>>>();

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

async function resourcesOf(kc: KubeConfig, apiVersion: string): Promise<ApiResource[]> {
  let perKc = discovery.get(kc);
  if (!perKc) { perKc = new Map(); discovery.set(kc, perKc); }
  let found = perKc.get(apiVersion);
  if (!found) {
    found = kubeRequest<{ resources: ApiResource[] }>(kc, 'GET', groupVersionPath(apiVersion)).then((r) => r.resources.filter((x) => !x.name.includes('/')));
    found.catch(() => perKc.delete(apiVersion));
    perKc.set(apiVersion, found);
  }
  return found;
}

export async function objectPath(kc: KubeConfig, apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
  const res = (await resourcesOf(kc, apiVersion)).find((r) => r.kind === kind);
  if (!res) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
  const ns = res.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${groupVersionPath(apiVersion)}${ns}/${res.name}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The live object, or undefined when it does not exist. */
export async function readObject<T = Record<string, unknown>>(kc: KubeConfig, apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
  try {
    return await kubeRequest<T>(kc, 'GET', await objectPath(kc, apiVersion, kind, namespace, name));
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}
