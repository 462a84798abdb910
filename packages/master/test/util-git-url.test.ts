/** util/git-url.ts: the repository URL forms of git, read into host, owner and repository (Buildbot's giturlparse). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGitUrl } from '../src/util/git-url.js';

test('https, ssh, git@ and git:// forms give host, owner and repository without .git', () => {
  const cases: Array<[string, { proto: string; host: string; port: number | null; owner: string; repo: string }]> = [
    ['https://github.com/o/r', { proto: 'https', host: 'github.com', port: null, owner: 'o', repo: 'r' }],
    ['https://github.com/o/r.git', { proto: 'https', host: 'github.com', port: null, owner: 'o', repo: 'r' }],
    ['http://GitLab.example.org:8080/group/sub/proj.git/', { proto: 'http', host: 'gitlab.example.org', port: 8080, owner: 'group/sub', repo: 'proj' }],
    ['ssh://git@github.com/o/r.git', { proto: 'ssh', host: 'github.com', port: null, owner: 'o', repo: 'r' }],
    ['ssh://git@host:2222/o/r', { proto: 'ssh', host: 'host', port: 2222, owner: 'o', repo: 'r' }],
    ['git@github.com:o/r.git', { proto: 'ssh', host: 'github.com', port: null, owner: 'o', repo: 'r' }],
    ['git://git.example.org/o/r', { proto: 'git', host: 'git.example.org', port: null, owner: 'o', repo: 'r' }],
    ['https://user:tok@github.com/o/r?x=1', { proto: 'https', host: 'github.com', port: null, owner: 'o', repo: 'r' }],
  ];
  for (const [url, want] of cases) assert.deepEqual(parseGitUrl(url), want, url);
});

test('local paths, file URLs and URLs without an owner are not forge repositories', () => {
  for (const url of ['/srv/repo.git', 'file:///srv/o/r.git', 'C:\\repos\\r', 'https://github.com/r', 'https://github.com/', '', 'ftp://h/o/r']) {
    assert.equal(parseGitUrl(url), null, url);
  }
});
