/**
 * Fault rules: which Deployments the workload simulator keeps failing, as if their pods crashed.
 * Pure; the environment of each container is resolved the way the kubelet would build it, from
 * `envFrom` ConfigMaps (in order, with prefixes) and then `env` entries (values or ConfigMap
 * keys), so a wrong value in a ConfigMap fails the pods that read it.
 */
import type { FaultRule } from './types.js';

interface EnvVar { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name?: string; key?: string } } }
interface EnvFrom { prefix?: string; configMapRef?: { name?: string } }
export interface ContainerLike { name?: string; image?: string; env?: EnvVar[]; envFrom?: EnvFrom[] }

export interface FaultTarget {
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: ContainerLike[] } } };
}

/** ConfigMap data by name in the Deployment's namespace; undefined when it does not exist. */
export type ConfigMapLookup = (name: string) => Record<string, string> | undefined;

/** The environment a container would start with (ConfigMap references only; Secrets and field refs are not resolved). */
export function containerEnv(c: ContainerLike, configMap: ConfigMapLookup): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const data = from.configMapRef?.name ? configMap(from.configMapRef.name) : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) { env[e.name] = e.value; continue; }
    const ref = e.valueFrom?.configMapKeyRef;
    const v = ref?.name && ref.key ? configMap(ref.name)?.[ref.key] : undefined;
    if (v !== undefined) env[e.name] = v;
    else if (!e.valueFrom) env[e.name] = '';
  }
  return env;
}

/** Judged on the containers that define the variable (a sidecar without it is not failing); none defining it fails only `mustEqual`. */
function envFails(rule: NonNullable<FaultRule['env']>, envs: Array<Record<string, string>>): boolean {
  const values = envs.filter((e) => rule.name in e).map((e) => e[rule.name]!);
  if (values.length === 0) return rule.mustEqual !== undefined;
  if (rule.mustEqual !== undefined) return values.some((v) => v !== rule.mustEqual);
  if (rule.mustNotEqual !== undefined) return values.some((v) => v === rule.mustNotEqual);
  return true;
}

/** The first rule that matches `d`, or undefined when the Deployment is fine. */
export function matchFault(d: FaultTarget, rules: readonly FaultRule[], configMap: ConfigMapLookup): FaultRule | undefined {
  const containers = d.spec?.template?.spec?.containers ?? [];
  return rules.find((r) => {
    if (r.namespace !== undefined && r.namespace !== (d.metadata.namespace ?? 'default')) return false;
    if (r.deployment !== undefined && r.deployment !== d.metadata.name) return false;
    if (r.image !== undefined && !containers.some((c) => c.image === r.image)) return false;
    if (r.env !== undefined && !envFails(r.env, containers.map((c) => containerEnv(c, configMap)))) return false;
    return true;
  });
}
