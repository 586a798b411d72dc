/**
 * Loads rewind.yaml (REWIND_CONFIG or ./rewind.yaml). Every error names the file, the line,
 * the path inside the document and what to change, because a config error is usually found
 * by someone in the middle of an incident.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNode } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../did-you-mean.js';
import { shown } from '../input-limits.js';
import { issueText } from './issue-text.js';
import { own } from './own-keys.js';
import {
  configSchema,
  type AppConfig,
  type EnvironmentConfig,
  type RewindConfig,
  type ApprovalPolicy,
  type Person,
} from './schema.js';
import { readYaml, YamlReadError, type ReadYaml } from './yaml-limits.js';
import { verificationProblems } from './verification.js';

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
  fix: string;
}

/** Thrown when rewind.yaml is missing, not YAML, or does not match the schema; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.path || '(top level)'}: ${p.message}. Fix: ${p.fix}`;
}

export function configPath(): string {
  return path.resolve(process.env.REWIND_CONFIG ?? 'rewind.yaml');
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    // zod does not keep the input in its issues: "received undefined" in the message is the missing key.
    case 'invalid_type':
      return / received undefined$/.test(issue.message)
        ? `add the required key "${String(issue.path.at(-1))}"`
        : `give it a value of type ${issue.expected}`;
    case 'custom':
      return typeof issue.params?.fix === 'string' ? issue.params.fix : 'see rewind.example.yaml for a valid example';
    case 'invalid_key':
      return 'use a lowercase name of letters, digits and "-" (see rewind.example.yaml)';
    case 'unrecognized_keys':
      return (
        `remove or correct ${issue.keys.map((k) => `"${k}"`).join(', ')} (check ` +
        `the spelling against rewind.example.yaml)`
      );
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options
        ? `use one of ${options.map((v) => JSON.stringify(v)).join(', ')}`
        : 'check the "kind" field and the keys it requires (see rewind.example.yaml)';
    }
    case 'too_small':
      return 'add at least one entry';
    case 'invalid_format':
      return issue.message.startsWith('expected') ? issue.message.replace(/^expected/, 'write') : 'correct the format';
    default:
      return issue.message.startsWith('expected')
        ? issue.message.replace(/^expected/, 'write')
        : 'see rewind.example.yaml for a valid example';
  }
}

export function parseConfig(text: string, file = 'rewind.yaml'): RewindConfig {
  let yaml: ReadYaml;
  try {
    yaml = readYaml(text);
  } catch (err) {
    if (err instanceof YamlReadError) throw new ConfigError(err.problems.map((p) => ({ file, ...p, path: '' })));
    throw err;
  }
  const { doc, at } = yaml;
  const result = configSchema.safeParse(yaml.value ?? {});
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const keys = issue.path.map(String);
        let node: unknown = doc.getIn(keys, true);
        // Missing keys have no node: point at the closest parent that exists.
        for (let n = keys.length - 1; !isNode(node) && n >= 0; n--) node = doc.getIn(keys.slice(0, n), true);
        const offset = isNode(node) ? node.range?.[0] : undefined;
        return { file, ...at(offset), path: keys.join('.'), message: issueText(issue), fix: fixFor(issue) };
      }),
    );
  }
  const problems = crossCheck(result.data, file).map((p) => {
    if (p.line !== undefined) return p;
    const keys = p.path.split('.');
    let node: unknown = doc.getIn(keys, true);
    for (let n = keys.length - 1; !isNode(node) && n >= 0; n--) node = doc.getIn(keys.slice(0, n), true);
    return { ...p, ...at(isNode(node) ? node.range?.[0] : undefined) };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** References between sections (people, clusters, repos) that a schema cannot see. */
function crossCheck(cfg: RewindConfig, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = (section: Record<string, unknown>) => Object.keys(section).join(', ') || '(none defined)';
  for (const [appName, app] of Object.entries(cfg.apps)) {
    for (const [role, list] of [
      ['owners', app.owners],
      ['approvers', app.approvers],
    ] as const) {
      list.forEach((h, i) => {
        if (!own(cfg.people, h))
          problems.push({
            file,
            path: `apps.${appName}.${role}.${i}`,
            message: `unknown person "${h}"`,
            fix: `add "${h}" under people: (name, email, slack) or use one of: ${known(cfg.people)}`,
          });
      });
    }
    for (const [envName, env] of Object.entries(app.environments)) {
      const base = `apps.${appName}.environments.${envName}`;
      if (!own(cfg.clusters, env.cluster))
        problems.push({
          file,
          path: `${base}.cluster`,
          message: `unknown cluster "${env.cluster}"`,
          fix: `define it under clusters: or use one of: ${known(cfg.clusters)}`,
        });
      if (!own(cfg.repos, env.repo))
        problems.push({
          file,
          path: `${base}.repo`,
          message: `unknown repo "${env.repo}"`,
          fix: `define it under repos: or use one of: ${known(cfg.repos)}`,
        });
      for (const v of verificationProblems(cfg, env, base)) problems.push({ file, ...v });
      const shortfall = approvalShortfall(app, approvalPolicy(cfg, envName, env), appName, envName);
      if (shortfall) problems.push({ file, path: `apps.${appName}.approvers`, ...shortfall });
    }
  }
  if (cfg.postmortems && !own(cfg.repos, cfg.postmortems.repo))
    problems.push({
      file,
      path: 'postmortems.repo',
      message: `unknown repo "${cfg.postmortems.repo}"`,
      fix: `define it under repos: or use one of: ${known(cfg.repos)}`,
    });
  // A Kubernetes user proves one person on the CLI: mapped to two, it would prove neither.
  const kubeOwners = new Map<string, string>();
  for (const [handle, p] of Object.entries(cfg.people)) {
    kubeUsersOf(p).forEach((user, i) => {
      const other = kubeOwners.get(user);
      const where = typeof p.kube === 'string' ? `people.${handle}.kube` : `people.${handle}.kube.${i}`;
      if (other !== undefined && other !== handle)
        problems.push({
          file,
          path: where,
          message: `Kubernetes user "${user}" is mapped to ${other} too`,
          fix: `map each Kubernetes user to one person: remove it from ${handle} or from ${other}`,
        });
      else kubeOwners.set(user, handle);
    });
  }
  const names = new Set<string>();
  cfg.drills.forEach((d, i) => {
    const base = `drills.${i}`;
    if (names.has(d.name))
      problems.push({
        file,
        path: `${base}.name`,
        message: `drill name "${d.name}" is used twice`,
        fix: 'give every drill a unique name',
      });
    names.add(d.name);
    if (d.kind === 'access-audit') return;
    const app = d.app ? own(cfg.apps, d.app) : undefined;
    if (!d.app || !app) {
      problems.push({
        file,
        path: `${base}.app`,
        message: d.app ? `unknown app "${d.app}"` : 'a drill of this kind needs an app',
        fix: `use one of: ${Object.keys(cfg.apps).join(', ') || '(none defined)'}`,
      });
      return;
    }
    const env = d.env ? own(app.environments, d.env) : undefined;
    if (!d.env || !env) {
      problems.push({
        file,
        path: `${base}.env`,
        message: d.env ? `app "${d.app}" has no environment "${d.env}"` : 'a drill needs an environment',
        fix: `use one of: ${Object.keys(app.environments).join(', ')}`,
      });
      return;
    }
    if (!env.drillTarget)
      problems.push({
        file,
        path: `${base}.env`,
        message: `${d.app}/${d.env} is not a drill target: drills inject real faults`,
        fix:
          `aim the drill at an environment with drillTarget: true, or set ` +
          `apps.${d.app}.environments.${d.env}.drillTarget: true if faults there are acceptable`,
      });
    if (d.kind === 'rollback' && !d.badTag)
      problems.push({
        file,
        path: `${base}.badTag`,
        message: 'a rollback drill needs a known-bad image tag to promote',
        fix: 'set badTag to a tag the environment treats as broken',
      });
  });
  if (cfg.drills.some((d) => d.kind === 'access-audit') && cfg.ci.identities.length === 0) {
    problems.push({
      file,
      path: 'ci.identities',
      message: 'an access-audit drill needs CI identities to audit',
      fix: 'list them under ci.identities (e.g. system:serviceaccount:ci:deployer)',
    });
  }
  return problems;
}

export async function loadConfig(file = configPath()): Promise<RewindConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      {
        file,
        path: '',
        message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        fix: 'create it from rewind.example.yaml, or point REWIND_CONFIG at it',
      },
    ]);
  }
  return parseConfig(text, file);
}

/** The Kubernetes user names a person's `kube:` maps to them (none, one, or a list). */
export function kubeUsersOf(p: Person): string[] {
  return p.kube === undefined ? [] : typeof p.kube === 'string' ? [p.kube] : p.kube;
}

/** Thrown when a request names an app or environment rewind.yaml does not define. */
export class UnknownTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownTargetError';
  }
}

/**
 * The app and environment a request names. Names are looked up as own keys only, so
 * "constructor" or "__proto__" are unknown like any other name, and an unknown one is answered
 * with the closest known names. The default environment (the app's only one, else its prod one)
 * is taken only when `env` is undefined: an environment someone wrote is never replaced by it.
 */
export function resolveTarget(
  cfg: RewindConfig,
  app: string,
  env?: string,
): { app: AppConfig; envName: string; env: EnvironmentConfig } {
  const appCfg = own(cfg.apps, app);
  const apps = Object.keys(cfg.apps);
  if (!appCfg)
    throw new UnknownTargetError(
      `unknown app ${shown(app, 60)}${didYouMean(app, apps)}. Known apps: ${apps.join(', ') || '(none)'}.`,
    );
  const envs = Object.keys(appCfg.environments);
  if (env !== undefined) {
    const envCfg = own(appCfg.environments, env);
    if (!envCfg)
      throw new UnknownTargetError(
        `app "${app}" has no environment ${shown(env, 60)}${didYouMean(env, envs)}. ` +
          `Its environments: ${envs.join(', ')}.`,
      );
    return { app: appCfg, envName: env, env: envCfg };
  }
  const envName = envs.length === 1 ? envs[0]! : envs.find((e) => cfg.defaults.prodEnvironments.includes(e));
  const envCfg = envName === undefined ? undefined : own(appCfg.environments, envName);
  if (envName === undefined || !envCfg)
    throw new UnknownTargetError(`say which environment of "${app}": ${envs.join(', ')}.`);
  return { app: appCfg, envName, env: envCfg };
}

/**
 * Why the listed approvers cannot satisfy a required policy, or undefined when they can. Any
 * owner may start a run; unless self-approval is allowed, that owner's own approval does not
 * count, so for every owner the other distinct approvers must reach minApprovers. A policy that
 * lets `--yes` stand in for approval (allowCliYes) can always be met.
 */
export function approvalShortfall(
  app: Pick<AppConfig, 'owners' | 'approvers'>,
  policy: ApprovalPolicy,
  appName: string,
  envName: string,
): { message: string; fix: string } | undefined {
  if (!policy.required || policy.allowCliYes) return undefined;
  const approvers = [...new Set(app.approvers)];
  const need = policy.minApprovers;
  const where = `${appName}/${envName}`;
  if (approvers.length < need) {
    return {
      message:
        `${where} requires ${need} approval${need > 1 ? 's' : ''} per run but ` +
        `${
          approvers.length
            ? `only ${approvers.join(', ')} ${approvers.length === 1 ? 'is' : 'are'} ` +
              `listed as approver${approvers.length === 1 ? '' : 's'}`
            : 'the app lists no approvers'
        }` +
        `: no run there could ever be approved`,
      fix:
        `list at least ${need} approver${need > 1 ? 's' : ''} under apps.${appName}.approvers, or ` +
        `lower minApprovers (apps.${appName}.environments.${envName}.approval, or defaults.approval)`,
    };
  }
  if (policy.allowSelfApproval) return undefined;
  const stuck = app.owners.find((o) => approvers.filter((a) => a !== o).length < need);
  if (!stuck) return undefined;
  const others = approvers.filter((a) => a !== stuck);
  return {
    message:
      `${where} requires ${need} approval${need > 1 ? 's' : ''} from ` +
      `someone other than the requester, but when ${stuck} (an owner) asks, ` +
      `${
        others.length
          ? `only ${others.join(', ')} may approve`
          : `nobody may: ${stuck} is the only approver and may not approve their own run (allowSelfApproval: false)`
      }`,
    fix:
      `add an approver other than ${stuck} under apps.${appName}.approvers, lower ` +
      `minApprovers, or set allowSelfApproval: true for ${envName} if one person may act alone`,
  };
}

/** The approval policy in force for one environment: its own overrides over the prod or non-prod default. */
export function approvalPolicy(cfg: RewindConfig, envName: string, env: EnvironmentConfig): ApprovalPolicy {
  const base = cfg.defaults.prodEnvironments.includes(envName)
    ? cfg.defaults.approval.prod
    : cfg.defaults.approval.other;
  const overrides = Object.fromEntries(Object.entries(env.approval ?? {}).filter(([, v]) => v !== undefined));
  return { ...base, ...overrides };
}
