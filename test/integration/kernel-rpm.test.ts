/**
 * The RPM path on real material: an SRPM made here from Debian's 6.1 source
 * tarball (with a patch that %prep must apply), and kernel-devel / debuginfo /
 * image RPMs made from Debian's binary packages, laid out as RPM distros do.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKernelConfig } from '../../plugins/plugsched/src/config/kernel-config';
import { loadKernel } from '../../plugins/plugsched/src/kernel/artifacts';
import { ensureDevel } from '../../plugins/plugsched/src/kernel/devel';
import { ensurePackages } from '../../plugins/plugsched/src/kernel/packages';
import { ensureSource } from '../../plugins/plugsched/src/kernel/source';
import { sha256File } from '../../plugins/plugsched/src/util/hash';
import { develTree, WORKSPACE } from '../support/kernel';

const RELEASE = '6.1.0-56-cloud-amd64';
let work: string;
let store: string;
const quiet = () => undefined;

/** Run with this test's own empty store (the Debian kernel keeps using the shared one). */
async function inOwnStore<T>(fn: () => Promise<T>): Promise<T> {
  process.env.PLUGSCHED_STORE = store;
  try {
    return await fn();
  } finally {
    delete process.env.PLUGSCHED_STORE;
  }
}

function sh(script: string, cwd = work): void {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}\n${r.stdout}\n${r.stderr}`);
}

function rpmbuild(args: string): void {
  sh(`rpmbuild --quiet --define "_topdir ${work}/rpmbuild" --define "_source_payload w0.ufdio" --define "_binary_payload w0.ufdio" ` +
    `--define "__os_install_post %{nil}" --define "debug_package %{nil}" --define "_build_id_links none" ${args}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'plugsched-rpm-'));
  store = mkdtempSync(join(tmpdir(), 'plugsched-rpm-store-'));
  mkdirSync(join(work, 'rpmbuild', 'SOURCES'), { recursive: true });
  mkdirSync(join(work, 'kernels', 'rpm-6.1'), { recursive: true });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(store, { recursive: true, force: true });
});

async function kernelYaml(packages: { role: string; file: string }[]): Promise<string> {
  const lines = ['distro: rpm', 'line: "6.1"', 'version: 6.1.192-1', `release: ${RELEASE}`, 'flavour: cloud', 'arch: x86_64', 'source: srpm', 'packages:'];
  for (const p of packages) lines.push(`  - role: ${p.role}`, `    file: ${p.file}`, `    sha256: ${await sha256File(join(work, 'kernels', 'rpm-6.1', p.file))}`);
  const file = join(work, 'kernels', 'rpm-6.1', 'kernel.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('RPM kernels', () => {
  it('prepares the source tree from a real SRPM with rpmbuild, applying its patches', async () => {
    const [deb] = await ensurePackages(loadKernel(WORKSPACE, 'debian-6.1-cloud-amd64'), ['source'], quiet);
    sh(`dpkg-deb --fsys-tarfile "${deb.path}" | tar -xO ./usr/src/linux-source-6.1.tar.xz > rpmbuild/SOURCES/linux-source-6.1.tar.xz`);
    writeFileSync(join(work, 'rpmbuild', 'SOURCES', 'plugsched-test.patch'), '--- /dev/null\n+++ b/PLUGSCHED-SRPM-TEST\n@@ -0,0 +1 @@\n+applied by %prep\n');
    writeFileSync(join(work, 'kernel.spec'), [
      'Name: kernel', 'Version: 6.1.192', 'Release: 1', 'Summary: Linux kernel (test SRPM made from Debian linux-source-6.1)', 'License: GPL-2.0-only',
      'Source0: linux-source-6.1.tar.xz', 'Patch0: plugsched-test.patch', '%description', 'Test SRPM.', '%prep', '%setup -q -n linux-source-6.1', '%patch -P 0 -p1', '',
    ].join('\n'));
    rpmbuild('-bs kernel.spec');
    cpSync(join(work, 'rpmbuild', 'SRPMS', 'kernel-6.1.192-1.src.rpm'), join(work, 'kernels', 'rpm-6.1', 'kernel-6.1.192-1.src.rpm'));
    const cfg = loadKernelConfig(await kernelYaml([{ role: 'source', file: 'kernel-6.1.192-1.src.rpm' }]), work);
    const src = await inOwnStore(() => ensureSource(cfg, quiet));
    expect(src.manifest.kernelVersion).toBe('6.1.192');
    expect(src.manifest.store).toMatch(/^source-[0-9a-f]{32}$/);
    expect(existsSync(join(src.tree, 'kernel', 'sched', 'core.c'))).toBe(true);
    expect(readFileSync(join(src.tree, 'PLUGSCHED-SRPM-TEST'), 'utf8')).toBe('applied by %prep\n');
    rmSync(join(work, 'rpmbuild', 'SOURCES', 'linux-source-6.1.tar.xz'));
  });

  it('unpacks kernel-devel, kernel-debuginfo and kernel-core RPMs into a devel tree that builds modules', async () => {
    const deb = await develTree();
    const payload = join(work, 'payload');
    // RPM distro layout: /usr/src/kernels/<release> (a full kbuild tree), /usr/lib/debug/lib/modules/<release>/vmlinux, /lib/modules/<release>/vmlinuz
    sh(`mkdir -p ${payload}/devel/usr/src/kernels ${payload}/debuginfo/usr/lib/debug/lib/modules/${RELEASE} ${payload}/core/lib/modules/${RELEASE} ${payload}/core/boot
        cp -a "${deb.root}/usr/src/linux-headers-6.1.0-56-common" ${payload}/devel/usr/src/kernels/${RELEASE}
        cp -a "${deb.buildDir}/." ${payload}/devel/usr/src/kernels/${RELEASE}/
        rm ${payload}/devel/usr/src/kernels/${RELEASE}/scripts ${payload}/devel/usr/src/kernels/${RELEASE}/tools
        cp -a "${deb.root}/usr/lib/linux-kbuild-6.1/scripts" "${deb.root}/usr/lib/linux-kbuild-6.1/tools" ${payload}/devel/usr/src/kernels/${RELEASE}/
        rm ${payload}/devel/usr/src/kernels/${RELEASE}/Makefile && cp "${deb.root}/usr/src/linux-headers-6.1.0-56-common/Makefile" ${payload}/devel/usr/src/kernels/${RELEASE}/Makefile
        ln -s /usr/src/kernels/${RELEASE} ${payload}/core/lib/modules/${RELEASE}/build
        cp "${deb.vmlinux}" ${payload}/debuginfo/usr/lib/debug/lib/modules/${RELEASE}/vmlinux
        cp "${deb.vmlinuz}" ${payload}/core/lib/modules/${RELEASE}/vmlinuz
        cp "${deb.config}" ${payload}/core/boot/config-${RELEASE}`);
    for (const [name, dir] of [['kernel-devel', 'devel'], ['kernel-debuginfo', 'debuginfo'], ['kernel-core', 'core']]) {
      writeFileSync(join(work, `${name}.spec`), [
        `Name: ${name}`, 'Version: 6.1.192', 'Release: 1', `Summary: ${name} (test RPM made from Debian's packages)`, 'License: GPL-2.0-only', 'AutoReqProv: no',
        '%description', 'Test RPM.', '%install', `cp -a ${payload}/${dir}/. %{buildroot}/`, '%files', '/*', '',
      ].join('\n'));
      rpmbuild(`-bb --target x86_64 ${name}.spec`);
      cpSync(join(work, 'rpmbuild', 'RPMS', 'x86_64', `${name}-6.1.192-1.x86_64.rpm`), join(work, 'kernels', 'rpm-6.1', `${name}.rpm`));
    }
    rmSync(payload, { recursive: true, force: true });
    const cfg = loadKernelConfig(await kernelYaml([
      { role: 'source', file: 'kernel-6.1.192-1.src.rpm' },
      { role: 'headers', file: 'kernel-devel.rpm' },
      { role: 'debug', file: 'kernel-debuginfo.rpm' },
      { role: 'image', file: 'kernel-core.rpm' },
    ]), work);
    const devel = await inOwnStore(() => ensureDevel(cfg, quiet));
    expect(devel.manifest.buildDir).toBe(`usr/src/kernels/${RELEASE}`);
    expect(devel.manifest.vmlinux).toBe(`usr/lib/debug/lib/modules/${RELEASE}/vmlinux`);
    expect(devel.manifest.vmlinuz).toBe(`lib/modules/${RELEASE}/vmlinuz`);
    // no real System.map shipped: one is made from the debug vmlinux
    expect(devel.manifest.systemMap).toBe('System.map');
    expect(readFileSync(devel.systemMap, 'utf8')).toMatch(/ t __schedule\n/);
    const mod = mkdtempSync(join(tmpdir(), 'rpm-hello-'));
    try {
      writeFileSync(join(mod, 'hello.c'), '#include <linux/module.h>\nstatic int __init h_init(void) { return 0; }\nmodule_init(h_init);\nMODULE_LICENSE("GPL");\n');
      writeFileSync(join(mod, 'Kbuild'), 'obj-m := hello.o\n');
      const make = spawnSync('make', ['-C', devel.buildDir, `M=${mod}`, 'ARCH=x86', `KERNELRELEASE=${RELEASE}`, 'CC=gcc-12', 'modules'], { encoding: 'utf8' });
      expect(make.status, `${make.stdout}\n${make.stderr}`).toBe(0);
      expect(spawnSync('modinfo', ['-F', 'vermagic', join(mod, 'hello.ko')], { encoding: 'utf8' }).stdout).toMatch(new RegExp(`^${RELEASE} `));
    } finally {
      rmSync(mod, { recursive: true, force: true });
    }
  });
});
