/**
 * What a person names when asking for a timeline, resolved without side effects: a workflow id
 * (`rewind/<app>/<env>`), an app with or without its environment (`users-api/prod`, `users-api`),
 * or an incident id. App names win over incident ids, since both can be a single word.
 */
import { own } from '../config/own-keys.js';
import type { RewindConfig } from '../config/schema.js';
import { didYouMean } from '../did-you-mean.js';
import { shown } from '../input-limits.js';
import { INCIDENT_ID_PATTERN, RefusedError, targetSnapshot } from '../runs.js';
import { runWorkflowId } from '../../../workflows/types.js';

export type TimelineTarget =
  | { kind: 'run'; workflowId: string; runId?: string }
  | { kind: 'incident'; incidentId: string };

const WORKFLOW_ID = /^rewind\/[a-z0-9-]+\/[a-z0-9-]+$/;

export function resolveTimelineTarget(
  cfg: RewindConfig,
  what: string | undefined,
  opts: { env?: string; runId?: string; incident?: string } = {},
): TimelineTarget {
  if (opts.incident !== undefined) {
    if (what !== undefined)
      throw new RefusedError(`give either a run (${what}) or --incident ${opts.incident}, not both`, 'bad-input');
    if (!INCIDENT_ID_PATTERN.test(opts.incident))
      throw new RefusedError(
        `${shown(opts.incident)} is not an incident id (letters, digits and . _ : # / -, up to 64)`,
        'bad-input',
      );
    return { kind: 'incident', incidentId: opts.incident };
  }
  const text = what?.trim();
  if (!text)
    throw new RefusedError(
      'say which timeline: a run id (rewind/<app>/<env>), an app (app or app/env), or an incident id',
      'bad-input',
    );
  const run = (workflowId: string): TimelineTarget => ({
    kind: 'run',
    workflowId,
    ...(opts.runId ? { runId: opts.runId } : {}),
  });
  if (text.startsWith('rewind/')) {
    if (!WORKFLOW_ID.test(text))
      throw new RefusedError(`${shown(text)} is not a rewind run id (rewind/<app>/<env>)`, 'bad-input');
    return run(text);
  }
  const [app = '', env, extra] = text.split('/');
  const apps = Object.keys(cfg.apps);
  if (own(cfg.apps, app) && extra === undefined) {
    if (env !== undefined && opts.env !== undefined && env !== opts.env)
      throw new RefusedError(
        `${shown(text)} and --env ${shown(opts.env, 40)} name different environments; give one`,
        'bad-input',
      );
    const target = targetSnapshot(cfg, app, env ?? opts.env);
    return run(runWorkflowId(target.app, target.env));
  }
  // An environment was given (an app and --env, or app/env with a known environment name): the
  // first word must be an app, never an incident id (those may contain "/" too).
  const envNames = new Set([
    ...cfg.defaults.prodEnvironments,
    ...Object.values(cfg.apps).flatMap((a) => Object.keys(a.environments)),
  ]);
  if (opts.env !== undefined || (env !== undefined && extra === undefined && envNames.has(env)))
    throw new RefusedError(
      `unknown app ${shown(app, 40)}${didYouMean(app, apps)}. Known apps: ${apps.join(', ')}`,
      'unknown-target',
    );
  if (opts.runId)
    throw new RefusedError(
      `--run-id needs a run: ${shown(text)} is not an app in rewind.yaml (apps: ${apps.join(', ')})`,
      'bad-input',
    );
  if (INCIDENT_ID_PATTERN.test(text)) return { kind: 'incident', incidentId: text };
  throw new RefusedError(
    `${shown(text)} is neither an app in rewind.yaml ` +
      `(${apps.join(', ')}${didYouMean(text, apps)}), a run id, nor an incident id`,
    'bad-input',
  );
}
