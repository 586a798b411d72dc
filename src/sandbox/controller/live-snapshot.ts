/**
 * Live objects as read in one controller tick: each kind is listed once across all namespaces
 * and reused for every app in the tick, so a tick costs a handful of LIST calls however many
 * apps there are. Writes invalidate the kinds they touched.
 */
import { groupOf, type KubeObject } from '../../lib/gitops/render.js';
import type { KubeRest, ResourceInfo } from '../../lib/kube/rest.js';

export class LiveSnapshot {
  private readonly lists = new Map<string, Promise<KubeObject[]>>();

  constructor(private readonly rest: KubeRest) {}

  /** Every object of a kind (cluster-wide), listed at most once per tick. */
  list(apiVersion: string, kind: string): Promise<KubeObject[]> {
    const key = `${groupOf(apiVersion)}/${kind}`;
    let p = this.lists.get(key);
    if (!p) {
      p = this.rest.resource(apiVersion, kind).then(async (info) => {
        const items = await this.rest.list<KubeObject>(this.rest.collectionPath(info));
        // List items carry no apiVersion/kind; put them back so objects are self-describing.
        return items.map((o) => ({
          ...o,
          apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
          kind: info.kind,
        }));
      });
      p.catch(() => this.lists.delete(key));
      this.lists.set(key, p);
    }
    return p;
  }

  /** The live object with the key of `ref`, or undefined. */
  async find(ref: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  }): Promise<KubeObject | undefined> {
    const info = await this.rest.resource(ref.apiVersion, ref.kind);
    const ns = info.namespaced ? (ref.metadata.namespace ?? 'default') : undefined;
    return (await this.list(ref.apiVersion, ref.kind)).find(
      (o) => o.metadata.name === ref.metadata.name && (o.metadata.namespace ?? undefined) === ns,
    );
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.rest.resource(apiVersion, kind);
  }

  invalidate(apiVersion?: string, kind?: string): void {
    if (apiVersion === undefined || kind === undefined) this.lists.clear();
    else this.lists.delete(`${groupOf(apiVersion)}/${kind}`);
  }
}
