import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  branchFailure,
  linkFailure,
  repoPathFailure,
  repoUrlFailure,
  timeZoneFailure,
} from '../../../src/lib/config/checks.js';

const refused = (f: (s: string) => unknown, value: string, re: RegExp) => {
  const r = f(value) as { message: string; fix: string } | undefined;
  assert.ok(r, `expected ${JSON.stringify(value)} to be refused`);
  assert.match(r.message, re, JSON.stringify(value));
  assert.ok(r.fix.length > 0);
};

describe('config checks', () => {
  it('repo URLs: https, http, ssh, scp-like, file:// and absolute local paths', () => {
    for (const ok of [
      'https://github.com/acme/config.git',
      'http://127.0.0.1:3000/config.git',
      'ssh://git@github.com/acme/config.git',
      'ssh://git@host:2222/x.git',
      'git@github.com:acme/config.git',
      'github.com:acme/config.git',
      'file:///srv/git/config.git',
      '/tmp/config.git',
    ]) {
      assert.equal(repoUrlFailure(ok), undefined, ok);
    }
  });

  it('repo URLs git would read as options, remote helpers, other schemes and relative paths are refused', () => {
    refused(repoUrlFailure, '--upload-pack=touch /tmp/x', /must not start with "-": git would read it as an option/);
    refused(repoUrlFailure, '-oProxyCommand=x', /must not start with "-"/);
    refused(repoUrlFailure, 'ext::sh -c touch% /tmp/pwned', /remote-helper syntax.*ext::/);
    refused(repoUrlFailure, 'file::/tmp/x', /remote-helper syntax/);
    refused(repoUrlFailure, 'fd::17', /remote-helper syntax/);
    refused(repoUrlFailure, 'ssh://-oProxyCommand=touch%20x/repo', /starts with "-": ssh would read it as an option/);
    refused(repoUrlFailure, '-oProxyCommand=x@host:repo', /must not start with "-"/);
    refused(repoUrlFailure, 'git@-oProxyCommand=x:repo', /starts with "-"/);
    refused(repoUrlFailure, 'git://github.com/acme/config.git', /git:\/\/ is unauthenticated/);
    refused(repoUrlFailure, 'ftp://host/x.git', /scheme "ftp:\/\/" is not one rewind uses/);
    refused(repoUrlFailure, 'config.git', /neither a URL nor an absolute path/);
    refused(repoUrlFailure, '../config.git', /neither a URL nor an absolute path/);
    refused(repoUrlFailure, 'https://host/a b', /spaces or control characters/);
    refused(repoUrlFailure, 'https://host/a\u0000b', /spaces or control characters/);
  });

  it('branch names follow git check-ref-format and are never options', () => {
    for (const ok of ['main', 'release/2026-03', 'feature.x', 'v1.2', 'a-b_c'])
      assert.equal(branchFailure(ok), undefined, ok);
    refused(branchFailure, '-f', /must not start with "-"/);
    refused(branchFailure, '--orphan', /must not start with "-"/);
    refused(branchFailure, 'a..b', /must not contain "\.\."/);
    refused(branchFailure, 'a@{1}', /"@\{"/);
    refused(branchFailure, '@', /must not be "@"/);
    refused(branchFailure, 'main.lock', /\.lock/);
    refused(branchFailure, 'x/.hidden', /start with "\."/);
    refused(branchFailure, 'main/', /start or end with "\/"/);
    refused(branchFailure, '/main', /start or end with "\/"/);
    refused(branchFailure, 'a//b', /"\/\/"/);
    refused(branchFailure, 'main.', /end with "\."/);
    for (const ch of [' ', '~', '^', ':', '?', '*', '[', '\\', '\u0001', '\u007f'])
      refused(branchFailure, `a${ch}b`, /must not contain spaces, control characters/);
    refused(branchFailure, '', /empty/);
  });

  it('environment paths stay inside the repository', () => {
    for (const ok of ['apps/users-api/overlays/prod', 'apps/x', './apps/x', 'x..y/z'])
      assert.equal(repoPathFailure(ok), undefined, ok);
    refused(repoPathFailure, '/etc', /is absolute/);
    refused(repoPathFailure, '~/x', /is absolute/);
    refused(repoPathFailure, 'C:/x', /is absolute/);
    refused(repoPathFailure, '../x', /leaves the repository through "\.\."/);
    refused(repoPathFailure, 'apps/../../etc', /leaves the repository/);
    refused(repoPathFailure, 'apps/..', /leaves the repository/);
    refused(repoPathFailure, 'apps\\x', /"\\"/);
    refused(repoPathFailure, '-x', /must not start with "-"/);
    refused(repoPathFailure, 'apps/x\u0000', /control character/);
  });

  it('links are http(s) with a host and no credentials', () => {
    for (const ok of [
      'https://github.com/acme/config',
      'http://127.0.0.1:8233',
      'https://users-api.acme.test/healthz?x=1',
    ])
      assert.equal(linkFailure(ok), undefined, ok);
    refused(linkFailure, 'javascript:alert(1)', /http or https, not javascript:/);
    refused(linkFailure, 'JavaScript:alert(1)', /not javascript:/);
    refused(linkFailure, 'data:text/html,<script>x</script>', /not data:/);
    refused(linkFailure, 'file:///etc/passwd', /not file:/);
    refused(linkFailure, 'vbscript:x', /not vbscript:/);
    refused(linkFailure, 'https://user:token@github.com/acme', /user name or password/);
    refused(linkFailure, 'not a url', /is not a URL/);
  });

  it('time zones are IANA names the runtime knows', () => {
    for (const ok of ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])
      assert.equal(timeZoneFailure(ok), undefined, ok);
    refused(timeZoneFailure, 'Mars/Olympus', /unknown time zone "Mars\/Olympus"/);
    refused(timeZoneFailure, '+01:00', /is not a time zone name/);
    refused(timeZoneFailure, 'Europe/../UTC', /is not a time zone name|unknown time zone/);
    refused(timeZoneFailure, '', /is not a time zone name/);
  });
});
