/**
 * The guest's userland, built or fetched once into the store: static guest
 * programs (one C file each, such as tools/vm/spinners.c), compiled for the
 * guest's architecture, and busybox-static for a guest of another architecture.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { isHostArch, type KernelArch } from '../util/host-arch';
import { requireTool, run } from '../util/run';
import { materialize } from '../kernel/store';
import { codeHash } from '../util/code-closure';
import { compilerVersion, guestCompiler } from '../toolchain/toolchain';

export type GuestArch = KernelArch;

/** The built-in scenarios' own programs: tools/vm/<name>.c, in the guest as /bin/<name>. */
export const SCENARIO_PROGRAMS = ['fentry', 'forkstorm', 'latprobe', 'policies', 'schedtool', 'spinners', 'uffd-park'] as const;

/** What makes the guest programs and busybox entries: this file. */
function helpersCode(): string {
  return codeHash({ files: ['vm/helpers.ts'] });
}

/** The static guest program built from the C file `src` (absolute) for `arch`. */
export async function guestProgram(src: string, arch: GuestArch = 'x86'): Promise<string> {
  const name = basename(src, '.c');
  const cc = guestCompiler(arch);
  if (!isHostArch(arch)) requireTool(cc, 'gcc-12-aarch64-linux-gnu libc6-dev-arm64-cross', `build the ${arch} guest helper ${name}`);
  const inputs = { name, source: await sha256File(src), arch, cc: await compilerVersion(cc) };
  const entry = await materialize({ kind: 'vmtool', recipe: helpersCode(), inputs }, async (dir) => {
    const r = await run(cc, ['-static', '-O2', '-pthread', '-o', join(dir, name), src]);
    if (r.code !== 0) throw new PlugschedError(`Building the guest helper ${name} for ${arch} failed: ${r.stderr.trim()}`);
  });
  return join(entry, name);
}

/**
 * busybox for the guest: this machine's own /bin/busybox (busybox-static) for a native guest,
 * else Debian's busybox-static of the guest's architecture, fetched through apt (which checks it
 * against the archive's signed index) and kept in the store.
 */
export async function guestBusybox(arch: GuestArch): Promise<string> {
  if (isHostArch(arch)) {
    requireTool('busybox', 'busybox-static', 'give the test VM a userland');
    return '/bin/busybox';
  }
  const debArch = arch === 'arm64' ? 'arm64' : 'amd64';
  requireTool('apt-get', 'apt', `fetch busybox-static for the ${debArch} guest`);
  const entry = await materialize({ kind: 'busybox', recipe: helpersCode(), inputs: { arch } }, async (dir) => {
    const dl = await run('apt-get', ['-q', '-o', 'APT::Sandbox::User=root', 'download', `busybox-static:${debArch}`], { cwd: dir });
    const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (dl.code !== 0 || deb === undefined)
      throw new PlugschedError(`"apt-get download busybox-static:${debArch}" failed (${`${dl.stderr}`.trim().split('\n').slice(-2).join(' ')}). apt must know the ${debArch} architecture: run "dpkg --add-architecture ${debArch} && apt-get update" (tools/setup does), then run again.`);
    const x = await run('dpkg-deb', ['-x', join(dir, deb), join(dir, 'root')]);
    if (x.code !== 0) throw new PlugschedError(`Unpacking ${deb} failed: ${x.stderr.trim()}`);
  });
  return join(entry, 'root', 'bin', 'busybox');
}
