import { describe, expect, it } from 'vitest';
import { parseAptRecord, parseMadison } from '../../plugins/plugsched/src/kernel/apt-cache';
import { aptRequest } from '../../plugins/plugsched/src/kernel/packages';
import { parseDepends, resolveDebianKernel } from '../../plugins/plugsched/src/kernel/debian-release';
import { ARCHIVE, ENTRIES, archive } from '../support/apt-archive';
import { compareDebianVersions, satisfies } from '../../plugins/plugsched/src/kernel/debian-version';
import { debianKernelYaml } from '../../plugins/plugsched/src/generators/kernel/kernel-yaml';
import { versionOption } from '../../plugins/plugsched/src/generators/version-option';

describe('compareDebianVersions (as dpkg --compare-versions orders them)', () => {
  it.each([
    ['6.1.190-1', '6.1.192-2', -1],
    ['6.12.117-1~deb12u1', '6.12.117-1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1:0.1', '2.0', 1],
    ['6.1.192-2', '6.1.192-10', -1],
    ['1.0a', '1.0+', -1],
    ['1.0', '1.0-0', 0],
    ['2.30', '2.3', 1],
  ])('%s vs %s', (a, b, want) => {
    expect(Math.sign(compareDebianVersions(a as string, b as string))).toBe(want);
    expect(Math.sign(compareDebianVersions(b as string, a as string))).toBe(want === 0 ? 0 : -want);
  });

  it('relations', () => {
    expect(satisfies('6.1.192-2', '>=', '6.1.190-1')).toBe(true);
    expect(satisfies('6.1.176-1', '>=', '6.1.190-1')).toBe(false);
    expect(satisfies('6.1.190-1', '=', '6.1.190-1')).toBe(true);
    expect(satisfies('6.1.190-1', '<<', '6.1.190-1')).toBe(false);
  });
});

describe('apt output parsers', () => {
  it('reads madison lines: name, version and the suite without -security', () => {
    const rows = parseMadison('linux-source-6.1 |  6.1.192-2 | http://archive.example/debian-security bookworm-security/main amd64 Packages\nlinux-kbuild-6.1 | 6.1.176-1 | http://archive.example/debian bookworm/main amd64 Packages\n');
    expect(rows).toEqual([
      { name: 'linux-source-6.1', version: '6.1.192-2', suite: 'bookworm' },
      { name: 'linux-kbuild-6.1', version: '6.1.176-1', suite: 'bookworm' },
    ]);
  });

  it('reads the first record of apt-cache show, with continuation lines', () => {
    const f = parseAptRecord('Package: a\nVersion: 1\nDescription: x\n more\nSHA256: ab\n\nPackage: a\nVersion: 2\n');
    expect(f).toEqual({ Package: 'a', Version: '1', Description: 'x\nmore', SHA256: 'ab' });
  });

  it('splits Depends into groups of alternatives with relations', () => {
    expect(parseDepends('linux-headers-6.1.0-54-common (= 6.1.190-1), linux-kbuild-6.1 (>= 6.1.190-1), a | b:any (<< 2)')).toEqual([
      [{ name: 'linux-headers-6.1.0-54-common', op: '=', version: '6.1.190-1' }],
      [{ name: 'linux-kbuild-6.1', op: '>=', version: '6.1.190-1' }],
      [
        { name: 'a', op: null, version: null },
        { name: 'b', op: '<<', version: '2' },
      ],
    ]);
  });
});

describe('aptRequest', () => {
  it('asks apt for NAME:ARCH=VERSION only for a foreign architecture', () => {
    expect(aptRequest('linux-image-6.1.0-56-cloud-arm64-dbg', '6.1.192-2', 'arm64', 'amd64')).toBe('linux-image-6.1.0-56-cloud-arm64-dbg:arm64=6.1.192-2');
    expect(aptRequest('linux-source-6.1', '6.1.192-2', 'all', 'amd64')).toBe('linux-source-6.1=6.1.192-2');
    expect(aptRequest('linux-kbuild-6.1', '6.1.192-2', 'amd64', 'amd64')).toBe('linux-kbuild-6.1=6.1.192-2');
    expect(aptRequest('linux-kbuild-6.1', '6.1.192-2', null, 'amd64')).toBe('linux-kbuild-6.1=6.1.192-2');
  });
});

describe('resolveDebianKernel', () => {
  it('assembles a release: the ABI from the flavour headers, kbuild at the oldest version the headers accept, the signed image when no unsigned one exists', () => {
    const k = resolveDebianKernel({ version: '6.1.190-1', flavour: 'cloud-amd64', arch: 'amd64' }, ARCHIVE);
    expect(k.release).toBe('6.1.0-54-cloud-amd64');
    expect(k.line).toBe('6.1');
    expect(k.packages.map((p) => [p.role, p.name, p.version ?? '-'])).toEqual([
      ['source', 'linux-source-6.1', '-'],
      ['headers', 'linux-headers-6.1.0-54-cloud-amd64', '-'],
      ['headers', 'linux-headers-6.1.0-54-common', '-'],
      ['kbuild', 'linux-kbuild-6.1', '6.1.192-2'],
      ['image', 'linux-image-6.1.0-54-cloud-amd64', '-'],
      ['debug', 'linux-image-6.1.0-54-cloud-amd64-dbg', '-'],
    ]);
    expect(k.packages[0].sha256).toBe('sha-linux-source-6.1-6.1.190-1');
  });

  it('says clearly when a release cannot be assembled, naming the package and what apt knows', () => {
    expect(() => resolveDebianKernel({ version: '6.1.192-2', flavour: 'cloud-amd64', arch: 'amd64' }, ARCHIVE)).toThrow(/linux-image-6\.1\.0-56-cloud-amd64-dbg at 6\.1\.192-2 .*not in the archive \(apt knows no version of it\)/);
    expect(() => resolveDebianKernel({ version: '6.1.191-1', flavour: 'cloud-amd64', arch: 'amd64' }, ARCHIVE)).toThrow(/linux-source-6\.1 at 6\.1\.191-1 .*apt knows 6\.1\.190-1, 6\.1\.192-2/);
    expect(() => resolveDebianKernel({ version: '6.1.190-1', flavour: 'rt-amd64', arch: 'amd64' }, ARCHIVE)).toThrow(/no linux-headers-6\.1\.\*-rt-amd64 package exists at version 6\.1\.190-1/);
    const noKbuild = archive([
      ['linux-source-6.1', '6.1.190-1', 'all'],
      ['linux-headers-6.1.0-54-cloud-amd64', '6.1.190-1', 'amd64', 'linux-kbuild-6.1 (>= 6.1.190-1)'],
      ['linux-kbuild-6.1', '6.1.176-1', 'amd64'],
    ]);
    expect(() => resolveDebianKernel({ version: '6.1.190-1', flavour: 'cloud-amd64', arch: 'amd64' }, noKbuild)).toThrow(/needs linux-kbuild-6\.1 \(>= 6\.1\.190-1\) and apt knows 6\.1\.176-1/);
    // read through a suite's private apt state: the commands it suggests carry the same options
    const privateApt = { ...ARCHIVE, options: ['-o', 'Dir::Etc::SourceList=/s/apt/bullseye/sources.list'] };
    expect(() => resolveDebianKernel({ version: '6.1.191-1', flavour: 'cloud-amd64', arch: 'amd64' }, privateApt)).toThrow(
      /"apt-cache -o Dir::Etc::SourceList=\/s\/apt\/bullseye\/sources\.list madison linux-source-6\.1"; if apt's lists are old run "apt-get -o Dir::Etc::SourceList=\/s\/apt\/bullseye\/sources\.list update"/,
    );
    expect(() => resolveDebianKernel({ version: '6.1.191-1', flavour: 'cloud-amd64', arch: 'amd64' }, ARCHIVE)).toThrow(/"apt-cache madison linux-source-6\.1"; if apt's lists are old run "apt-get update"/);
  });

  it("takes an arm64 kernel's packages for arm64 and its kbuild for the build machine (its programs run there)", () => {
    const arm64 = archive(ENTRIES, 'arm64');
    const cross = resolveDebianKernel({ version: '6.1.192-2', flavour: 'cloud-arm64', arch: 'arm64', hostArch: 'amd64' }, arm64);
    expect(cross.release).toBe('6.1.0-56-cloud-arm64');
    expect(cross.packages.map((p) => [p.role, p.name, p.arch])).toEqual([
      ['source', 'linux-source-6.1', 'all'],
      ['headers', 'linux-headers-6.1.0-56-cloud-arm64', 'arm64'],
      ['headers', 'linux-headers-6.1.0-56-common', 'all'],
      ['kbuild', 'linux-kbuild-6.1', 'amd64'],
      ['image', 'linux-image-6.1.0-56-cloud-arm64-unsigned', 'arm64'],
      ['debug', 'linux-image-6.1.0-56-cloud-arm64-dbg', 'arm64'],
    ]);
    const yaml = debianKernelYaml(cross);
    expect(yaml).toContain("# linux-kbuild is the build machine's: its programs run while modules are built.");
    const native = resolveDebianKernel({ version: '6.1.192-2', flavour: 'cloud-arm64', arch: 'arm64' }, arm64);
    expect(native.packages.find((p) => p.role === 'kbuild')?.arch).toBe('arm64');
    expect(debianKernelYaml(native)).not.toContain('build machine');
  });

  it('renders kernel.yaml with a per-package version only where it differs', () => {
    const yaml = debianKernelYaml(resolveDebianKernel({ version: '6.1.190-1', flavour: 'cloud-amd64', arch: 'amd64' }, ARCHIVE));
    expect(yaml).toMatch(/^# Debian bookworm's 6\.1 cloud kernel for amd64 \(uname -r 6\.1\.0-54-cloud-amd64\)\./);
    expect(yaml).toMatch(/^line: "6\.1"$/m);
    expect(yaml).toContain('  - role: kbuild\n    name: linux-kbuild-6.1\n    version: 6.1.192-2\n    arch: amd64\n');
    expect(yaml.match(/ version: /g)).toHaveLength(1);
  });
});

describe('versionOption', () => {
  it("takes the option, or reads it back from argv when nx's own --version flag swallowed it", () => {
    expect(versionOption('6.1.190-1', [], 'bump')).toBe('6.1.190-1');
    expect(versionOption(false, ['node', 'nx', 'g', 'bump', 'k', '--version=6.1.190-1'], 'bump')).toBe('6.1.190-1');
    expect(versionOption(true, ['node', 'nx', 'g', 'bump', 'k', '--version', '6.1.190-1'], 'bump')).toBe('6.1.190-1');
    expect(() => versionOption(undefined, ['node', 'nx'], 'bump')).toThrow(/--version=<Debian package version> is required/);
  });
});
