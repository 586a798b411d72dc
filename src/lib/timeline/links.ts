/**
 * Links for an event's evidence: commit pages when the repo has a `webUrl` (rewind.yaml
 * repos.<name>.webUrl), the Slack permalink of the run message, and URLs the step recorded
 * itself. Only http(s) URLs become links, so an exported Markdown file cannot carry a
 * `javascript:` link from a crafted value.
 */
import { isFullSha, shaOfRevision } from '../git/sha.js';
import type { EvidenceValue, TimelineLink } from './model.js';

export const isHttpUrl = (value: string): boolean => {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
};

/** Evidence keys whose value names a commit of the config repo. */
const COMMIT_KEYS = new Set([
  'promotion',
  'revertSha',
  'reverted',
  'commitSha',
  'gitRevision',
  'gitBase',
  'syncRevision',
  'engineRevision',
  'sha',
]);

export function commitUrl(webUrl: string | undefined, sha: string): string | undefined {
  if (!webUrl || !isHttpUrl(webUrl) || !isFullSha(sha)) return undefined;
  return `${webUrl.replace(/\/+$/, '')}/commit/${sha}`;
}

export function evidenceLinks(evidence: Record<string, EvidenceValue> | undefined, webUrl?: string): TimelineLink[] {
  if (!evidence) return [];
  const links: TimelineLink[] = [];
  const add = (label: string, url: string | undefined) => {
    if (url && isHttpUrl(url) && !links.some((l) => l.url === url)) links.push({ label, url });
  };
  for (const [key, value] of Object.entries(evidence)) {
    if (typeof value !== 'string') continue;
    if (key === 'permalink') add('Slack message', value);
    else if (key === 'commitUrl') add('commit', value);
    else if (COMMIT_KEYS.has(key)) {
      const sha = shaOfRevision(value);
      if (sha) add(`${key} ${sha.slice(0, 7)}`, commitUrl(webUrl, sha));
    }
  }
  return links;
}
