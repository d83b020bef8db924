import { describe, expect, it } from 'vitest';
import { aptValidityOptions, bindPaths, buildRootPackages, develMappedBinds, gccMajor, inRootCommand, mmdebstrapBuildRootArgs, parseAptShow, rootEnv } from '../../plugins/plugsched/src/buildroot/recipe';
import { buildRootRecipe } from '../../plugins/plugsched/src/buildroot/buildroot';
import { entryKey } from '../../plugins/plugsched/src/kernel/store';
import { compilerIdentity } from '../../plugins/plugsched/src/toolchain/toolchain';

const KBUILD = { name: 'linux-kbuild-5.10', version: '5.10.223-1' };

describe('build root recipe', () => {
  it("takes the GCC release from the kernel's CONFIG_CC_VERSION_TEXT", () => {
    expect(gccMajor('gcc-10 (Debian 10.2.1-6) 10.2.1 20210110', 'k.yaml')).toBe(10);
    expect(gccMajor('gcc (Debian 10.2.1-6) 10.2.1 20210110', 'k.yaml')).toBe(10);
    expect(gccMajor('x86_64-linux-gnu-gcc-16 (Debian 16.1.0-1) 16.1.0', 'k.yaml')).toBe(16);
  });

  it('refuses a compiler it cannot install, naming the text and the file', () => {
    expect(() => gccMajor('Debian clang version 16.0.6', 'kernels/x/kernel.yaml')).toThrow(/kernels\/x\/kernel.yaml: .*"Debian clang version 16.0.6".*not a GCC release/);
    expect(() => gccMajor(null, 'kernels/x/kernel.yaml')).toThrow(/no CONFIG_CC_VERSION_TEXT/);
  });

  it('lists the compiler, its plugin headers, the kbuild tools and the kernel’s kbuild package at its version, sorted', () => {
    expect(buildRootPackages(10, KBUILD)).toEqual(['bc', 'bison', 'ccache', 'flex', 'g++-10', 'gcc', 'gcc-10', 'gcc-10-plugin-dev', 'libelf-dev', 'libssl-dev', 'linux-kbuild-5.10=5.10.223-1', 'make', 'python3']);
  });

  it("pins each package from apt-cache show's stanzas, NAME=VERSION to that version", () => {
    const text = [
      'Package: gcc-10\nVersion: 10.2.1-6\nDescription: x\n .\n more\nSHA256: aa\n',
      'Package: linux-kbuild-5.10\nVersion: 5.10.262-1\nSHA256: bb\n',
      'Package: linux-kbuild-5.10\nVersion: 5.10.223-1\nSHA256: cc\n',
      'Package: gcc-10\nVersion: 10.2.1-5\nSHA256: dd\n',
    ].join('\n');
    expect(parseAptShow(text, ['gcc-10', 'linux-kbuild-5.10=5.10.223-1'], 'bullseye')).toEqual([
      { name: 'gcc-10', version: '10.2.1-6', sha256: 'aa' },
      { name: 'linux-kbuild-5.10', version: '5.10.223-1', sha256: 'cc' },
    ]);
  });

  it('names the packages a suite lacks (an unknown compiler version)', () => {
    expect(() => parseAptShow('Package: make\nVersion: 4.3-4.1\nSHA256: ee\n', ['gcc-99', 'make'], 'bullseye')).toThrow(/suite bullseye has no package gcc-99 .*unknown compiler version/);
    // a stanza without SHA256 (the machine's installed package, from dpkg's status) is no pin
    expect(() => parseAptShow('Package: make\nVersion: 4.3-4.1\n', ['make'], 'bullseye')).toThrow(/no package make/);
  });

  it('has a key that depends on the suite and every pin, not on their order', () => {
    const a = [{ name: 'gcc-10', version: '10.2.1-6', sha256: 'aa' }, { name: 'make', version: '4.3-4.1', sha256: 'ee' }];
    const key = entryKey(buildRootRecipe('bullseye', a));
    expect(key).toMatch(/^buildroot-[0-9a-f]{32}$/);
    expect(entryKey(buildRootRecipe('bullseye', a))).toBe(key);
    expect(entryKey(buildRootRecipe('bullseye', [a[0], { ...a[1], sha256: 'ef' }]))).not.toBe(key);
    expect(entryKey(buildRootRecipe('bullseye', [a[0], { ...a[1], version: '4.3-4.2' }]))).not.toBe(key);
    expect(entryKey(buildRootRecipe('trixie', a))).not.toBe(key);
  });

  it("asks mmdebstrap for the pinned versions from the suite's private sources list", () => {
    const pins = [{ name: 'gcc-10', version: '10.2.1-6', sha256: 'aa' }, { name: 'make', version: '4.3-4.1', sha256: 'ee' }];
    expect(mmdebstrapBuildRootArgs('bullseye-security', '/s/.tmp/x/root', '/s/apt/bullseye-security/sources.list', pins, true)).toEqual([
      '--variant=minbase',
      '--mode=root',
      '--format=directory',
      '--include=gcc-10=10.2.1-6,make=4.3-4.1',
      'bullseye',
      '/s/.tmp/x/root',
      '/s/apt/bullseye-security/sources.list',
    ]);
    expect(mmdebstrapBuildRootArgs('sid', '/r', '/l', pins, false)[1]).toBe('--mode=unshare');
  });

  it('binds each path once, parents before what they hold', () => {
    expect(bindPaths(['/tmp', '/root/.cache/plugsched/store', '/tmp/x', '/work/wt/', '/work/wt'])).toEqual(['/root/.cache/plugsched/store', '/tmp', '/work/wt']);
  });

  it('runs a command in a private mount namespace and a clean environment, the binds at their own paths', () => {
    const c = inRootCommand('/s/buildroot-1/root', ['/s', '/tmp'], 'make', ['-C', '/s/src', 'KCFLAGS=-fplugin=/s/c.so -fplugin-arg-x=a b'], { CCACHE_DIR: '/s/ccache' });
    expect(c.slice(0, 6)).toEqual(['unshare', '--mount', '--propagation', 'private', '--', 'sh']);
    const script = c[7];
    expect(script).toContain('mkdir -p "$r"/s && mount --bind /s "$r"/s');
    expect(script).toContain('mount --bind /tmp "$r"/tmp');
    expect(script).toMatch(/^exec chroot "\$r" \/usr\/bin\/env -i CCACHE_DIR=\/s\/ccache HOME=\/root LC_ALL=C PATH=\S+ make -C \/s\/src 'KCFLAGS=-fplugin=\/s\/c.so -fplugin-arg-x=a b'$/m);
    expect(rootEnv({ PATH: '/x' })).toContain('PATH=/x');
  });

  it("names a build root's compilers by its pins, not by the host's", async () => {
    const text = await compilerIdentity('gcc-10 (Debian 10.2.1-6) 10.2.1 20210110', 'x86', 'buildroot-0123');
    expect(text).toMatch(/^build root: buildroot-0123$/m);
    expect(text).not.toMatch(/^gcc-10: /m);
  });
});

describe('aptValidityOptions', () => {
  it("carries the machine's Release-validity settings into mmdebstrap's apt, and nothing when apt keeps its defaults", () => {
    const dump = 'APT "";\nAcquire::Check-Valid-Until "false";\nAcquire::http::Pipeline-Depth "0";\nAcquire::Check-Date "false";\n';
    expect(aptValidityOptions(dump)).toEqual(['Acquire::Check-Valid-Until "false";', 'Acquire::Check-Date "false";']);
    expect(aptValidityOptions('APT "";\nAcquire::Languages "none";\n')).toEqual([]);
    expect(mmdebstrapBuildRootArgs('sid', '/t', '/s.list', [], true, aptValidityOptions(dump))).toContain('--aptopt=Acquire::Check-Valid-Until "false";');
  });
});

describe('develMappedBinds', () => {
  it('maps the absolute KBUILD_OUTPUT of a flavour Makefile (sid 7.2) to the devel tree, and nothing else', () => {
    const mk = '# generated\nKBUILD_OUTPUT := /usr/src/linux-headers-7.2.13+deb14-cloud-amd64\ninclude /usr/src/linux-headers-7.2.13+deb14-common/Makefile\n';
    expect(develMappedBinds('/store/devel-x/root/usr/src/linux-headers-7.2.13+deb14-cloud-amd64', mk)).toEqual([
      { from: '/store/devel-x/root/usr/src/linux-headers-7.2.13+deb14-cloud-amd64', at: '/usr/src/linux-headers-7.2.13+deb14-cloud-amd64' },
    ]);
    expect(develMappedBinds('/usr/src/linux-headers-7.2.13+deb14-cloud-amd64', mk)).toEqual([]);
    expect(develMappedBinds('/d', 'include ../linux-headers-6.1.0-56-common/Makefile\n')).toEqual([]);
  });

  it('puts the mapping on a tmpfs over its directory, so the root itself is not changed', () => {
    const script = inRootCommand('/root-dir', [], 'make', [], {}, [{ from: '/store/d', at: '/usr/src/linux-headers-7.2' }]).at(-1) ?? '';
    expect(script).toContain('mount -t tmpfs tmpfs "$r"/usr/src && cp -a');
    expect(script).toContain('ln -sfn /store/d "$r"/usr/src/linux-headers-7.2');
  });
});
