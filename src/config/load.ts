/**
 * Loads rewind.yaml (REWIND_CONFIG or ./rewind.yaml). Every error names the file, the line,
 * the path inside the document and what to change, because a config error is usually found
 * by someone in the middle of an incident.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, type AppConfig, type EnvironmentConfig, type RewindConfig, type ApprovalPolicy } from './schema.js';

export interface ConfigProblem { file: string; line?: number; column?: number; path: string; message: string; fix: string }

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
    case 'invalid_type': return issue.input === undefined ? `add the required key "${String(issue.path.at(-1))}"` : `give it a value of type ${issue.expected}`;
    case 'unrecognized_keys': return `remove or correct ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against rewind.example.yaml)`;
    case 'invalid_value': return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return options ? `use one of ${options.map((v) => JSON.stringify(v)).join(', ')}` : 'check the "kind" field and the keys it requires (see rewind.example.yaml)';
    }
    case 'too_small': return 'add at least one entry';
    case 'invalid_format': return issue.message.startsWith('expected') ? issue.message.replace(/^expected/, 'write') : 'correct the format';
    default: return issue.message.startsWith('expected') ? issue.message.replace(/^expected/, 'write') : 'see rewind.example.yaml for a valid example';
  }
}

export function parseConfig(text: string, file = 'rewind.yaml'): RewindConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const at = (offset: number | undefined) => (offset === undefined ? {} : { line: lines.linePos(offset).line, column: lines.linePos(offset).col });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ file, ...at(e.pos[0]), path: '', message: e.message.split('\n')[0] ?? e.message, fix: 'correct the YAML syntax at that line' })));
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => {
      const keys = issue.path.map(String);
      let node: unknown = doc.getIn(keys, true);
      // Missing keys have no node: point at the closest parent that exists.
      for (let n = keys.length - 1; !isNode(node) && n >= 0; n--) node = doc.getIn(keys.slice(0, n), true);
      const offset = isNode(node) ? node.range?.[0] : undefined;
      return { file, ...at(offset), path: keys.join('.'), message: issue.message, fix: fixFor(issue) };
    }));
  }
  const problems = crossCheck(result.data, file);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** References between sections (people, clusters, repos) that a schema cannot see. */
function crossCheck(cfg: RewindConfig, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = (section: Record<string, unknown>) => Object.keys(section).join(', ') || '(none defined)';
  for (const [appName, app] of Object.entries(cfg.apps)) {
    for (const [role, list] of [['owners', app.owners], ['approvers', app.approvers]] as const) {
      list.forEach((h, i) => {
        if (!cfg.people[h]) problems.push({ file, path: `apps.${appName}.${role}.${i}`, message: `unknown person "${h}"`, fix: `add "${h}" under people: (name, email, slack) or use one of: ${known(cfg.people)}` });
      });
    }
    for (const [envName, env] of Object.entries(app.environments)) {
      const base = `apps.${appName}.environments.${envName}`;
      if (!cfg.clusters[env.cluster]) problems.push({ file, path: `${base}.cluster`, message: `unknown cluster "${env.cluster}"`, fix: `define it under clusters: or use one of: ${known(cfg.clusters)}` });
      if (!cfg.repos[env.repo]) problems.push({ file, path: `${base}.repo`, message: `unknown repo "${env.repo}"`, fix: `define it under repos: or use one of: ${known(cfg.repos)}` });
    }
  }
  const names = new Set<string>();
  cfg.drills.forEach((d, i) => {
    const base = `drills.${i}`;
    if (names.has(d.name)) problems.push({ file, path: `${base}.name`, message: `drill name "${d.name}" is used twice`, fix: 'give every drill a unique name' });
    names.add(d.name);
    if (d.kind === 'access-audit') return;
    const app = d.app ? cfg.apps[d.app] : undefined;
    if (!d.app || !app) { problems.push({ file, path: `${base}.app`, message: d.app ? `unknown app "${d.app}"` : 'a drill of this kind needs an app', fix: `use one of: ${Object.keys(cfg.apps).join(', ') || '(none defined)'}` }); return; }
    const env = d.env ? app.environments[d.env] : undefined;
    if (!d.env || !env) { problems.push({ file, path: `${base}.env`, message: d.env ? `app "${d.app}" has no environment "${d.env}"` : 'a drill needs an environment', fix: `use one of: ${Object.keys(app.environments).join(', ')}` }); return; }
    if (!env.drillTarget) problems.push({ file, path: `${base}.env`, message: `${d.app}/${d.env} is not a drill target: drills inject real faults`, fix: `aim the drill at an environment with drillTarget: true, or set apps.${d.app}.environments.${d.env}.drillTarget: true if faults there are acceptable` });
    if (d.kind === 'rollback' && !d.badTag) problems.push({ file, path: `${base}.badTag`, message: 'a rollback drill needs a known-bad image tag to promote', fix: 'set badTag to a tag the environment treats as broken' });
  });
  if (cfg.drills.some((d) => d.kind === 'access-audit') && cfg.ci.identities.length === 0) {
    problems.push({ file, path: 'ci.identities', message: 'an access-audit drill needs CI identities to audit', fix: 'list them under ci.identities (e.g. system:serviceaccount:ci:deployer)' });
  }
  return problems;
}

export async function loadConfig(file = configPath()): Promise<RewindConfig> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fix: 'create it from rewind.example.yaml, or point REWIND_CONFIG at it' }]);
  }
  return parseConfig(text, file);
}

/** Thrown when a request names an app or environment rewind.yaml does not define. */
export class UnknownTargetError extends Error {
  constructor(message: string) { super(message); this.name = 'UnknownTargetError'; }
}

export function resolveTarget(cfg: RewindConfig, app: string, env?: string): { app: AppConfig; envName: string; env: EnvironmentConfig } {
  const appCfg = cfg.apps[app];
  if (!appCfg) throw new UnknownTargetError(`unknown app "${app}". Known apps: ${Object.keys(cfg.apps).join(', ') || '(none)'}.`);
  const envs = Object.keys(appCfg.environments);
  const envName = env ?? (envs.length === 1 ? envs[0]! : envs.find((e) => cfg.defaults.prodEnvironments.includes(e)));
  if (!envName || !appCfg.environments[envName]) {
    throw new UnknownTargetError(env ? `app "${app}" has no environment "${env}". Its environments: ${envs.join(', ')}.` : `say which environment of "${app}": ${envs.join(', ')}.`);
  }
  return { app: appCfg, envName, env: appCfg.environments[envName]! };
}

/** The approval policy in force for one environment: its own overrides over the prod or non-prod default. */
export function approvalPolicy(cfg: RewindConfig, envName: string, env: EnvironmentConfig): ApprovalPolicy {
  const base = cfg.defaults.prodEnvironments.includes(envName) ? cfg.defaults.approval.prod : cfg.defaults.approval.other;
  const overrides = Object.fromEntries(Object.entries(env.approval ?? {}).filter(([, v]) => v !== undefined));
  return { ...base, ...overrides };
}
