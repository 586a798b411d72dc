/**
 * CDEvents (spec 0.5.1) for what rewind's runs mean to the rest of a delivery toolchain: an
 * incident detected when a run starts, resolved when it restores service, and the service rolled
 * back when a rollback restored it. Drill runs are game days and produce none.
 *
 * Ids are derived from the run (`<workflow id>/<first run id>/<event>`), so a worker that sends an
 * event twice (a retry, a restart) sends the same id, and a sink can drop the repeat, as
 * CloudEvents' source + id uniqueness allows.
 */
import type { RunInput, RunStatus } from '../../../workflows/types.js';

export const CDEVENTS_SPEC_VERSION = '0.5.1';

export const CDEVENT_TYPES = {
  incidentDetected: 'dev.cdevents.incident.detected.0.3.0',
  incidentResolved: 'dev.cdevents.incident.resolved.0.3.0',
  serviceRolledBack: 'dev.cdevents.service.rolledback.0.3.0',
} as const;

export interface CDEvent {
  context: { specversion: string; id: string; source: string; type: string; timestamp: string };
  subject: { id: string; source: string; content: Record<string, unknown> };
}

const sourceOf = (app: string, env: string) => `/rewind/${app}/${env}`;

/** The incident's id: the one the requester gave, else the run's. */
const incidentOf = (incidentId: string | undefined, runKey: string) => incidentId ?? runKey;

function event(type: string, runKey: string, suffix: string, app: string, env: string, timestamp: string) {
  return {
    context: {
      specversion: CDEVENTS_SPEC_VERSION,
      id: `${runKey}/${suffix}`,
      source: sourceOf(app, env),
      type,
      timestamp,
    },
  };
}

/**
 * An image reference as a package URL (`pkg:oci/<name>?repository_url=…&tag=…`); a promotion that
 * changed no image is its config revision (`pkg:generic/<app>@<sha>`).
 */
export function artifactId(image: string | undefined, app: string, revision: string | undefined): string | undefined {
  if (image) {
    const at = image.indexOf('@');
    const ref = at >= 0 ? image.slice(0, at) : image;
    const digest = at >= 0 ? image.slice(at + 1) : undefined;
    const colon = ref.lastIndexOf(':');
    const [repo, tag] = colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, undefined];
    const name = repo.split('/').at(-1)!;
    // As purl's own examples write them: values percent-encoded, with slashes and colons kept.
    const enc = (v: string) => encodeURIComponent(v).replace(/%2F/g, '/').replace(/%3A/g, ':');
    const q = [`repository_url=${enc(repo)}`, ...(tag ? [`tag=${enc(tag)}`] : [])].join('&');
    return `pkg:oci/${name}${digest ? `@${encodeURIComponent(digest)}` : ''}?${q}`;
  }
  return revision ? `pkg:generic/${app}@${revision}` : undefined;
}

/** The run's request: the incident it was started for, at detection when the promotion watch saw it first. */
export function incidentDetected(input: RunInput, runKey: string, startedAt: string): CDEvent | undefined {
  const { request, target } = input;
  if (request.source === 'drill') return undefined;
  const at = request.trigger?.detectedAt ?? startedAt;
  return {
    ...event(CDEVENT_TYPES.incidentDetected, runKey, 'incident.detected', target.app, target.env, at),
    subject: {
      id: incidentOf(request.incidentId, runKey),
      source: sourceOf(target.app, target.env),
      content: {
        description: `${input.runbook.name} requested by ${request.requester.handle}: ${request.reason}`,
        environment: { id: target.env },
        service: { id: target.app },
        ...(request.trigger ? { artifactId: artifactId(undefined, target.app, request.trigger.promotion) } : {}),
      },
    },
  };
}

/**
 * A run that restored service (or a held emergency a person resolved): the incident resolved,
 * and for a rollback the service rolled back.
 */
export function runResolved(status: RunStatus, input: RunInput | undefined, runKey: string): CDEvent[] {
  if (input?.request.source === 'drill') return [];
  if (status.phase !== 'restored' && status.phase !== 'resolved') return [];
  const at = status.restoredAt ?? status.startedAt;
  const { app, env } = status;
  const out: CDEvent[] = [
    {
      ...event(CDEVENT_TYPES.incidentResolved, runKey, 'incident.resolved', app, env, at),
      subject: {
        id: incidentOf(status.incidentId, runKey),
        source: sourceOf(app, env),
        content: { description: status.result ?? status.phase, environment: { id: env }, service: { id: app } },
      },
    },
  ];
  const restored = artifactId(status.plan?.promotion.images[0]?.from, app, status.revertSha);
  if (status.runbook === 'rollback' && status.phase === 'restored' && restored)
    out.push({
      ...event(CDEVENT_TYPES.serviceRolledBack, runKey, 'service.rolledback', app, env, at),
      subject: { id: app, source: sourceOf(app, env), content: { environment: { id: env }, artifactId: restored } },
    });
  return out;
}
