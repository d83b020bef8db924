import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelConfig, PackageRole } from '../config/kernel-config';
import { PlugschedError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/progress';
import { requireTool, run } from '../util/run';
import { ensurePackages, type FetchedPackage } from './packages';
import { entryKey, materialize, type EntryRecipe } from './store';
import { codeHash } from '../util/code-closure';
import type { KernelArch } from '../util/host-arch';
import { compilerFromConfig } from '../toolchain/toolchain';
import { isRealSystemMap, relativeFrom, relocateMakefile } from './tree-facts';
import { unpackDeb, unpackDebFirst, unpackRpm } from './unpack';

const DEVEL_ROLES: PackageRole[] = ['headers', 'kbuild', 'image', 'debug'];

/** What a devel entry holds; every path is relative to the entry's root/ folder. */
export interface DevelManifest {
  kernel: string;
  release: string;
  store: string;
  /** Where `make -C <buildDir> M=<dir> modules` builds an out-of-tree module. */
  buildDir: string;
  vmlinux: string;
  systemMap: string;
  vmlinuz: string;
  config: string;
  /** The kernel's CONFIG_CC_VERSION_TEXT: the compiler its modules are built with (toolchain/toolchain.ts). */
  compiler: string | null;
  arch: KernelArch;
  packages: { name: string; version: string; sha256: string }[];
}

export interface DevelTree {
  manifest: DevelManifest;
  /** Absolute paths (this process only; never written to artifacts). */
  root: string;
  buildDir: string;
  kernelRelease: string;
  vmlinux: string;
  systemMap: string;
  vmlinuz: string;
  config: string;
  arch: 'x86' | 'arm64';
}

/** Only what modules and the boundary need from each package (the debug package is 1.7 GB unpacked). */
function debMembers(role: PackageRole, name: string): string[] {
  // sid's split image package (linux-binary-<release>) keeps the vmlinuz beside the modules
  if (role === 'image') return name.startsWith('linux-binary-') ? ['./usr/lib/modules/*/vmlinuz'] : ['./boot/*'];
  if (role === 'debug') return ['./usr/lib/debug/boot/*', './usr/lib/debug/vmlinux-*', './usr/lib/debug/lib/modules/*/vmlinux'];
  return [];
}

/** Rewrite absolute includes and symlinks that point into the unpacked root, so the tree works where it is. */
function relocate(root: string): void {
  const walk = (rel: string, depth: number) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = join(root, r);
      if (e.isSymbolicLink()) {
        const target = readlinkSync(abs);
        if (target.startsWith('/')) {
          unlinkSync(abs);
          symlinkSync(relativeFrom(rel, target), abs);
        }
      } else if (e.isDirectory() && depth < 4) {
        walk(r, depth + 1);
      } else if (e.isFile() && e.name === 'Makefile' && depth >= 2 && lstatSync(abs).size < 4096) {
        const fixed = relocateMakefile(readFileSync(abs, 'utf8'), rel);
        if (fixed !== null) writeFileSync(abs, fixed);
      }
    }
  };
  walk('', 0);
}

function firstExisting(root: string, candidates: string[]): string | null {
  return candidates.find((c) => existsSync(join(root, c))) ?? null;
}

/** Locate the pieces in an unpacked devel root (Debian or RPM layout). */
export function locateDevel(root: string, release: string): Omit<DevelManifest, 'kernel' | 'store' | 'packages' | 'release' | 'compiler' | 'arch'> & { missing: string[] } {
  const buildDir = firstExisting(root, [`usr/src/linux-headers-${release}`, `usr/src/kernels/${release}`]);
  const vmlinux = firstExisting(root, [`usr/lib/debug/boot/vmlinux-${release}`, `usr/lib/debug/lib/modules/${release}/vmlinux`]);
  const vmlinuz = firstExisting(root, [`boot/vmlinuz-${release}`, `lib/modules/${release}/vmlinuz`, `usr/lib/modules/${release}/vmlinuz`, `boot/Image-${release}`]);
  const config = firstExisting(root, [`boot/config-${release}`, ...(buildDir ? [`${buildDir}/.config`] : [])]);
  const maps = [`usr/lib/debug/boot/System.map-${release}`, ...(buildDir ? [`${buildDir}/System.map`] : []), `boot/System.map-${release}`, 'System.map'];
  const systemMap = maps.find((m) => existsSync(join(root, m)) && isRealSystemMap(readFileSync(join(root, m), 'utf8'))) ?? null;
  const missing: string[] = [];
  if (buildDir === null) missing.push('the headers/devel tree (role "headers": Module.symvers and the kbuild Makefile)');
  if (vmlinux === null) missing.push('the debug vmlinux (role "debug")');
  if (vmlinuz === null) missing.push('the boot image vmlinuz (role "image")');
  if (config === null) missing.push('the kernel .config (role "image" or "headers")');
  return { buildDir: buildDir ?? '', vmlinux: vmlinux ?? '', vmlinuz: vmlinuz ?? '', config: config ?? '', systemMap: systemMap ?? '', missing };
}

async function buildDevel(cfg: KernelConfig, pkgs: FetchedPackage[], entry: string, log: Logger): Promise<void> {
  const root = join(entry, 'root');
  for (const p of pkgs) {
    if (p.fileName.endsWith('.deb')) {
      // Debian's debug package: its System.map and vmlinux lead the archive; stop reading there
      const first = p.role === 'debug' ? [`./usr/lib/debug/boot/System.map-${cfg.release}`, `./usr/lib/debug/boot/vmlinux-${cfg.release}`] : [];
      if (first.length === 0 || !(await unpackDebFirst(p.path, root, first, log))) await unpackDeb(p.path, root, debMembers(p.role, p.name), log);
    }
    else await unpackRpm(p.path, root, log);
  }
  relocate(root);
  const found = locateDevel(root, cfg.release);
  if (found.missing.length > 0)
    throw new PlugschedError(`${cfg.file}: the packages of ${cfg.id} do not contain ${found.missing.join('; ')} for release ${cfg.release}. Check the "release" field (it must equal the kernel's uname -r) and that every role is listed.`);
  if (found.systemMap === '') {
    // No real System.map shipped: make one from the debug vmlinux, as the kernel's own build does.
    requireTool('nm', 'binutils', 'write System.map from the debug vmlinux');
    const r = await run('sh', ['-c', 'nm -n "$1" | grep -v "\\( [aNUw] \\)\\|\\(__crc_\\)\\|\\( \\$[adt]\\)\\|\\( \\.L\\)" > "$2"', 'sh', join(root, found.vmlinux), join(root, 'System.map')]);
    if (r.code !== 0) throw new PlugschedError(`Writing System.map from ${found.vmlinux} failed: ${r.stderr.trim()}. Check that binutils is installed.`);
  }
}

/** The code that makes a devel entry: this file and the unpacking and relocation it runs. */
function develCode(): string {
  return codeHash({ files: ['kernel/devel.ts'], closures: ['kernel/unpack.ts', 'kernel/tree-facts.ts'] });
}

export function develRecipe(cfg: KernelConfig, pkgs: { sha256: string; name: string }[]): EntryRecipe {
  return { kind: 'devel', recipe: develCode(), inputs: { release: cfg.release, packages: pkgs.map((p) => `${p.name}@${p.sha256}`).sort() } };
}

/** The kernel's devel tree, debug vmlinux and boot image, unpacked into the store when missing. */
export async function ensureDevel(cfg: KernelConfig, log: Logger = defaultLogger): Promise<DevelTree> {
  for (const [role, what] of [['headers', 'the headers (Debian) or kernel-devel (RPM) package: modules are built against it'], ['debug', 'the package with the debug vmlinux (Debian: linux-image-<release>-dbg; RPM: kernel-debuginfo): the boundary is read from it'], ['image', 'the kernel image package (vmlinuz and config): the VM test boots it']] as const)
    if (!cfg.packages.some((p) => p.role === role)) throw new PlugschedError(`${cfg.file}: field "packages" has no package with role "${role}". List ${what}.`);
  // The entry is named by the pinned sha256s; the package files are fetched and verified only to
  // make a missing entry (the fetch target verifies them on every run). Reading them for an entry
  // already made cost every step that needs the tree a sha256 of ~320 MB.
  const pkgs = cfg.packages.filter((p) => DEVEL_ROLES.includes(p.role));
  const recipe = develRecipe(cfg, pkgs);
  const entry = await materialize(recipe, async (dir) => buildDevel(cfg, await ensurePackages(cfg, DEVEL_ROLES, log), dir, log), log);
  const root = join(entry, 'root');
  const found = locateDevel(root, cfg.release);
  const systemMap = found.systemMap || 'System.map';
  const manifest: DevelManifest = {
    kernel: cfg.id,
    release: cfg.release,
    store: entryKey(recipe),
    buildDir: found.buildDir,
    vmlinux: found.vmlinux,
    systemMap,
    vmlinuz: found.vmlinuz,
    config: found.config,
    compiler: compilerFromConfig(readFileSync(join(root, found.config), 'utf8')),
    arch: cfg.kernelArch,
    packages: pkgs.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256 })).sort((a, b) => a.name.localeCompare(b.name)),
  };
  const abs = (p: string) => join(root, p);
  return {
    manifest,
    root,
    buildDir: abs(found.buildDir),
    kernelRelease: cfg.release,
    vmlinux: abs(found.vmlinux),
    systemMap: abs(systemMap),
    vmlinuz: abs(found.vmlinuz),
    config: abs(found.config),
    arch: cfg.kernelArch,
  };
}
