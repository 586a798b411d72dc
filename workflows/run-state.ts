/**
 * The state one run keeps: the status the query returns and the timeline every step
 * writes to. Timestamps come from workflow time (deterministic on replay).
 */
import type { Evidence, RunInput, RunPhase, RunStatus, StepStatus, TimelineEvent } from './types.js';

export class RunState {
  readonly status: RunStatus;
  readonly timeline: TimelineEvent[] = [];

  /** `restored`: the status and timeline of a held run that continued as new, as they were. */
  constructor(
    workflowId: string,
    readonly input: RunInput,
    restored?: { status: RunStatus; timeline: TimelineEvent[] },
    runId?: string,
  ) {
    if (restored) {
      this.status = restored.status;
      this.timeline.push(...restored.timeline);
      return;
    }
    const { runbook, target, request } = input;
    this.status = {
      workflowId,
      ...(runId ? { runId } : {}),
      runbook: runbook.name,
      app: target.app,
      env: target.env,
      phase: 'planning',
      requester: request.requester.handle,
      reason: request.reason,
      incidentId: request.incidentId,
      steps: runbook.steps.map((s): StepStatus => ({ name: s.name, kind: s.kind, state: 'pending' })),
      approvals: [],
      startedAt: new Date().toISOString(),
    };
    this.record(
      'run',
      request.requester.handle,
      `${runbook.name} of ${target.app}/${target.env} requested via ${request.source}: ${request.reason}`,
      { incident: request.incidentId },
    );
  }

  /**
   * One timeline entry for all reminders of a hold, updated in place: a hold of weeks reminds
   * thousands of times, and each reminder is also its own Slack message.
   */
  recordReminder(count: number, summary: string): void {
    const last = this.timeline.at(-1);
    const entry: TimelineEvent = {
      at: new Date().toISOString(),
      kind: 'note',
      actor: 'rewind',
      summary,
      evidence: { reminders: count },
    };
    if (last?.kind === 'note' && last.evidence?.reminders !== undefined)
      this.timeline[this.timeline.length - 1] = entry;
    else this.timeline.push(entry);
  }

  record(kind: TimelineEvent['kind'], actor: string, summary: string, evidence?: Evidence, step?: string): void {
    const clean = evidence && Object.fromEntries(Object.entries(evidence).filter(([, v]) => v !== undefined));
    this.timeline.push({
      at: new Date().toISOString(),
      kind,
      actor,
      summary,
      ...(step ? { step } : {}),
      ...(clean && Object.keys(clean).length ? { evidence: clean } : {}),
    });
  }

  phase(p: RunPhase): void {
    this.status.phase = p;
  }

  step(name: string): StepStatus {
    const s = this.status.steps.find((x) => x.name === name);
    if (!s) throw new Error(`unknown step ${name}`);
    return s;
  }

  startStep(name: string): void {
    const s = this.step(name);
    s.state = 'running';
    s.startedAt = new Date().toISOString();
    this.record('step', 'rewind', `${name} started`, undefined, name);
  }

  endStep(name: string, state: 'done' | 'failed' | 'skipped', summary: string, evidence?: Evidence): void {
    const s = this.step(name);
    s.state = state;
    s.endedAt = new Date().toISOString();
    s.summary = summary;
    if (state === 'failed') s.error = summary;
    this.record(state === 'failed' ? 'failure' : 'step', 'rewind', `${name}: ${summary}`, evidence, name);
  }
}
