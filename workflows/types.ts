/**
 * Types shared by workflows, activities and the processes that start runs, one module per concept
 * under types/ (target, step, run, plan, evidence, approval, failure). Pure types and constants
 * only: bundled into the workflow sandbox.
 */
export * from './types/target.js';
export * from './types/step.js';
export * from './types/run.js';
export * from './types/plan.js';
export * from './types/evidence.js';
export * from './types/approval.js';
export * from './types/failure.js';
