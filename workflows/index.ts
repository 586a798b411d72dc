/**
 * rewind's workflows. `runbookWorkflow` interprets any runbook snapshot (rollback, emergency
 * change); its messages are in messages.ts. `drillLauncherWorkflow` is what drill Schedules
 * start; it runs `drillWorkflow` under the app/env lock.
 */
export { runbookWorkflow } from './runbook.js';
export { drillWorkflow } from './drills/drill.js';
export { drillLauncherWorkflow } from './drills/launcher.js';
export { targetWatchWorkflow } from './watch/target-watch.js';
