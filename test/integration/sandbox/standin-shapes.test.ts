/**
 * The stand-in engines keep the shapes of the real ones. The states of engine-states.ts are driven
 * on a world with the stand-in, and each engine object is held against the fixture recorded from
 * real Argo CD and Flux (test/fixtures/engines, scripts/record-engine-fixtures.ts):
 *
 * - the same key paths in `status`, `operation` and the annotations (recursively; arrays by the
 *   union of their elements' shapes): nothing missing that rewind could read, nothing invented;
 * - the same enum-like values: sync and health status, operation phase, sync result and resource
 *   statuses, condition type/status/reason, Flux history status;
 * - Events: every (kind, type, reason) the real engines wrote is written, and every message the
 *   stand-in writes has the form of a real one (status words and volatile values aside).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../../../src/sandbox/world/index.js';
import {
  ARGO_STATES,
  FLUX_STATES,
  driveArgoStates,
  driveFluxStates,
  engineEvents,
  pickArgo,
  pickFlux,
  promotionNames,
  scrub,
  shapeOf,
  valuesAt,
  type RecordedEvent,
} from './engine-states.js';

type Obj = Record<string, any>;

const fixture = <T = Obj>(engine: 'argocd' | 'flux', name: string): T =>
  JSON.parse(readFileSync(new URL(`../../fixtures/engines/${engine}/${name}.json`, import.meta.url), 'utf8')) as T;

/** What is compared: status, the operation and which annotations there are (spec is what the drive wrote). */
const comparable = (o: Obj) => ({
  status: o.status,
  operation: o.operation,
  annotations: Object.keys(o.metadata?.annotations ?? {}).sort(),
});

const ENUMS: Record<'argocd' | 'flux', string[]> = {
  argocd: [
    'status.sync.status',
    'status.health.status',
    'status.operationState.phase',
    'status.sourceType',
    'status.resourceHealthSource',
    'status.resources[].status',
    'status.operationState.syncResult.resources[].status',
    'status.operationState.syncResult.resources[].hookPhase',
    'status.operationState.syncResult.resources[].syncPhase',
    'status.operationState.syncResult.resources[].kind',
  ],
  flux: ['status.history[].lastReconciledStatus', 'spec.suspend'],
};

/** Flux conditions as `type=status/reason`, the form kstatus readers and rewind match on. */
const conditions = (o: Obj) => (o.status?.conditions ?? []).map((c: Obj) => `${c.type}=${c.status}/${c.reason}`).sort();

/** A message with the status words of a transition replaced, so "Synced -> OutOfSync" and "-> Synced" have one form. */
const template = (m: string) =>
  m.replace(/\b(Synced|OutOfSync|Unknown|Healthy|Progressing|Degraded|Missing|Suspended)\b/g, '<status>');

function sameShape(engine: 'argocd' | 'flux', state: string, actual: Obj): void {
  const want = fixture(engine, state);
  const a = shapeOf(comparable(actual)),
    w = shapeOf(comparable(want));
  const missing = [...w].filter((p) => !a.has(p)),
    invented = [...a].filter((p) => !w.has(p));
  assert.deepEqual(
    { missing, invented },
    { missing: [], invented: [] },
    `${engine}/${state}: the stand-in's object differs in shape ` +
      `from the real engine's (fixture ${engine}/${state}.json)`,
  );
  for (const p of ENUMS[engine])
    assert.deepEqual(valuesAt(actual, p), valuesAt(want, p), `${engine}/${state}: values at ${p}`);
  assert.deepEqual(conditions(actual), conditions(want), `${engine}/${state}: conditions`);
}

function sameEvents(engine: 'argocd' | 'flux', actual: RecordedEvent[]): void {
  const want = fixture<RecordedEvent[]>(engine, 'events');
  const key = (e: RecordedEvent) => `${e.involvedKind} ${e.type} ${e.reason}`;
  const written = new Set(actual.map(key));
  assert.deepEqual(
    [...new Set(want.map(key))].filter((k) => !written.has(k)),
    [],
    `${engine}: events the real engine writes and the stand-in does not`,
  );
  const forms = new Set(want.map((e) => `${key(e)}: ${template(e.message)}`));
  const unknown = actual
    .filter((e) => !forms.has(`${key(e)}: ${template(e.message)}`))
    .map((e) => `${key(e)}: ${e.message}`);
  assert.deepEqual(unknown, [], `${engine}: event messages unlike any the real engine wrote`);
  const component = engine === 'argocd' ? 'sandbox-argocd-standin' : 'sandbox-flux-standin';
  assert.deepEqual(
    [...new Set(actual.map((e) => `${e.component}|${e.reportingComponent}`))],
    [`${component}|${component}`],
    'events are signed by the stand-in',
  );
}

describe('the stand-in engines have the shapes of the real ones', () => {
  let world: World;
  const states = { argocd: new Map<string, Obj>(), flux: new Map<string, Obj>() };
  const events: Partial<Record<'argocd' | 'flux', RecordedEvent[]>> = {};

  before(async () => {
    world = await startWorld({ engines: 'standin', temporal: 'none' });
    await Promise.all([
      driveArgoStates(world, (state, o) => states.argocd.set(state, scrub(pickArgo(o), promotionNames(world)) as Obj)),
      driveFluxStates(world, (state, o) => states.flux.set(state, scrub(pickFlux(o), promotionNames(world)) as Obj)),
    ]);
    events.argocd = await engineEvents(world.kube.kc, 'argocd', promotionNames(world));
    events.flux = await engineEvents(world.kube.kc, 'flux', promotionNames(world));
  });
  after(async () => {
    await world?.stop();
  });

  for (const state of ARGO_STATES)
    it(`Argo CD Application: ${state}`, () => sameShape('argocd', state, states.argocd.get(state)!));
  for (const state of FLUX_STATES) it(`Flux: ${state}`, () => sameShape('flux', state, states.flux.get(state)!));
  it('Argo CD Events on the Application', () => sameEvents('argocd', events.argocd!));
  it('Flux Events on the Kustomization and GitRepository', () => sameEvents('flux', events.flux!));
});
