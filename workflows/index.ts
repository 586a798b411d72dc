/**
 * rewind's workflows. `runbookWorkflow` interprets any runbook snapshot; its messages
 * (status and timeline queries, the decision update, the cancel signal) are in messages.ts.
 */
export { runbookWorkflow } from './runbook.js';
