/**
 * Connection settings for a Temporal frontend: the dev server, a self-hosted cluster,
 * or Temporal Cloud (TLS with an API key or an mTLS client certificate). Environment
 * variables win over rewind.yaml so a deployment can change them without editing config.
 */
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import type { RewindConfig } from '../config/schema.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer } } | true;
  apiKey?: string;
}

export function temporalTarget(cfg: RewindConfig['temporal']): TemporalTarget {
  const apiKey = process.env.TEMPORAL_API_KEY;
  const certFile = process.env.TEMPORAL_TLS_CERT,
    keyFile = process.env.TEMPORAL_TLS_KEY;
  const clientCertPair = certFile && keyFile ? { crt: readFileSync(certFile), key: readFileSync(keyFile) } : undefined;
  const tls = clientCertPair ? { clientCertPair } : cfg.tls || apiKey ? true : undefined;
  return {
    address: process.env.TEMPORAL_ADDRESS ?? cfg.address,
    namespace: process.env.TEMPORAL_NAMESPACE ?? cfg.namespace,
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? cfg.taskQueue,
    tls,
    apiKey,
  };
}

export async function connectClient(t: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: t.address, tls: t.tls, apiKey: t.apiKey });
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorker(t: TemporalTarget): Promise<NativeConnection> {
  // Imported here: the worker package (its native core) is not for the CLI, which only needs the client.
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect({ address: t.address, tls: t.tls, apiKey: t.apiKey });
}
