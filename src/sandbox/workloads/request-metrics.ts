/**
 * Per-workload request metrics, as an instrumented app would export them, so a "bad but not
 * crashing" promotion shows in Prometheus and nowhere else: every ready pod of a Deployment
 * serves `requestsPerSecond`, and a pod matching a fault rule with `errorRate` answers that share
 * of them with a 500 (faults.ts). Counters only grow, at a steady rate, between ticks:
 *
 *   http_requests_total{namespace="users-api-staging",app="users-api",code="200"} 1234
 *   http_requests_total{namespace="users-api-staging",app="users-api",code="500"} 54
 *
 * Served in Prometheus' text format on loopback by `serveMetrics`. Pure apart from the server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchFault, type FaultRule } from './faults.js';
import { isReady } from './pods.js';
import { podSpecOf, type DeploymentModel } from './replica-sets.js';

export interface RequestCounters {
  /** Counts a tick `dtMs` long for one Deployment, from its ready pods. */
  count(
    namespace: string,
    deployment: string,
    app: string,
    model: DeploymentModel,
    faults: readonly FaultRule[],
    now: number,
    dtMs: number,
  ): void;
  /** The Prometheus text exposition of every counter. */
  render(): string;
}

export function requestCounters(requestsPerSecond = 10): RequestCounters {
  const counters = new Map<string, { namespace: string; app: string; code: string; value: number }>();
  const add = (namespace: string, app: string, code: string, n: number) => {
    const key = `${namespace}\u0000${app}\u0000${code}`;
    const c = counters.get(key) ?? { namespace, app, code, value: 0 };
    c.value += n;
    counters.set(key, c);
  };
  return {
    count(namespace, deployment, app, model, faults, now, dtMs) {
      let ok = 0,
        failed = 0;
      for (const rs of model.replicaSets) {
        const spec = podSpecOf(namespace, deployment, rs);
        for (const pod of rs.pods) {
          if (!isReady(pod, now)) continue;
          const served = (requestsPerSecond * dtMs) / 1000;
          const rate =
            matchFault({ namespace, owner: spec.owner, containers: spec.containers, envs: pod.env }, faults)?.rule
              .errorRate ?? 0;
          failed += served * rate;
          ok += served * (1 - rate);
        }
      }
      // Both series exist from the first tick, so rate() of either is defined (0, not absent).
      add(namespace, app, '200', ok);
      add(namespace, app, '500', failed);
    },
    render() {
      const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
      const lines = [
        '# HELP http_requests_total Requests served by the workload, by HTTP status code.',
        '# TYPE http_requests_total counter',
      ];
      for (const c of counters.values())
        lines.push(
          `http_requests_total{namespace="${esc(c.namespace)}",app="${esc(c.app)}",code="${c.code}"} ${c.value}`,
        );
      return `${lines.join('\n')}\n`;
    },
  };
}

/** Serves `render()` at /metrics on 127.0.0.1 (a free port unless given). */
export async function serveMetrics(render: () => string, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
