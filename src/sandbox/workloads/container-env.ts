/**
 * The environment of a container as the kubelet builds it when the container starts
 * (`makeEnvironmentVariables`): first `envFrom` sources in order (ConfigMaps and Secrets, each
 * with an optional prefix), then `env` entries in order (literal values with `$(VAR)` expansion,
 * ConfigMap and Secret keys, a few field references), later entries winning. A missing
 * non-optional ConfigMap, Secret or key is the kubelet's CreateContainerConfigError: the
 * container does not start, with the kubelet's own message. Pure.
 */

/** Data of ConfigMaps and Secrets (decoded) by name, in the pod's namespace; undefined when absent. */
export interface EnvSources {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: KeyRef;
    secretKeyRef?: KeyRef;
    fieldRef?: { fieldPath?: string };
    resourceFieldRef?: unknown;
  };
}
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}
export interface ContainerLike {
  name?: string;
  image?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
}

/** What field references resolve against. */
export interface PodIdentity {
  name: string;
  namespace: string;
  serviceAccountName?: string;
}

export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; error: string };

/** Kubernetes' `$(VAR)` expansion: defined names are replaced, `$$` escapes, unknown references stay as written. */
export function expandEnv(value: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== '$' || i + 1 >= value.length) {
      out += ch;
      continue;
    }
    const next = value[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const end = value.indexOf(')', i + 2);
      if (end > 0) {
        const name = value.slice(i + 2, end);
        out += name in env ? env[name] : `$(${name})`;
        i = end;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

function fieldValue(path: string | undefined, pod: PodIdentity): string {
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'spec.serviceAccountName':
      return pod.serviceAccountName ?? 'default';
    case 'spec.nodeName':
      return 'sandbox-node';
    default:
      return '';
  }
}

/** The environment `c` would start with now, or the kubelet's error when it cannot start. */
export function containerEnv(c: ContainerLike, src: EnvSources, pod: PodIdentity): EnvResult {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef?.name) {
      const data = src.configMap(from.configMapRef.name);
      if (!data && !from.configMapRef.optional)
        return { ok: false, error: `Error: configmap "${from.configMapRef.name}" not found` };
      for (const [k, v] of Object.entries(data ?? {})) env[`${prefix}${k}`] = v;
    } else if (from.secretRef?.name) {
      const data = src.secret(from.secretRef.name);
      if (!data && !from.secretRef.optional)
        return { ok: false, error: `Error: secret "${from.secretRef.name}" not found` };
      for (const [k, v] of Object.entries(data ?? {})) env[`${prefix}${k}`] = v;
    }
  }
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = expandEnv(e.value ?? '', env);
      continue;
    }
    const cm = from.configMapKeyRef,
      secret = from.secretKeyRef;
    if (cm?.name && cm.key) {
      const data = src.configMap(cm.name);
      if (!data) {
        if (cm.optional) continue;
        return { ok: false, error: `Error: configmap "${cm.name}" not found` };
      }
      if (!(cm.key in data)) {
        if (cm.optional) continue;
        return { ok: false, error: `Error: couldn't find key ${cm.key} in ConfigMap ${pod.namespace}/${cm.name}` };
      }
      env[e.name] = data[cm.key]!;
    } else if (secret?.name && secret.key) {
      const data = src.secret(secret.name);
      if (!data) {
        if (secret.optional) continue;
        return { ok: false, error: `Error: secret "${secret.name}" not found` };
      }
      if (!(secret.key in data)) {
        if (secret.optional) continue;
        return { ok: false, error: `Error: couldn't find key ${secret.key} in Secret ${pod.namespace}/${secret.name}` };
      }
      env[e.name] = data[secret.key]!;
    } else if (from.fieldRef) {
      env[e.name] = fieldValue(from.fieldRef.fieldPath, pod);
    } else {
      // resourceFieldRef (limits/requests): nothing here reads them; present but empty.
      env[e.name] = '';
    }
  }
  return { ok: true, env };
}

/** Secret `data` is base64 in the API; the container sees the decoded bytes (as UTF-8 text here). */
export function decodeSecretData(data: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}
