/**
 * Drills use the same activity proxies as runs: one-shot side effects with the Git-write policy
 * (idempotent, heartbeating), and long waits with the watch policy.
 */
export { gitActs as drillActs, waitActs as drillWaits } from '../activities.js';
