import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unpackDebFirst, unpackTarball } from '../../plugins/plugsched/src/kernel/unpack';

const quiet = () => undefined;
const work = mkdtempSync(join(tmpdir(), 'plugsched-unpack-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function files(root: string, rels: string[]): void {
  for (const rel of rels) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), `${rel}\n`);
  }
}

describe('unpacking a kernel tarball into the source entry', () => {
  it('keeps every top-level part but the bodies of drivers, sound, samples and Documentation, whose Kconfig files stay', async () => {
    const src = join(work, 'tree-src');
    files(join(src, 'linux-6.1'), [
      'Makefile', 'Kconfig', '.gitignore', 'arch/x86/Kconfig', 'kernel/sched/core.c', 'scripts/Makefile.build', 'security/Kconfig', 'include/linux/sched.h',
      'drivers/Kconfig', 'drivers/net/Kconfig', 'drivers/net/ethernet/intel/Kconfig', 'drivers/net/ethernet/intel/e1000.c', 'drivers/gpu/drm/drm.h',
      'sound/Kconfig', 'sound/core/pcm.c', 'samples/Kconfig', 'samples/bpf/x.c', 'Documentation/Kconfig', 'Documentation/kbuild/Kconfig.recursion-issue-01', 'Documentation/index.rst',
    ]);
    const tarball = join(work, 'linux-6.1.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', src, 'linux-6.1']);
    const out = join(work, 'tree-out');
    await unpackTarball(tarball, out, quiet);
    for (const kept of ['Makefile', 'Kconfig', '.gitignore', 'arch/x86/Kconfig', 'kernel/sched/core.c', 'scripts/Makefile.build', 'security/Kconfig', 'include/linux/sched.h', 'drivers/Kconfig', 'drivers/net/ethernet/intel/Kconfig', 'sound/Kconfig', 'samples/Kconfig', 'Documentation/Kconfig', 'Documentation/kbuild/Kconfig.recursion-issue-01'])
      expect(existsSync(join(out, kept)), kept).toBe(true);
    for (const dropped of ['drivers/net/ethernet/intel/e1000.c', 'drivers/gpu/drm/drm.h', 'sound/core/pcm.c', 'samples/bpf/x.c', 'Documentation/index.rst'])
      expect(existsSync(join(out, dropped)), dropped).toBe(false);
  });

  it('refuses a damaged tarball', async () => {
    const bad = join(work, 'bad.tar.gz');
    writeFileSync(bad, 'not a tarball');
    await expect(unpackTarball(bad, join(work, 'bad-out'), quiet)).rejects.toThrow(/Unpacking bad.tar.gz failed/);
  });
});

describe('unpacking the leading members of a .deb', () => {
  const deb = join(work, 'dbg.deb');
  const root = join(work, 'deb-root');
  files(root, ['usr/lib/debug/boot/System.map-1.0', 'usr/lib/debug/boot/vmlinux-1.0', 'usr/lib/debug/lib/modules/1.0/kernel/a.ko']);
  mkdirSync(join(root, 'DEBIAN'));
  writeFileSync(join(root, 'DEBIAN', 'control'), 'Package: dbg-test\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n');
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], { stdio: 'ignore' });

  it('unpacks the named members and nothing else', async () => {
    const out = join(work, 'first-out');
    const ok = await unpackDebFirst(deb, out, ['./usr/lib/debug/boot/System.map-1.0', './usr/lib/debug/boot/vmlinux-1.0'], quiet);
    expect(ok).toBe(true);
    expect(existsSync(join(out, 'usr/lib/debug/boot/vmlinux-1.0'))).toBe(true);
    expect(existsSync(join(out, 'usr/lib/debug/lib/modules/1.0/kernel/a.ko'))).toBe(false);
  });

  it('answers false and leaves none of them behind when one is not in the package', async () => {
    const out = join(work, 'missing-out');
    const ok = await unpackDebFirst(deb, out, ['./usr/lib/debug/boot/vmlinux-1.0', './usr/lib/debug/boot/vmlinux-2.0'], quiet);
    expect(ok).toBe(false);
    expect(existsSync(join(out, 'usr/lib/debug/boot/vmlinux-1.0'))).toBe(false);
  });
});
