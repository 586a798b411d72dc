/**
 * How people read an object key (`group/Kind/namespace/name`, src/lib/gitops/render.ts objectKey):
 * `Kind namespace/name`, with the API group after the kind when there is one
 * (`ConfigMap users-api-prod/users-api-env`, `Deployment.apps users-api-prod/users-api`).
 * Pure, so workflow messages, the CLI and Slack say it the same way.
 */
export function objectLabel(key: string): string {
  const [group = '', kind = '', ns = '', name = ''] = key.split('/');
  return name ? `${kind}${group ? `.${group}` : ''} ${ns}/${name}` : key;
}

/** A value as people read it in a before → after line: JSON, and `∅` for a field that is not there. */
export const shownValue = (v: unknown): string => (v === undefined ? '∅' : JSON.stringify(v));
