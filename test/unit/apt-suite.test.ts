import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMachineSuite, osReleaseCodename, parsePolicyOrigins, privateAptOptions, suiteSourcesList } from '../../plugins/plugsched/src/kernel/apt-suite';

// apt-cache policy's source lines, with a placeholder archive address
const POLICY = `Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 http://archive.invalid/debian-security bookworm-security/main arm64 Packages
     release v=12,o=Debian,a=stable-security,n=bookworm-security,l=Debian-Security,c=main,b=arm64
 500 http://archive.invalid/debian-security bookworm-security/main amd64 Packages
 500 http://archive.invalid/debian bookworm-updates/main amd64 Packages
 500 http://archive.invalid/debian bookworm/main amd64 Packages
 500 https://other.invalid/node_20.x nodistro/main amd64 Packages
Pinned packages:
`;

describe('a private apt for another suite', () => {
  it('reads the origins apt uses, once each', () => {
    expect(parsePolicyOrigins(POLICY)).toEqual([
      { uri: 'http://archive.invalid/debian', suite: 'bookworm', component: 'main' },
      { uri: 'http://archive.invalid/debian', suite: 'bookworm-updates', component: 'main' },
      { uri: 'http://archive.invalid/debian-security', suite: 'bookworm-security', component: 'main' },
      { uri: 'https://other.invalid/node_20.x', suite: 'nodistro', component: 'main' },
    ]);
  });

  it("takes a suite's archive from the machine's own: security from security, the rest from the main archive", () => {
    const o = parsePolicyOrigins(POLICY);
    expect(suiteSourcesList(o, 'bookworm', 'bullseye-security')).toBe('deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian-security bullseye-security main\n');
    expect(suiteSourcesList(o, 'bookworm', 'sid')).toBe('deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian sid main\n');
    // a stable codename brings its security suite: the kernel generator records "bullseye" for either
    expect(suiteSourcesList(o, 'bookworm', 'bullseye')).toBe(
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian bullseye main\n' +
        'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.invalid/debian-security bullseye-security main\n',
    );
  });

  it('says what is missing when the machine has no Debian source to start from', () => {
    expect(() => suiteSourcesList(parsePolicyOrigins(POLICY), 'trixie', 'sid')).toThrow(/no source for "trixie" \(main\)[\s\S]*bookworm\/main/);
  });

  it('keeps every piece of apt state in its own directory', () => {
    expect(privateAptOptions('/store/apt/sid')).toEqual(['-o', 'Dir::Etc::SourceList=/store/apt/sid/sources.list', '-o', 'Dir::Etc::SourceParts=/dev/null', '-o', 'Dir::State::Lists=/store/apt/sid/lists', '-o', 'Dir::Cache=/store/apt/sid/cache']);
  });
});

describe("the machine's own suite, from os-release", () => {
  const osRelease = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'os-release-')), 'os-release');
    writeFileSync(f, text);
    return f;
  };

  it('reads VERSION_CODENAME, quoted or not', () => {
    expect(osReleaseCodename('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\nID=debian\n')).toBe('bookworm');
    expect(osReleaseCodename('VERSION_CODENAME="trixie"\n')).toBe('trixie');
    expect(osReleaseCodename('ID=debian\n')).toBe('');
  });

  it('counts the codename and its security, updates and backports suites, nothing else', () => {
    const f = osRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n');
    for (const s of ['bookworm', 'bookworm-security', 'bookworm-updates', 'bookworm-backports']) expect(isMachineSuite(s, f)).toBe(true);
    for (const s of ['bullseye', 'sid', 'trixie-security', 'bookworm-proposed-updates']) expect(isMachineSuite(s, f)).toBe(false);
  });

  it('answers no when the file is missing or names no codename (apt decides then)', () => {
    expect(isMachineSuite('bookworm', '/nonexistent/os-release')).toBe(false);
    expect(isMachineSuite('bookworm', osRelease('ID=debian\n'))).toBe(false);
  });
});
