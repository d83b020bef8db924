import { describe, expect, it } from 'vitest';
import { compilerCommands, compilerFromConfig, compilerIdentity } from '../../plugins/plugsched/src/toolchain/toolchain';

describe('toolchain', () => {
  it("takes the compiler from the kernel's CONFIG_CC_VERSION_TEXT", () => {
    expect(compilerFromConfig('CONFIG_X=y\nCONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"\n')).toBe('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0');
    expect(compilerFromConfig('CONFIG_X=y\n')).toBeNull();
  });

  it('chooses native and cross commands from it', () => {
    expect(compilerCommands('gcc-12 (Debian 12.2.0-14) 12.2.0', 'x86', true)).toEqual({ cc: 'gcc-12', cxx: 'g++-12', arch: 'x86', crossCompile: '' });
    expect(compilerCommands('aarch64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0', 'arm64', false)).toEqual({ cc: 'aarch64-linux-gnu-gcc-12', cxx: 'g++-12', arch: 'arm64', crossCompile: 'aarch64-linux-gnu-' });
    expect(compilerCommands('gcc-10 (Debian 10.2.1-6) 10.2.1', 'arm64', false).cc).toBe('aarch64-linux-gnu-gcc-10');
  });

  it('identifies the binaries really invoked, cross compilers included', async () => {
    const native = await compilerIdentity('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', 'x86');
    const cross = await compilerIdentity('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', 'arm64');
    expect(native).toMatch(/^gcc-12: \/\S+ sha256 [0-9a-f]{64}$/m);
    expect(native).toMatch(/^gcc-12: cc1 \/\S+ \d+ bytes$/m);
    expect(cross).toMatch(/^aarch64-linux-gnu-gcc-12: \/\S+ sha256 [0-9a-f]{64}$/m);
    expect(cross).not.toBe(native);
    // another compiler named by the kernel is another identity, even when it is missing here
    expect(await compilerIdentity('gcc-99 (Debian 99) 99', 'x86')).toMatch(/^gcc-99: not installed$/m);
  });
});
