/**
 * A rewind worker in its own process, so a test can kill it with SIGKILL mid-run and start
 * another, the way a crashed pod is replaced. Args: <rewind.yaml> <temporal address> <task queue> <data dir>.
 */
import { NativeConnection } from '@temporalio/worker';
import path from 'node:path';
import { loadConfig } from '../../src/lib/config/load.js';
import { GitSourceCache } from '../../src/lib/gitops/git-source.js';
import { clustersFromConfig } from '../../src/lib/kube/clusters.js';
import { createWorker } from '../../src/app/worker.js';

const [configPath, address, taskQueue, dataDir] = process.argv.slice(2) as [string, string, string, string];
const cfg = await loadConfig(configPath);
const connection = await NativeConnection.connect({ address });
const worker = await createWorker({
  connection,
  namespace: 'default',
  taskQueue,
  deps: {
    clusters: clustersFromConfig(cfg),
    sources: new GitSourceCache(path.join(dataDir, 'sources')),
    cacheDir: dataDir,
  },
});
process.stdout.write('worker-ready\n');
await worker.run();
