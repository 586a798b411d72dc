/**
 * What rewind.yaml's strings must be beyond their type, each answered with a message and a fix:
 * Git URLs and branch names as git reads them (nothing it would take for an option or a remote
 * helper), paths that stay inside the config repo, links a person may click, time zones.
 * Pure functions; schema.ts attaches them to the fields.
 */

export interface CheckFailure {
  message: string;
  fix: string;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Repository URLs rewind clones and pushes. Accepted: https:// and http:// (a token in the
 * worker's credentials), ssh:// and scp-like `user@host:path`, and a local repository as an
 * absolute path or file:// (the sandbox and tests use local bare repos).
 * Refused: anything starting with "-" (git would read an option such as --upload-pack=…), git's
 * `<transport>::<address>` remote-helper form (`ext::` runs any command), git:// (unauthenticated,
 * and rewind must push), other schemes, hosts starting with "-" (ssh would read an option), and
 * relative paths (they would depend on the worker's working directory).
 */
export function repoUrlFailure(url: string): CheckFailure | undefined {
  const fix =
    'write https://host/org/repo.git, ssh://git@host/org/repo.git, ' +
    'git@host:org/repo.git, or the absolute path of a local repository';
  if (url.startsWith('-'))
    return { message: 'a repository URL must not start with "-": git would read it as an option', fix };
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url))
    return {
      message:
        `"${url.slice(0, url.indexOf('::') + 2)}" is git's remote-helper syntax, ` +
        `which can run arbitrary programs (ext::); rewind does not use remote helpers`,
      fix,
    };
  if (CONTROL.test(url) || /\s/.test(url))
    return { message: 'a repository URL must not contain spaces or control characters', fix };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme === 'git')
      return { message: 'git:// is unauthenticated and cannot be pushed to; rewind pushes its commits', fix };
    if (!['https', 'http', 'ssh', 'file'].includes(scheme))
      return { message: `the URL scheme "${scheme}://" is not one rewind uses`, fix };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { message: 'this is not a valid URL', fix };
    }
    if (scheme === 'file')
      return parsed.pathname.length > 1 ? undefined : { message: 'a file:// URL needs the path of a repository', fix };
    if (!parsed.hostname) return { message: 'the URL has no host', fix };
    if (parsed.hostname.startsWith('-') || decodeURIComponent(parsed.username).startsWith('-'))
      return { message: 'the host or user of the URL starts with "-": ssh would read it as an option', fix };
    return undefined;
  }
  if (url.startsWith('/'))
    return url.split('/').includes('..')
      ? { message: 'a local repository path must not contain ".."', fix }
      : undefined;
  // scp-like: [user@]host:path, the colon before any slash (as git tells it from a local path).
  const scp = /^(?:([^@/:]+)@)?([^@/:]+):(.+)$/.exec(url);
  if (scp) {
    const [, user, host] = scp;
    if (host!.startsWith('-') || user?.startsWith('-'))
      return { message: 'the host or user starts with "-": ssh would read it as an option', fix };
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host!))
      return { message: `"${host}" is not a host name`, fix };
    return undefined;
  }
  return {
    message: `"${url}" is neither a URL nor an absolute path; a relative path would depend on where the worker runs`,
    fix,
  };
}

/**
 * A branch name as `git check-ref-format --branch` takes it, and never an option: no leading "-",
 * no "..", no "@{", not "@", no control characters, space, ~ ^ : ? * [ or \, no component that
 * starts with "." or ends with ".lock", no leading, trailing or doubled "/", no trailing ".".
 */
export function branchFailure(name: string): CheckFailure | undefined {
  const fix = 'use a branch name such as main or release/2026-03 (see git check-ref-format)';
  const bad = (message: string) => ({ message, fix });
  if (name.length === 0) return bad('the branch name is empty');
  if (name.length > 255) return bad('the branch name is longer than 255 characters');
  if (name.startsWith('-')) return bad('a branch name must not start with "-": git would read it as an option');
  if (CONTROL.test(name) || /[\s~^:?*[\\]/.test(name))
    return bad('a branch name must not contain spaces, control characters or any of ~ ^ : ? * [ \\');
  if (name.includes('..')) return bad('a branch name must not contain ".."');
  if (name.includes('@{') || name === '@') return bad('a branch name must not be "@" or contain "@{"');
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return bad('a branch name must not start or end with "/" or contain "//"');
  if (name.endsWith('.')) return bad('a branch name must not end with "."');
  if (name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock')))
    return bad('no part of a branch name may start with "." or end with ".lock"');
  return undefined;
}

/**
 * A directory inside the config repository: relative to its root, never leaving it. Refused:
 * absolute paths, "~", any ".." part, backslashes, control characters, a leading "-" (tools
 * would read it as an option).
 */
export function repoPathFailure(p: string): CheckFailure | undefined {
  const fix = 'give the directory relative to the repository root, e.g. apps/users-api/overlays/prod';
  if (CONTROL.test(p)) return { message: 'the path contains a control character', fix };
  if (p.startsWith('-')) return { message: 'the path must not start with "-": tools would read it as an option', fix };
  if (p.startsWith('/') || p.startsWith('~') || /^[A-Za-z]:/.test(p))
    return { message: `"${p}" is absolute; paths are inside the config repository`, fix };
  if (p.includes('\\')) return { message: 'the path contains "\\"; use "/" between directories', fix };
  if (p.split('/').includes('..')) return { message: `"${p}" leaves the repository through ".."`, fix };
  return undefined;
}

/**
 * A link people click in Slack and in exports, or rewind requests (a health probe): http or
 * https only (no javascript:, data:, file:), with a host, and without credentials in it, since
 * links are shown to everyone in the channel.
 */
export function linkFailure(link: string): CheckFailure | undefined {
  const fix = 'write an http(s) URL such as https://temporal.acme.test';
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { message: `"${link}" is not a URL`, fix };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { message: `links must be http or https, not ${url.protocol}`, fix };
  if (!url.hostname) return { message: 'the URL has no host', fix };
  if (url.username || url.password)
    return {
      message: 'the URL carries a user name or password; links are shown to everyone',
      fix: 'remove the credentials from the URL',
    };
  return undefined;
}

/** An IANA time zone the runtime knows (Temporal's server loads the same tz database names). */
export function timeZoneFailure(tz: string): CheckFailure | undefined {
  const fix = 'use an IANA time zone name such as UTC, Europe/Berlin or America/New_York';
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz))
    return { message: `"${tz}" is not a time zone name`, fix };
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    return { message: `unknown time zone "${tz}"`, fix };
  }
  return undefined;
}
