/**
 * zod's issue messages, said for a person: a missing key is "missing", not "received undefined",
 * and YAML's .nan is named as such. rewind.yaml and the runbooks both report through this.
 */
import type { z } from 'zod';

export function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type') return issue.message;
  // A message the schema wrote itself ("leaseHours must be a number…") stays as written.
  if (!/^Invalid input: expected /.test(issue.message)) return issue.message;
  const received = / received (\S+)$/.exec(issue.message)?.[1];
  if (received === 'undefined')
    return `required key "${String(issue.path.at(-1) ?? '')}" is missing (expected ${issue.expected})`;
  if (received === 'NaN') return `expected ${issue.expected}, not .nan (not a number)`;
  return `expected ${issue.expected}${received ? `, not ${received}` : ''}`;
}
