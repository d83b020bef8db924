/**
 * host-test's Debian guest: a bookworm root filesystem made with Debian's own
 * mmdebstrap (minbase, systemd as init), the kernel under test installed into it
 * with dpkg (initramfs-tools makes its initramfs, as on a real host), kept in the
 * store as an ext4 image with the kernel and initramfs beside it. The packages
 * come through the machine's own apt sources; the entry records every package
 * and version in packages.txt. Made once per kernel image package and recipe.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { materialize } from '../kernel/store';
import type { KernelConfig } from '../config/kernel-config';
import { ensurePackages } from '../kernel/packages';
import { hostCodename } from '../kernel/apt-suite';
import { codeHash } from '../util/code-closure';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { requireTool, run } from '../util/run';
import { toolPath } from '../util/tools';
import type { Logger } from '../util/progress';
import { SOURCE_DATE_EPOCH } from '../package/payload';

/**
 * What the guest needs beyond minbase: systemd as init, udev, module tools, the kernel's
 * dependencies, and rpm, which runs the RPM's scriptlets on the booted system too.
 */
export const ROOTFS_PACKAGES = ['initramfs-tools', 'kmod', 'linux-base', 'rpm', 'systemd-sysv', 'udev', 'zstd'] as const;

/** A fixed identity for the image, so that the same tree gives the same bytes. */
const FS_UUID = '8f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b';

export interface DebianRootfs {
  /** ext4 image of the whole root filesystem (boot it read-write with QEMU's snapshot=on). */
  image: string;
  vmlinuz: string;
  initrd: string;
  /** "package version arch" lines, sorted: what the image holds. */
  packages: string;
}

/** A word for sh, single-quoted. */
function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The mmdebstrap command line (pure). No mirror is given: mmdebstrap then uses the machine's own
 * apt sources. The customize hook runs `sh SCRIPT <tree> ARGS...` (mmdebstrap passes the tree as $1).
 */
export function mmdebstrapArgs(suite: string, target: string, script: string, args: string[], root = process.getuid?.() === 0): string[] {
  return [
    '--variant=minbase',
    `--mode=${root ? 'root' : 'unshare'}`,
    `--include=${ROOTFS_PACKAGES.join(',')}`,
    `--customize-hook=sh ${shQuote(script)} "$1" ${args.map(shQuote).join(' ')}`,
    suite,
    target,
  ];
}

/** The root filesystem for kernel `cfg`'s image package, made when missing. */
export async function ensureDebianRootfs(workspaceRoot: string, cfg: KernelConfig, log: Logger): Promise<DebianRootfs> {
  const machine = hostCodename();
  const suite = cfg.suite ?? machine;
  if (cfg.distro !== 'debian' || suite !== machine)
    throw new PlugschedError(`${cfg.file}: host-test boots a Debian ${machine} guest made from this machine's apt sources, and field "suite" is ${JSON.stringify(cfg.suite)}. Run host-test for a kernel of ${machine}; other suites need a root filesystem of their own (not done yet).`);
  if (cfg.arch !== 'amd64')
    throw new PlugschedError(`${cfg.file}: host-test's Debian guest is made for amd64 only, and field "arch" is ${JSON.stringify(cfg.arch)}: a foreign root filesystem needs qemu-user to run its packages' scripts (not done yet). vm-test covers this kernel.`);
  requireTool('mmdebstrap', 'mmdebstrap', "make host-test's Debian root filesystem");
  requireTool('mke2fs', 'e2fsprogs', "make host-test's root filesystem image");
  const [image] = await ensurePackages(cfg, ['image'], log);
  const customize = toolPath(workspaceRoot, 'vm', 'host', 'customize.sh');
  const driver = toolPath(workspaceRoot, 'vm', 'host', 'plugsched-host-test.service');
  const inputs = { suite, arch: cfg.arch, packages: ROOTFS_PACKAGES, image: image.sha256, customize: await sha256File(customize), driver: await sha256File(driver) };
  const release = cfg.release;
  const entry = await materialize({ kind: 'rootfs', recipe: codeHash({ files: ['vm/rootfs.ts'] }), inputs }, async (dir) => {
    // mmdebstrap makes the tree; only the image and the files beside it stay in the entry
    const tree = join(dir, 'tree');
    try {
      log(`host-test: making a Debian ${suite} root filesystem with mmdebstrap (${ROOTFS_PACKAGES.join(', ')} and ${image.name}); once per kernel image`);
      const env = { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH), LC_ALL: 'C' };
      const m = await run('mmdebstrap', mmdebstrapArgs(suite, tree, customize, [image.path, driver]), { env });
      if (m.code !== 0) throw new PlugschedError(`mmdebstrap could not make the ${suite} root filesystem:\n${`${m.stdout}\n${m.stderr}`.trim().split('\n').slice(-12).join('\n')}\nCheck that apt-get update works on this machine (mmdebstrap reads its sources).`);
      for (const [from, to] of [[`boot/vmlinuz-${release}`, 'vmlinuz'], [`boot/initrd.img-${release}`, 'initrd.img']]) {
        if (!existsSync(join(tree, from))) throw new PlugschedError(`The root filesystem has no /${from} after installing ${image.fileName}: is field "release" (${release}) of ${cfg.file} the image package's?`);
        copyFileSync(join(tree, from), join(dir, to));
      }
      const q = await run('chroot', [tree, 'dpkg-query', '-W', '-f', '${Package} ${Version} ${Architecture}\\n']);
      if (q.code !== 0) throw new PlugschedError(`dpkg-query in the new root filesystem failed: ${q.stderr.trim()}`);
      writeFileSync(join(dir, 'packages.txt'), `${q.stdout.trim().split('\n').sort().join('\n')}\n`);
      const fsEnv = { ...env, E2FSPROGS_FAKE_TIME: String(SOURCE_DATE_EPOCH) };
      const f = await run('mke2fs', ['-q', '-t', 'ext4', '-L', 'plugsched-root', '-U', FS_UUID, '-E', `hash_seed=${FS_UUID},root_owner=0:0`, '-d', tree, join(dir, 'root.img'), '2G'], { env: fsEnv });
      if (f.code !== 0) throw new PlugschedError(`mke2fs could not make the root filesystem image: ${f.stderr.trim()}`);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }, log);
  return { image: join(entry, 'root.img'), vmlinuz: join(entry, 'vmlinuz'), initrd: join(entry, 'initrd.img'), packages: readFileSync(join(entry, 'packages.txt'), 'utf8') };
}
