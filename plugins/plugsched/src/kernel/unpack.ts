import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { PlugschedError } from '../util/errors';
import { defaultLogger, startProgress, type Logger } from '../util/progress';
import { requireTool, run } from '../util/run';

/**
 * Stream `file` (read here, so progress is exact) into a shell pipeline that
 * reads stdin. `$1`, `$2`... in the script are `args`.
 */
function streamInto(file: string, script: string, args: string[], label: string, log: Logger): Promise<void> {
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
      if (code === 0) {
        progress.finish();
        resolvePromise();
      } else {
        progress.finish('failed');
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
 * The source tarball inside a linux-source .deb, unpacked straight into
 * `dest` without writing the tarball to disk; its top directory is stripped.
 */
export function unpackDebSourceTarball(deb: string, member: string, dest: string, log: Logger = defaultLogger): Promise<void> {
  requireTool('dpkg-deb', 'dpkg', 'unpack Debian packages');
  requireTool('xz', 'xz-utils', 'unpack the kernel source tarball');
  mkdirSync(dest, { recursive: true });
  const script = 'cat | dpkg-deb --fsys-tarfile /dev/stdin | tar -xO -f - "$2" | tar -x --no-same-owner -a -J --strip-components=1 -C "$1"';
  return streamInto(deb, script, [dest, member], `unpack ${member.split('/').pop()} from ${deb.split('/').pop()}`, log);
}

/** Unpack a kernel tarball (.tar.xz/.gz/.zst/...), stripping its top directory. */
export function unpackTarball(file: string, dest: string, log: Logger = defaultLogger): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const comp = file.endsWith('.xz') ? '-J' : file.endsWith('.gz') || file.endsWith('.tgz') ? '-z' : file.endsWith('.zst') ? '--zstd' : file.endsWith('.bz2') ? '-j' : '';
  const script = `tar -x --no-same-owner ${comp} --strip-components=1 -C "$1" -f -`;
  return streamInto(file, script, [dest], `unpack ${file.split('/').pop()}`, log);
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
