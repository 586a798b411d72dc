/**
 * Which workloads read a changed ConfigMap or Secret, and how the change reaches them. Pure: takes
 * the workloads' pod templates, makes no API calls.
 *
 * The kubelet builds a container's environment once, when the container starts: a value read
 * through `env` (configMapKeyRef/secretKeyRef) or `envFrom` reaches running pods only when they
 * restart. A volume is different: the kubelet rewrites the mounted files in place (within its sync
 * period, about a minute), and only a `subPath` mount keeps the old file until a restart.
 */

export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigReader {
  /** `deployment/users-api`, as rewind.yaml names workloads. */
  workload: string;
  container: string;
  via: 'env' | 'envFrom' | 'volume' | 'subPath';
  /** The changed keys this container reads, or 'all' (envFrom, a whole-volume mount). */
  keys: string[] | 'all';
  /** Running pods keep the old value until they restart. */
  needsRestart: boolean;
}

interface KeyRef {
  name?: string;
  key?: string;
}
interface Container {
  name: string;
  env?: Array<{ name: string; valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }>;
  envFrom?: Array<{ configMapRef?: { name?: string }; secretRef?: { name?: string } }>;
  volumeMounts?: Array<{ name: string; subPath?: string; subPathExpr?: string }>;
}
interface Volume {
  name: string;
  configMap?: { name?: string; items?: Array<{ key: string }> };
  secret?: { secretName?: string; items?: Array<{ key: string }> };
  projected?: {
    sources?: Array<{
      configMap?: { name?: string; items?: Array<{ key: string }> };
      secret?: { name?: string; items?: Array<{ key: string }> };
    }>;
  };
}
export interface WorkloadLike {
  kind?: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[]; volumes?: Volume[] } } };
}

/** The keys of `source` a volume projects (undefined: not from `source`; 'all': every key). */
function volumeKeys(v: Volume, kind: ConfigKind, name: string): string[] | 'all' | undefined {
  const pick = (items: Array<{ key: string }> | undefined) => (items?.length ? items.map((i) => i.key) : 'all');
  if (kind === 'ConfigMap' && v.configMap?.name === name) return pick(v.configMap.items);
  if (kind === 'Secret' && v.secret?.secretName === name) return pick(v.secret.items);
  for (const s of v.projected?.sources ?? []) {
    const src = kind === 'ConfigMap' ? s.configMap : s.secret;
    if (src?.name === name) return pick(src.items);
  }
  return undefined;
}

const overlap = (read: string[] | 'all', changed: readonly string[]): string[] | 'all' | undefined => {
  if (read === 'all') return 'all';
  const hit = read.filter((k) => changed.includes(k));
  return hit.length ? hit : undefined;
};

/**
 * Every container of `workloads` that reads one of `keys` of the ConfigMap or Secret `name`.
 * Init containers count (they run again on restart). An empty `keys` means any key changed.
 */
export function configReaders(
  workloads: readonly WorkloadLike[],
  kind: ConfigKind,
  name: string,
  keys: readonly string[],
): ConfigReader[] {
  const out: ConfigReader[] = [];
  const changed = (read: string[] | 'all') => (keys.length === 0 ? read : overlap(read, keys));
  for (const w of workloads) {
    const ref = `${(w.kind ?? 'Deployment').toLowerCase()}/${w.metadata.name}`;
    const pod = w.spec?.template?.spec ?? {};
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, volumeKeys(v, kind, name)] as const));
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const envKeys = (c.env ?? []).flatMap((e) => {
        const r = kind === 'ConfigMap' ? e.valueFrom?.configMapKeyRef : e.valueFrom?.secretKeyRef;
        return r?.name === name && r.key ? [r.key] : [];
      });
      const fromEnv = envKeys.length ? changed(envKeys) : undefined;
      if (fromEnv) out.push({ workload: ref, container: c.name, via: 'env', keys: fromEnv, needsRestart: true });
      const whole = (c.envFrom ?? []).some(
        (f) => (kind === 'ConfigMap' ? f.configMapRef?.name : f.secretRef?.name) === name,
      );
      if (whole) {
        const hit = changed('all');
        if (hit)
          out.push({
            workload: ref,
            container: c.name,
            via: 'envFrom',
            keys: keys.length ? [...keys] : 'all',
            needsRestart: true,
          });
      }
      for (const m of c.volumeMounts ?? []) {
        const read = volumes.get(m.name);
        const hit = read === undefined ? undefined : changed(read);
        if (!hit) continue;
        const sub = !!(m.subPath || m.subPathExpr);
        out.push({ workload: ref, container: c.name, via: sub ? 'subPath' : 'volume', keys: hit, needsRestart: sub });
      }
    }
  }
  return out;
}

/** One line per reader, for the plan: what the person reads before approving. */
export function describeReader(r: ConfigReader, kind: ConfigKind, name: string): string {
  const keys = r.keys === 'all' ? 'every key' : r.keys.join(', ');
  const source = `${kind.toLowerCase()}/${name}`;
  switch (r.via) {
    case 'env':
    case 'envFrom':
      return (
        `${r.workload} (container ${r.container}) reads ${keys} through ${r.via} ${source}: ` +
        `running pods keep the old value until they restart`
      );
    case 'subPath':
      return (
        `${r.workload} (container ${r.container}) mounts ${keys} of ${source} with ` +
        `subPath: the file is not updated until the pods restart`
      );
    case 'volume':
      return (
        `${r.workload} (container ${r.container}) mounts ${keys} of ${source} as a volume: the ` +
        `kubelet updates the files in place within about a minute; the app must re-read them`
      );
  }
}
