/**
 * Fault rules every story starts from: the sandbox's bad images (users-api 1.43.0 and
 * billing-worker 2.5.0 crash at start). The sandbox's environment rule (prod users-api needs
 * DB_HOST=db-prod.internal) is left out: a story that needs an environment rule declares its own,
 * so a value left in a running pod by an earlier story can never fail a later one.
 */
import { SANDBOX_FAULTS } from '../../src/sandbox/world/world-config.js';
import type { FaultRule } from '../../src/sandbox/workloads/index.js';

export const BASELINE_FAULTS: FaultRule[] = SANDBOX_FAULTS.filter((f) => f.env === undefined);
