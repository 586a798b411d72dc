/**
 * The Git half of one emergency change, on a checkout: locate each field's source, write the
 * edits, render the environment and compare it with the live state. Shared by planGitEdits (in a
 * throwaway worktree, before anything is paused) and commitLiveChange (in the cached clone, again
 * on every push attempt, since the branch may have moved).
 *
 * The proof that a change for one environment stays there: every other environment of the app
 * (top-level kustomizations sharing a layer with it) is rendered before and after the edits, and
 * must render the same objects, field for field and in order, unless a change asked for
 * `gitScope: 'base'`; then the ones that change are listed for the plan.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type GitEdit, type LiveChange } from '../../../workflows/types.js';
import { RenderError, renderManifests, type KubeObject } from '../gitops/render.js';
import { FieldPathError } from './field-path.js';
import { siblingEnvironments } from './kustomize-tree.js';
import { findObject, patchedObject, remainingFields, type RemainingField } from './live-render-check.js';
import { applyEdits, locateEdits } from './locate-source.js';

export interface PlanOptions {
  /** kustomize binary; default: renderManifests' own lookup. */
  kustomize?: string;
  /** Namespace of rendered objects that name none (the engine's destination namespace). */
  defaultNamespace?: string;
}

export interface LiveChangePlan {
  edits: GitEdit[];
  /** Files the edits changed, in first-edit order. */
  files: string[];
  remaining: RemainingField[];
  rendersLive: boolean;
  otherEnvs: OtherEnvs;
}

/** The other environments rendered before and after the edits (repo-relative directories). */
export interface OtherEnvs {
  /** Every one that shares a layer with the environment changed, e.g. the dev and staging overlays for prod. */
  checked: string[];
  /** Those whose render the edits change: only ever non-empty when a change asked for gitScope 'base'. */
  changed: string[];
}

const badInput = (message: string, details: Record<string, unknown> = {}) =>
  ApplicationFailure.nonRetryable(message, FailureType.BadInput, details);

async function render(dir: string, envPath: string, when: string, opts: PlanOptions): Promise<KubeObject[]> {
  try {
    return await renderManifests(dir, envPath, opts.kustomize ? { kustomize: opts.kustomize } : {});
  } catch (err) {
    if (err instanceof RenderError)
      throw badInput(`${when}, ${envPath} does not render: ${err.message}`, { path: envPath });
    throw err;
  }
}

/**
 * The live object after each change: the one given, or (none given) what Git renders now with
 * the patch applied, so that the edits carry exactly the patch's values.
 */
function afterObjects(
  changes: readonly LiveChange[],
  liveAfter: readonly KubeObject[] | undefined,
  rendered: readonly KubeObject[],
  opts: PlanOptions,
): KubeObject[] {
  return changes.map((c) => {
    const o = c.object;
    if (liveAfter) {
      const live = findObject(liveAfter, c);
      if (!live) throw badInput(`no live object was given for ${o.kind} ${o.namespace}/${o.name}`);
      return live;
    }
    const skeleton: KubeObject = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.name, namespace: o.namespace },
    };
    const base = findObject(rendered, c, opts.defaultNamespace) ?? skeleton;
    const after = patchedObject(base, c.patch, c.patchType);
    return { ...after, metadata: { ...after.metadata, namespace: o.namespace } };
  });
}

/** Compares what `dir` renders now with the live state, without editing anything. */
export async function compareWithLive(
  dir: string,
  envPath: string,
  changes: readonly LiveChange[],
  liveAfter: readonly KubeObject[] | undefined,
  opts: PlanOptions = {},
): Promise<RemainingField[]> {
  const rendered = await render(dir, envPath, 'on the branch as it is', opts);
  return asBadInput(() =>
    remainingFields(rendered, changes, afterObjects(changes, liveAfter, rendered, opts), opts.defaultNamespace),
  );
}

/** A patch shape rewind cannot carry (a strategic-merge directive) is the requester's to fix. */
function asBadInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FieldPathError) throw badInput(err.message);
    throw err;
  }
}

/**
 * What each environment renders, as text to compare: the objects in order, or the render error
 * (an environment broken before the edits must be broken the same way after them).
 */
async function renderTexts(dir: string, envPaths: readonly string[], opts: PlanOptions): Promise<string[]> {
  return Promise.all(
    envPaths.map((p) =>
      renderManifests(dir, p, opts.kustomize ? { kustomize: opts.kustomize } : {}).then(
        (objects) => JSON.stringify(objects),
        (err: unknown) => {
          if (err instanceof RenderError) return `does not render: ${err.message}`;
          throw err;
        },
      ),
    ),
  );
}

/** `dev, staging` for sibling overlays; whole paths where last segments would be ambiguous. */
function envLabels(dirs: readonly string[]): string[] {
  const last = dirs.map((d) => d.slice(d.lastIndexOf('/') + 1));
  return new Set(last).size === last.length ? last : [...dirs];
}

function refuseSharedChange(envPath: string, changed: readonly string[], files: readonly string[]): ApplicationFailure {
  const names = envLabels(changed).join(', ');
  return badInput(
    `the Git edits for ${envPath} would also change what ${names} render${changed.length === 1 ? 's' : ''}` +
      ` (${changed.join(', ')}), through ${files.join(', ')}; nothing was changed. ` +
      `To change only ${envPath}, name a file of its own with --git-file <path> ` +
      `--git-path <yaml.path>; to change ${names} as well, say so with --git-base`,
    { changed, files },
  );
}

/** Locates, writes and checks the edits in `dir` (a checkout it may modify). */
export async function planLiveChangeIn(
  dir: string,
  envPath: string,
  changes: readonly LiveChange[],
  liveAfter: readonly KubeObject[] | undefined,
  opts: PlanOptions = {},
): Promise<LiveChangePlan> {
  if (changes.length === 0) throw badInput('there are no live changes to carry to Git');
  const others = await siblingEnvironments(dir, envPath);
  const othersBefore = await renderTexts(dir, others, opts);
  const rendered = liveAfter ? [] : await render(dir, envPath, 'before the edits', opts);
  const afters = afterObjects(changes, liveAfter, rendered, opts);
  const edits: GitEdit[] = [];
  const files: string[] = [];
  // One change at a time, each located on the files the previous ones already edited.
  for (const [i, c] of changes.entries()) {
    const mine = await locateEdits(dir, envPath, c, afters[i] as KubeObject);
    for (const f of await applyEdits(dir, mine)) if (!files.includes(f)) files.push(f);
    edits.push(...mine);
  }
  const othersAfter = await renderTexts(dir, others, opts);
  const changed = others.filter((_, i) => othersBefore[i] !== othersAfter[i]);
  if (changed.length > 0 && !changes.some((c) => c.gitScope === 'base'))
    throw refuseSharedChange(envPath, changed, files);
  const after = await render(dir, envPath, 'after the edits', opts);
  const remaining = asBadInput(() => remainingFields(after, changes, afters, opts.defaultNamespace));
  return { edits, files, remaining, rendersLive: remaining.length === 0, otherEnvs: { checked: others, changed } };
}
