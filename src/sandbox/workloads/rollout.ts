/**
 * How the deployment controller sizes ReplicaSets (`rolling.go`, `recreate.go`, `sync.go`):
 * rolling updates within maxSurge/maxUnavailable, Recreate, and scaling (proportional while a
 * rollout is under way). Works on a DeploymentModel the caller owns; records the controller's
 * ScalingReplicaSet events. Decisions read ReplicaSet statuses as observed at the start of the
 * sync, as the real controller reads them from its informer cache.
 */
import { deploymentComplete, maxSurge, maxUnavailable, replicasOf } from './deployment-status.js';
import {
  active,
  byCreation,
  reconcilePods,
  specSum,
  type DeploymentModel,
  type ReplicaSetModel,
} from './replica-sets.js';
import type { KubeletSettings } from './pods.js';
import type { DeploymentObject, SimEvent } from './types.js';

export class Scaler {
  constructor(
    private readonly d: DeploymentObject,
    private readonly model: DeploymentModel,
    private readonly kubelet: Pick<KubeletSettings, 'podStartMs'>,
    private readonly now: number,
    readonly events: SimEvent[],
  ) {}

  /** `scaleReplicaSet`: sets the size and the replicas annotations; true when the size changed. */
  scale(rs: ReplicaSetModel, size: number, op: 'up' | 'down'): boolean {
    const n = replicasOf(this.d);
    rs.desiredReplicas = n;
    rs.maxReplicas = n + maxSurge(this.d);
    if (rs.replicas === size) return false;
    this.events.push({
      source: 'deployment-controller',
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: `Scaled ${op} replica set ${rs.name} from ${rs.replicas} to ${size}`,
    });
    rs.replicas = size;
    reconcilePods(rs, this.kubelet, this.now);
    return true;
  }

  /** `scaleReplicaSetAndRecordEvent`: nothing at all when the size is already right. */
  scaleTo(rs: ReplicaSetModel, size: number): boolean {
    return rs.replicas !== size && this.scale(rs, size, rs.replicas < size ? 'up' : 'down');
  }

  /** `NewRSNewReplicas`: how big the new ReplicaSet may be now. */
  newReplicas(all: readonly ReplicaSetModel[], newRs: ReplicaSetModel): number {
    const n = replicasOf(this.d);
    if ((this.d.spec?.strategy?.type ?? 'RollingUpdate') === 'Recreate') return n;
    const maxTotal = n + maxSurge(this.d),
      current = specSum([...all]);
    if (current >= maxTotal) return newRs.replicas;
    return newRs.replicas + Math.min(maxTotal - current, n - newRs.replicas);
  }

  /** `reconcileNewReplicaSet` */
  reconcileNew(all: readonly ReplicaSetModel[], newRs: ReplicaSetModel): boolean {
    const n = replicasOf(this.d);
    if (newRs.replicas === n) return false;
    if (newRs.replicas > n) return this.scaleTo(newRs, n);
    return this.scaleTo(newRs, this.newReplicas(all, newRs));
  }

  /** `reconcileOldReplicaSets`: unhealthy old pods first, then healthy ones while availability allows. */
  reconcileOld(all: readonly ReplicaSetModel[], oldRss: readonly ReplicaSetModel[], newRs: ReplicaSetModel): boolean {
    const old = active(oldRss);
    if (specSum(old) === 0) return false;
    const minAvailable = replicasOf(this.d) - maxUnavailable(this.d);
    const newUnavailable = newRs.replicas - newRs.status.available;
    const maxScaledDown = specSum([...all]) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned = 0;
    for (const rs of [...old].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      if (rs.replicas === 0 || rs.replicas === rs.status.available) continue;
      const down = Math.min(maxScaledDown - cleaned, rs.replicas - rs.status.available);
      this.scaleTo(rs, rs.replicas - down);
      cleaned += down;
    }
    const available = all.reduce((s, rs) => s + rs.status.available, 0);
    let scaledDown = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of [...old].sort(byCreation)) {
        if (scaledDown >= total) break;
        if (rs.replicas === 0) continue;
        const down = Math.min(rs.replicas, total - scaledDown);
        this.scaleTo(rs, rs.replicas - down);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0;
  }

  /** `scale`: a replicas change outside a rollout, or proportional across ReplicaSets during one. */
  scaleDeployment(newRs: ReplicaSetModel | undefined, oldRss: readonly ReplicaSetModel[]): void {
    const n = replicasOf(this.d);
    const newestFirst = [...oldRss].sort(byCreation).reverse();
    const live = active([...newestFirst, newRs]);
    const only = live.length === 0 ? (newRs ?? newestFirst[0]) : live.length === 1 ? live[0] : undefined;
    if (only) {
      this.scaleTo(only, n);
      return;
    }
    if (newRs && newRs.replicas === n && newRs.desiredReplicas === n && newRs.status.available === n) {
      for (const rs of active(oldRss)) this.scaleTo(rs, 0);
      return;
    }
    if ((this.d.spec?.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const allowed = n > 0 ? n + maxSurge(this.d) : 0;
    const toAdd = allowed - specSum(live);
    if (toAdd === 0) return;
    // Larger sets first; equal sizes: newer first when growing, older first when shrinking.
    live.sort((a, b) => b.replicas - a.replicas || (toAdd > 0 ? b.created - a.created : a.created - b.created));
    let added = 0;
    const sizes = live.map((rs) => {
      const p = this.proportion(rs, toAdd, added);
      added += p;
      return rs.replicas + p;
    });
    sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
    live.forEach((rs, i) => this.scale(rs, sizes[i]!, toAdd > 0 ? 'up' : 'down'));
  }

  /** `GetProportion` / `getReplicaSetFraction` */
  private proportion(rs: ReplicaSetModel, toAdd: number, added: number): number {
    if (rs.replicas === 0 || toAdd === added) return 0;
    const n = replicasOf(this.d);
    let fraction: number;
    if (n === 0) fraction = -rs.replicas;
    else {
      const before = rs.maxReplicas || (this.d.status?.replicas ?? 0);
      fraction = before === 0 ? 0 : Math.round((rs.replicas * (n + maxSurge(this.d))) / before) - rs.replicas;
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** `cleanupDeployment`: old, empty ReplicaSets beyond revisionHistoryLimit are deleted, lowest revision first. */
  cleanup(oldRss: readonly ReplicaSetModel[]): void {
    const limit = this.d.spec?.revisionHistoryLimit ?? 10;
    const extra = oldRss.length - limit;
    if (extra <= 0) return;
    const doomed = new Set(
      [...oldRss]
        .sort((a, b) => a.revision - b.revision)
        .slice(0, extra)
        .filter((rs) => rs.replicas === 0 && rs.status.replicas === 0),
    );
    this.model.replicaSets = this.model.replicaSets.filter((rs) => !doomed.has(rs));
  }

  /** `DeploymentComplete` against the status the controller currently holds. */
  completeNow(): boolean {
    return deploymentComplete(this.d, this.d.status ?? {});
  }
}
