/**
 * What a person names when asking for a timeline, resolved without side effects: a workflow id
 * (`rewind/<app>/<env>`), an app with or without its environment (`users-api/prod`, `users-api`),
 * or an incident id. App names win over incident ids, since both can be a single word.
 */
import type { RewindConfig } from '../config/schema.js';
import { INCIDENT_ID_PATTERN, RefusedError, targetSnapshot } from '../runs.js';
import { runWorkflowId } from '../../workflows/types.js';

export type TimelineTarget = { kind: 'run'; workflowId: string; runId?: string } | { kind: 'incident'; incidentId: string };

const WORKFLOW_ID = /^rewind\/[a-z0-9-]+\/[a-z0-9-]+$/;

export function resolveTimelineTarget(cfg: RewindConfig, what: string | undefined, opts: { env?: string; runId?: string; incident?: string } = {}): TimelineTarget {
  if (opts.incident !== undefined) {
    if (what !== undefined) throw new RefusedError(`give either a run (${what}) or --incident ${opts.incident}, not both`, 'bad-input');
    if (!INCIDENT_ID_PATTERN.test(opts.incident)) throw new RefusedError(`${JSON.stringify(opts.incident)} is not an incident id (letters, digits and . _ : # / -, up to 64)`, 'bad-input');
    return { kind: 'incident', incidentId: opts.incident };
  }
  const text = what?.trim();
  if (!text) throw new RefusedError('say which timeline: a run id (rewind/<app>/<env>), an app (app or app/env), or an incident id', 'bad-input');
  const run = (workflowId: string): TimelineTarget => ({ kind: 'run', workflowId, ...(opts.runId ? { runId: opts.runId } : {}) });
  if (text.startsWith('rewind/')) {
    if (!WORKFLOW_ID.test(text)) throw new RefusedError(`"${text}" is not a rewind run id (rewind/<app>/<env>)`, 'bad-input');
    return run(text);
  }
  const [app = '', env, extra] = text.split('/');
  if (cfg.apps[app] && extra === undefined) {
    const target = targetSnapshot(cfg, app, env ?? opts.env);
    return run(runWorkflowId(target.app, target.env));
  }
  if (opts.runId) throw new RefusedError(`--run-id needs a run: "${text}" is not an app in rewind.yaml (apps: ${Object.keys(cfg.apps).join(', ')})`, 'bad-input');
  if (INCIDENT_ID_PATTERN.test(text)) return { kind: 'incident', incidentId: text };
  throw new RefusedError(`"${text}" is neither an app in rewind.yaml (${Object.keys(cfg.apps).join(', ')}), a run id, nor an incident id`, 'bad-input');
}
