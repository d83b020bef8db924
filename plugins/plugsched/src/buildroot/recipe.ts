/**
 * What a build root holds and how it is made and entered, as pure functions:
 * the package list for a kernel's compiler, the pins read from apt's metadata,
 * the mmdebstrap command line, and the command line that runs a program inside
 * the root with the store and the workspace at their own paths. buildroot.ts
 * does the side effects.
 */
import { PlugschedError } from '../util/errors';
import { dirname } from 'node:path';

/**
 * What kbuild and the collector need besides the compiler (the kernel's kbuild package is added by
 * name): gcc is the suite's default compiler, kbuild's HOSTCC for fixdep and the other host programs;
 * python3 runs the scripts modules_prepare runs (libbpf's helper list for resolve_btfids).
 */
export const BUILD_ROOT_TOOLS = ['bc', 'bison', 'ccache', 'flex', 'gcc', 'libelf-dev', 'libssl-dev', 'make', 'python3'] as const;

/** One package of the root, pinned: the version and the sha256 of the .deb apt's metadata names. */
export interface PinnedPackage {
  name: string;
  version: string;
  sha256: string;
}

/**
 * The GCC major version the kernel names in CONFIG_CC_VERSION_TEXT ("gcc-10 (Debian 10.2.1-6) 10.2.1 20210110",
 * "gcc (Debian 10.2.1-6) 10.2.1 20210110"), or an error naming the text. `what` names the file asking.
 */
export function gccMajor(kernelCompiler: string | null, what: string): number {
  if (kernelCompiler === null)
    throw new PlugschedError(`${what}: the kernel's .config has no CONFIG_CC_VERSION_TEXT, so the compiler of its build root cannot be chosen. Use the config of the kernel's own headers package (kernel.yaml role "headers").`);
  const named = /^(?:[a-z0-9_]+-linux-gnu-)?gcc-(\d+)\s/.exec(kernelCompiler);
  const plain = /^(?:[a-z0-9_]+-linux-gnu-)?gcc\s.*\)\s(\d+)\.\d+/.exec(kernelCompiler);
  const major = named?.[1] ?? plain?.[1];
  if (major === undefined)
    throw new PlugschedError(`${what}: the kernel was built by "${kernelCompiler}" (CONFIG_CC_VERSION_TEXT), which is not a GCC release plugsched-nx can install into a build root (it needs "gcc-N ..." or "gcc (...) N.x"); clang-built kernels are not supported.`);
  return Number(major);
}

/**
 * The packages a build root for a kernel built by gcc-`major` installs, sorted: NAME for the suite's
 * candidate, NAME=VERSION for the kernel's own linux-kbuild package at kernel.yaml's version.
 */
export function buildRootPackages(major: number, kbuild: { name: string; version: string }): string[] {
  return [...new Set([`gcc-${major}`, `g++-${major}`, `gcc-${major}-plugin-dev`, ...BUILD_ROOT_TOOLS, `${kbuild.name}=${kbuild.version}`])].sort();
}

/**
 * The candidate of each package in `apt-cache show --no-all-versions` output (stanzas separated by blank
 * lines): name, version and SHA256. A package `wanted` names but the output lacks is an error naming it.
 */
export function parseAptShow(text: string, wanted: string[], suite: string): PinnedPackage[] {
  const found = new Map<string, PinnedPackage>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (f: string) => new RegExp(`^${f}: (.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    const sha256 = field('SHA256');
    if (!name || !version || !sha256) continue;
    // NAME=VERSION asks for that version; NAME for the first stanza (the candidate)
    const key = wanted.includes(`${name}=${version}`) ? `${name}=${version}` : name;
    if (!found.has(key)) found.set(key, { name, version, sha256 });
  }
  const missing = wanted.filter((w) => !found.has(w));
  if (missing.length > 0)
    throw new PlugschedError(`The Debian suite ${suite} has no package ${missing.join(', ')} for this kernel's build root: the compiler the kernel names is not in its suite (an unknown compiler version), or its kbuild package is gone from the archive. Check field "suite" of kernel.yaml and the kernel's CONFIG_CC_VERSION_TEXT.`);
  return wanted.map((w) => found.get(w) as PinnedPackage);
}

/** A word for sh, single-quoted. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,+@%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * mmdebstrap's command line for a build root: minbase, the pinned packages as NAME=VERSION, the
 * suite's private sources list as the mirror (mmdebstrap copies a mirror file into the root's
 * sources.list), apt's downloads checked against the archive's keyring as usual.
 */
export function mmdebstrapBuildRootArgs(suite: string, target: string, sourcesList: string, packages: PinnedPackage[], root = true, aptOptions: string[] = []): string[] {
  return ['--variant=minbase', `--mode=${root ? 'root' : 'unshare'}`, '--format=directory', ...aptOptions.map((o) => `--aptopt=${o}`), `--include=${packages.map((p) => `${p.name}=${p.version}`).join(',')}`, suite.replace(/-security$/, ''), target, sourcesList];
}

/** The settings of the machine's apt that say how old a Release file may be, which mmdebstrap's apt must share. */
export const APT_VALIDITY_OPTIONS = ['Acquire::Check-Valid-Until', 'Acquire::Check-Date'] as const;

/**
 * From `apt-config dump`'s text, the machine's own validity settings as apt options
 * (`Acquire::Check-Valid-Until "false";`): mmdebstrap's apt reads none of /etc/apt, so an archive the
 * machine reads with expired Release files (a snapshot; sid's Release is valid for a week) is read
 * the same way in the root. Nothing when the machine keeps apt's defaults. Pure.
 */
export function aptValidityOptions(dump: string): string[] {
  const out: string[] = [];
  for (const key of APT_VALIDITY_OPTIONS) {
    const m = new RegExp(`^${key.replace(/[.:-]/g, '\\$&')} "([^"]*)";$`, 'm').exec(dump);
    if (m !== null) out.push(`${key} "${m[1]}";`);
  }
  return out;
}

/** A directory reachable at another path inside the root (a symlink there): a path the kernel's own files name absolutely. */
export interface MappedBind {
  from: string;
  at: string;
}

/**
 * The paths a devel tree needs inside the root: sid's flavour headers Makefile (7.2) sets
 * KBUILD_OUTPUT=/usr/src/linux-headers-<release>, which kbuild resolves (realpath) for an external
 * module, so that path leads to the tree (`buildDir`, where the Makefile is). Nothing for a
 * Makefile without an absolute KBUILD_OUTPUT. Pure: the Makefile's text in.
 */
export function develMappedBinds(buildDir: string, makefile: string): MappedBind[] {
  const m = /^KBUILD_OUTPUT[ \t]*:?=[ \t]*(\/\S+)[ \t]*$/m.exec(makefile);
  return m === null || m[1] === buildDir ? [] : [{ from: buildDir, at: m[1] }];
}

/** The paths to bind into the root, sorted, without those inside another (a bind of the parent brings them). */
export function bindPaths(paths: string[]): string[] {
  const sorted = [...new Set(paths.map((p) => p.replace(/\/+$/, '') || '/'))].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(`${q}/`)));
}

/** The environment a program inside the root starts with: nothing of the host's but `env`. */
export function rootEnv(env: Record<string, string> = {}): string[] {
  const base: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/root', LC_ALL: 'C', ...env };
  return Object.keys(base).sort().map((k) => `${k}=${base[k]}`);
}

/**
 * The command that runs `cmd args` inside the root `dir`: a private mount namespace (the mounts go
 * away with the process, nothing is left mounted), /dev and /proc, each of `binds` at its own path
 * (so every path a build names is the same inside and out), then chroot with a clean environment.
 */
export function inRootCommand(dir: string, binds: string[], cmd: string, args: string[], env: Record<string, string> = {}, mapped: MappedBind[] = []): string[] {
  const script = [
    'set -e',
    `r=${shQuote(dir)}`,
    'mount --rbind /dev "$r/dev"',
    'mount -t proc proc "$r/proc"',
    ...bindPaths(binds).map((p) => `mkdir -p "$r"${shQuote(p)} && mount --bind ${shQuote(p)} "$r"${shQuote(p)}`),
    ...mapped.flatMap((m) => {
      // a symlink, not a bind: kbuild resolves the path (realpath) and must find the tree where make
      // runs (-C), or it writes the module's objects into the tree. It lives on a tmpfs over its
      // directory, holding copies of what the root has there, so the root itself is not changed.
      const dir = shQuote(dirname(m.at));
      return [
        `t=$(mktemp -d) && mkdir -p "$r"${dir} && cp -a "$r"${dir}/. "$t"/`,
        `mount -t tmpfs tmpfs "$r"${dir} && cp -a "$t"/. "$r"${dir}/ && rm -rf "$t"`,
        `ln -sfn ${shQuote(m.from)} "$r"${shQuote(m.at)}`,
      ];
    }),
    `exec chroot "$r" /usr/bin/env -i ${rootEnv(env).map(shQuote).join(' ')} ${[cmd, ...args].map(shQuote).join(' ')}`,
  ].join('\n');
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script];
}
