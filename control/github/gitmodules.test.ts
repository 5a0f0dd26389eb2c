// Tests of .gitmodules parsing and same-owner submodule suggestions.
import { describe, expect, it } from 'bun:test';
import { parseGitmodules, repoOfSubmoduleUrl, suggestSameOwnerRepos } from './gitmodules.ts';

describe('.gitmodules', () => {
  it('parses sections, paths and urls, ignoring comments and other sections', () => {
    const text =
      '# top\n[core]\n\turl = nope\n[submodule "a"]\n\tpath = libs/a ; note\n\turl = "../a.git"\n[submodule "b"]\nurl=https://github.com/o/b\n';
    expect(parseGitmodules(text)).toEqual([
      { name: 'a', path: 'libs/a', url: '../a.git' },
      { name: 'b', path: null, url: 'https://github.com/o/b' },
    ]);
  });

  it('resolves https, ssh, scp-like and relative URLs to owner/name on the host only', () => {
    expect(repoOfSubmoduleUrl('https://github.com/acme/lib.git', 'acme/app')).toBe('acme/lib');
    expect(repoOfSubmoduleUrl('ssh://git@github.com/acme/lib', 'acme/app')).toBe('acme/lib');
    expect(repoOfSubmoduleUrl('git@github.com:acme/lib.git', 'acme/app')).toBe('acme/lib');
    expect(repoOfSubmoduleUrl('../lib.git', 'acme/app')).toBe('acme/lib');
    expect(repoOfSubmoduleUrl('../../other/x', 'acme/app')).toBe('other/x');
    expect(repoOfSubmoduleUrl('https://gitlab.com/acme/lib.git', 'acme/app')).toBeNull();
    expect(repoOfSubmoduleUrl('https://github.com.evil.example/acme/lib', 'acme/app')).toBeNull();
  });

  it('suggests same-owner submodules once, never the primary or another owner', () => {
    const text = [
      '[submodule "lib"]\n url = ../lib.git',
      '[submodule "lib2"]\n url = https://github.com/ACME/lib',
      '[submodule "self"]\n url = ../app.git',
      '[submodule "ext"]\n url = git@github.com:other/ext.git',
      '[submodule "tools"]\n url = https://github.com/acme/tools.git',
    ].join('\n');
    expect(suggestSameOwnerRepos(text, 'acme/app')).toEqual(['acme/lib', 'acme/tools']);
  });
});
