/** What every listener needs, passed in at registration so callbacks stay testable with fakes. */
import type { Logger } from 'pino';
import type { Clusters } from '../../../lib/kube/clusters.js';
import type { Rewind } from '../../../lib/runs.js';

export interface ListenerDeps {
  rewind: Rewind;
  logger: Logger;
  /** Kube configs for `/emergency pauses`; built from rewind.yaml on first use when absent. */
  clusters?: Clusters;
}
