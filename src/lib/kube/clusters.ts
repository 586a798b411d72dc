/**
 * KubeConfigs for the clusters named in rewind.yaml. Built once per process; activities
 * look them up by the cluster name carried in the run's target snapshot.
 */
import * as k8s from '@kubernetes/client-node';
import type { RewindConfig } from '../config/schema.js';

export type Clusters = Map<string, k8s.KubeConfig>;

const names = new WeakMap<k8s.KubeConfig, string>();

/** rewind's name (rewind.yaml) for a cluster's KubeConfig, for messages; undefined for one built elsewhere. */
export const clusterNameOf = (kc: k8s.KubeConfig): string | undefined => names.get(kc);

export function kubeConfigFor(spec: RewindConfig['clusters'][string]): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (spec.inCluster) kc.loadFromCluster();
  else if (spec.kubeconfig) kc.loadFromFile(spec.kubeconfig.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
  else kc.loadFromDefault();
  if (spec.context) {
    if (!kc.getContexts().some((c) => c.name === spec.context))
      throw new Error(
        `kube context "${spec.context}" not found; contexts: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')}`,
      );
    kc.setCurrentContext(spec.context);
  }
  return kc;
}

export function clustersFromConfig(cfg: RewindConfig): Clusters {
  return new Map(
    Object.entries(cfg.clusters).map(([name, spec]) => {
      const kc = kubeConfigFor(spec);
      names.set(kc, name);
      return [name, kc] as const;
    }),
  );
}

export function clusterConfig(clusters: Clusters, name: string): k8s.KubeConfig {
  const kc = clusters.get(name);
  if (!kc)
    throw new Error(`cluster "${name}" is not configured in this worker; known: ${[...clusters.keys()].join(', ')}`);
  return kc;
}
