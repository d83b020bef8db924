import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { defaultLogger, startProgress, type Logger } from '../util/progress';
import { requireTool, run } from '../util/run';

/**
 * Stream `file` (read here, so progress is exact) into a shell pipeline that
 * reads stdin. `$1`, `$2`... in the script are `args`.
 */
function streamInto(file: string, script: string, args: string[], label: string, log: Logger, failWord = 'failed'): Promise<void> {
  const total = statSync(file).size;
  const progress = startProgress(label, total, log);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script, 'unpack', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let done = 0;
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    input.on('data', (c) => {
      done += c.length;
      progress.update(done);
    });
    input.on('error', reject);
    child.stdin.on('error', () => undefined); // the child's exit status tells what went wrong
    input.pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => {
      input.destroy(); // a pipeline may stop reading early (unpackDebFirst)
      if (code === 0) {
        progress.finish();
        resolvePromise();
      } else {
        progress.finish(failWord);
        reject(new PlugschedError(`Unpacking ${file.split('/').pop()} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}. The file may be damaged (delete it and fetch again) or the disk may be full (df -h).`));
      }
    });
  });
}

/**
 * Unpack members of a .deb (tar patterns such as './boot/*'; none = all) into
 * `dest`. `dpkg-deb --fsys-tarfile` reads the data archive whatever its
 * compression.
 */
export function unpackDeb(deb: string, dest: string, members: string[] = [], log: Logger = defaultLogger): Promise<void> {
  requireTool('dpkg-deb', 'dpkg', 'unpack Debian packages');
  mkdirSync(dest, { recursive: true });
  const script = 'cat | dpkg-deb --fsys-tarfile /dev/stdin | tar -x --no-same-owner -C "$1" --wildcards "${@:2}"';
  return streamInto(deb, script, [dest, ...members], `unpack ${deb.split('/').pop()}`, log);
}

/**
 * Which members of a kernel tarball the source entry holds (tar patterns; `*` first is the tarball's
 * top directory): every top-level file and directory except the bodies of drivers/, sound/,
 * samples/ and Documentation/, whose Kconfig files stay so that kbuild configures the tree.
 * Nothing here reads those bodies (collect compiles kernel/sched with the kernel's kbuild, extract
 * copies kernel/sched), and they are 1 GB of the 1.3 GB a 6.1 tree unpacks to. Every pattern
 * matches in any Linux tree (tar fails on one that matches nothing): no other top-level name
 * starts with d, D, sa or so.
 */
export const TREE_MEMBERS = [
  '--wildcards',
  '--no-wildcards-match-slash',
  '*/[!dsD]*',
  '*/s[!ao]*',
  '--wildcards-match-slash',
  '*/drivers/*Kconfig*',
  '*/sound/*Kconfig*',
  '*/samples/*Kconfig*',
  '*/Documentation/*Kconfig*',
];

/**
 * Unpack the named members (exact paths such as './usr/lib/debug/boot/vmlinux-6.1.0-1-amd64') of a
 * .deb and stop reading as soon as all of them are out: the debug package's vmlinux comes first in
 * its data archive, ahead of a gigabyte of module debug files nothing here reads. Resolves false,
 * with nothing left in `dest` of those members, when one of them is not in the package (another
 * layout), so the caller can fall back to unpackDeb with patterns.
 */
export async function unpackDebFirst(deb: string, dest: string, members: string[], log: Logger = defaultLogger): Promise<boolean> {
  requireTool('dpkg-deb', 'dpkg', 'unpack Debian packages');
  mkdirSync(dest, { recursive: true });
  // tar's status is the pipeline's: dpkg-deb is cut off by the broken pipe once tar has what it needs
  const script = 'set +o pipefail; cat | dpkg-deb --fsys-tarfile /dev/stdin 2> >(grep -v "Broken pipe" >&2) | tar -x --no-same-owner --occurrence=1 -C "$1" "${@:2}"';
  try {
    await streamInto(deb, script, [dest, ...members], `unpack ${members.map((m) => m.split('/').pop()).join(', ')} from ${deb.split('/').pop()}`, log, 'no early stop');
    return true;
  } catch (e) {
    for (const m of members) rmSync(join(dest, m), { force: true });
    // a member of another name, or a damaged package: the unpack by pattern tells which
    const why = e instanceof Error ? e.message.split('. ')[0] : String(e);
    log(`${deb.split('/').pop()}: ${why}; unpacking it by pattern instead`);
    return false;
  }
}

/**
 * The source tarball inside a linux-source .deb, unpacked straight into
 * `dest` without writing the tarball to disk; its top directory is stripped. xz decompresses
 * with a thread per core (Debian's tarball is made of independent blocks).
 */
export function unpackDebSourceTarball(deb: string, member: string, dest: string, log: Logger = defaultLogger): Promise<void> {
  requireTool('dpkg-deb', 'dpkg', 'unpack Debian packages');
  requireTool('xz', 'xz-utils', 'unpack the kernel source tarball');
  mkdirSync(dest, { recursive: true });
  const script = 'cat | dpkg-deb --fsys-tarfile /dev/stdin | tar -xO -f - "$2" | tar -x --no-same-owner -I "xz -T0" --strip-components=1 -C "$1" "${@:3}"';
  return streamInto(deb, script, [dest, member, ...TREE_MEMBERS], `unpack ${member.split('/').pop()} from ${deb.split('/').pop()}`, log);
}

/** Unpack a kernel tarball (.tar.xz/.gz/.zst/...), stripping its top directory. */
export function unpackTarball(file: string, dest: string, log: Logger = defaultLogger): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const comp = file.endsWith('.xz') ? '-J' : file.endsWith('.gz') || file.endsWith('.tgz') ? '-z' : file.endsWith('.zst') ? '--zstd' : file.endsWith('.bz2') ? '-j' : '';
  const script = `tar -x --no-same-owner ${comp} --strip-components=1 -C "$1" -f - "\${@:2}"`;
  return streamInto(file, script, [dest, ...TREE_MEMBERS], `unpack ${file.split('/').pop()}`, log);
}

/** Unpack the payload of an RPM (binary or source) into `dest`. */
export function unpackRpm(rpm: string, dest: string, log: Logger = defaultLogger): Promise<void> {
  requireTool('rpm2cpio', 'rpm2cpio', 'unpack RPM packages');
  requireTool('cpio', 'cpio', 'unpack RPM packages');
  mkdirSync(dest, { recursive: true });
  const script = 'cd "$1" && rpm2cpio - | cpio -idm --quiet --no-absolute-filenames';
  return streamInto(rpm, script, [dest], `unpack ${rpm.split('/').pop()}`, log);
}

/**
 * Run an SRPM's %prep with rpmbuild -rp --nodeps (-bp takes a spec file; -rp
 * the source package itself) in a private topdir, so the distro's own patches
 * are applied exactly as its build would.
 */
export async function prepSrpm(srpm: string, topdir: string, log: Logger = defaultLogger): Promise<void> {
  requireTool('rpmbuild', 'rpm', 'prepare the kernel source from an SRPM');
  const dirs: Record<string, string> = { _topdir: '', _sourcedir: '/SOURCES', _specdir: '/SPECS', _builddir: '/BUILD', _srcrpmdir: '/SRPMS', _rpmdir: '/RPMS' };
  const defs = Object.entries(dirs).flatMap(([macro, sub]) => ['--define', `${macro} ${topdir}${sub}`]);
  mkdirSync(topdir, { recursive: true });
  log(`source: rpmbuild -rp --nodeps ${srpm.split('/').pop()}`);
  const r = await run('rpmbuild', ['-rp', '--nodeps', ...defs, srpm], { cwd: topdir });
  if (r.code !== 0)
    throw new PlugschedError(`rpmbuild -rp of ${srpm.split('/').pop()} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-4).join(' ')}. The SRPM's %prep must run on this machine; check the spec's BuildRequires for tools %prep needs.`);
}
