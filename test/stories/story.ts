/**
 * The shape of an incident story: a replay of a published GitOps or Kubernetes incident on the
 * test world's real engines (Argo CD, Flux), told as data. A story sets the world up, breaks it
 * the way the incident did, then runs what the on-call would run (the real `rewind` CLI) and
 * says what the person must read: the verdict (phase, exit code) and the key lines of the
 * message. test/integration/stories/stories.test.ts runs every story in one world.
 *
 * Steps and texts are data; where a value is only known while the story runs (a promotion's sha),
 * a text is a function of the story's recorded values (`Vars`).
 */
import type { FaultRule } from '../../src/sandbox/workloads/index.js';
import type { RunPhase, RunStatus } from '../../workflows/types.js';

export type App = 'users-api' | 'billing-worker';
export type Person = 'alice' | 'bob' | 'carol';

/** Values a story records while it runs, by the name its steps give them. */
export interface Vars {
  /** Commits: the sha a `promote` or `commit` step saved under its `save` name. */
  sha(name: string): string;
  /** The same, first 7 characters. */
  short(name: string): string;
  /** Any other recorded value (e.g. a Git file before the run). */
  get(name: string): string;
}

/** An expected text: an exact substring of what the person reads, a RegExp, or one made from the story's values. */
export type Text = string | RegExp | ((v: Vars) => string | RegExp);

export type Step =
  /**
   * The world changes under the app (a database moved, a password rotated): the story's fault rules take effect now.
   */
  | { do: 'faults' }
  /**
   * `spec.syncPolicy.automated` of an Argo CD Application, as a team sets it (merge patch; `null` turns auto-sync off).
   */
  | { do: 'argo-policy'; app: App; env: string; automated: { prune?: boolean; selfHeal?: boolean } | null }
  /** Argo CD Application `spec.syncPolicy.syncOptions` (replaced as a whole). */
  | { do: 'argo-sync-options'; app: App; env: string; syncOptions: string[] }
  /** `kubectl edit` of a namespaced object in the target's namespace: a merge patch under that field manager. */
  | { do: 'kubectl-edit'; app: App; env: string; object: string; patch: Record<string, unknown>; manager?: string }
  /** `kubectl set image deployment/NAME CONTAINER=IMAGE` (strategic merge patch, manager kubectl-set). */
  | { do: 'kubectl-set-image'; app: App; env: string; deployment: string; container: string; image: string }
  /** `kubectl rollout restart deployment/NAME` (restartedAt template annotation, manager kubectl-rollout). */
  | { do: 'rollout-restart'; app: App; env: string; deployment: string }
  /** A write to the Deployment's scale subresource, as the HPA controller (kube-controller-manager) makes it. */
  | { do: 'hpa-scale'; app: App; env: string; deployment: string; replicas: number }
  /** A ci-bot promotion commit (image tag bump); its sha is saved under `save`. */
  | { do: 'promote'; app: App; env: string; tag: string; save?: string }
  /** A commit of whole files; `edit` gets the file's current text ('' when new). Its sha is saved under `save`. */
  | { do: 'commit'; message: string; files: Record<string, (current: string) => string>; save?: string }
  /** Records a Git file's current text under `save` (for byte-for-byte checks after a run). */
  | { do: 'remember-file'; path: string; save: string }
  /** Ask the engine to look at Git now (Argo CD refresh annotation; Flux source, then Kustomization). */
  | { do: 'refresh'; app: App; env: string }
  /** Flux re-applies Git on every interval; this asks for that reconcile now, without a new commit. */
  | { do: 'flux-reapply'; app: App; env: string }
  /**
   * Until the engine has applied the saved commit (Argo CD: Synced at it and the operation done; Flux: attempted it).
   */
  | { do: 'wait-applied'; app: App; env: string; commit: string }
  /**
   * Until the target's Deployment is rolled out and serving (every replica updated and available,
   * no old pods), or is not (a rollout in progress or pods down).
   */
  | { do: 'wait-available'; app: App; env: string; deployment: string; available: boolean }
  /** Until rewind's target watch journaled a live edit of (or a sync overwriting) that object's field. */
  | { do: 'wait-journal'; app: App; env: string; object: string; path: string; kind: 'edit' | 'overwrite' };

export interface Expect {
  phase: RunPhase;
  /** The CLI's exit code: 0 restored, 1 failed/refused, 2 not restored or held. */
  exit: 0 | 1 | 2;
  /** Lines the CLI printed before approval (the plan the approver sees); only for acts with an approver. */
  plan?: Text[];
  /** Lines anywhere in what the CLI printed. */
  output?: Text[];
  /** Texts that must not appear anywhere in the CLI's output (secret values, misleading claims). */
  absent?: Text[];
  /** Extra checks on the world and the run after the act. */
  check?: (ctx: ActContext) => Promise<void>;
}

export interface ActContext {
  vars: Vars;
  /** The run as the worker recorded it (Temporal), the ground truth behind the CLI's text. */
  status: RunStatus;
  stdout: string;
  /** What the world looks like now (Kubernetes objects, Git, the Argo app). */
  world: StoryWorld;
  /** Git head before and after the act. */
  headBefore: string;
  headAfter: string;
}

/** What story checks may read from the world without importing the runner. */
export interface StoryWorld {
  /** A Kubernetes object in the target's namespace as JSON (undefined when missing), e.g. `deployment/users-api`. */
  object(app: App, env: string, object: string): Promise<Record<string, any> | undefined>;
  /** The engine object (Argo CD Application or Flux Kustomization) as JSON. */
  engine(app: App, env: string): Promise<Record<string, any>>;
  /** A file at the head of the config repo. */
  gitFile(path: string): Promise<string>;
  /** Kubernetes Events about one object (e.g. the Argo CD Application `users-api-dev` in `argocd`), oldest first. */
  events(
    namespace: string,
    involvedObject: string,
  ): Promise<Array<{ type: string; reason: string; message: string; at: string }>>;
}

interface ActBase {
  app: App;
  env: string;
  as: Person;
  /**
   * Who decides on the plan (`rewind approve`, or `rewind reject` with `decision: 'reject'`); none
   * where the policy needs no approval.
   */
  approver?: Person;
  decision?: 'approve' | 'reject';
  reason: string;
  expect: Expect;
}

export type Act = (ActBase & { do: 'rollback'; to?: string }) | (ActBase & { do: 'emergency'; change: string[] });

export interface Story {
  /** File name stem and test name. */
  name: string;
  /** One line: what happened. */
  title: string;
  /** Where the incident is drawn from (URLs or owner/repo#n); the README lists the same. */
  sources: string[];
  /**
   * Fault rules of this story (the workload simulator, the kubelets' stand-in): they take effect at
   * the story's `faults` step, or when the story starts if it has none. Until then, and without
   * them, the baseline (test/stories/faults.ts) holds.
   */
  faults?: FaultRule[];
  /** The world as it was before the incident (before anyone noticed anything). */
  setup: Step[];
  /** What broke it. */
  incident: Step[];
  /** What the on-call runs, in order, each with what they must read. */
  acts: Act[];
  /**
   * Set when rewind does not do this right yet: why, in one line. The story still runs and states
   * what rewind should say, but as a TODO test (reported, not failing the suite) until it is fixed.
   */
  knownGap?: string;
}
