import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelConfig } from '../config/kernel-config';
import { PlugschedError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/progress';
import { ensurePackages, type FetchedPackage } from './packages';
import { entryKey, materialize, type EntryRecipe } from './store';
import { codeHash } from '../util/code-closure';
import { makefileVersion } from './tree-facts';
import { prepSrpm, unpackDebSourceTarball, unpackTarball } from './unpack';

export interface SourceManifest {
  kernel: string;
  /** Store entry name, or null for a "source: dir" kernel (used in place). */
  store: string | null;
  /** The tree, relative to the store entry (or "." for a dir kernel). */
  tree: string;
  /** VERSION.PATCHLEVEL.SUBLEVEL of the tree's Makefile. */
  kernelVersion: string;
  packages: { name: string; version: string; sha256: string }[];
}

export interface SourceTree {
  manifest: SourceManifest;
  /** Absolute path of the unpacked, pristine tree. Treat it as read-only. */
  tree: string;
}

function isKernelTree(dir: string): boolean {
  return existsSync(join(dir, 'Makefile')) && existsSync(join(dir, 'kernel', 'sched', 'core.c'));
}

/** Find the kernel tree rpmbuild's %prep left under BUILD (at most three levels down). */
export function findTree(dir: string, depth = 3): string | null {
  if (isKernelTree(dir)) return dir;
  if (depth === 0) return null;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory()) continue;
    const hit = findTree(join(dir, e.name), depth - 1);
    if (hit !== null) return hit;
  }
  return null;
}

async function unpackSource(cfg: KernelConfig, pkg: FetchedPackage, entry: string, log: Logger): Promise<void> {
  const tree = join(entry, 'tree');
  if (cfg.source === 'deb') {
    await unpackDebSourceTarball(pkg.path, `./usr/src/${pkg.name}.tar.xz`, tree, log);
  } else if (cfg.source === 'tarball') {
    await unpackTarball(pkg.path, tree, log);
  } else if (cfg.source === 'srpm') {
    const top = join(entry, 'rpmbuild');
    await prepSrpm(pkg.path, top, log);
    const found = findTree(join(top, 'BUILD'));
    if (found === null) throw new PlugschedError(`${cfg.file}: the SRPM ${pkg.fileName} (packages[role=source]) prepared no kernel tree (no directory with Makefile and kernel/sched/core.c under BUILD/). Check that it is a kernel source RPM.`);
    renameSync(found, tree);
    rmSync(top, { recursive: true, force: true });
  }
  if (!isKernelTree(tree)) throw new PlugschedError(`${cfg.file}: the source package ${pkg.fileName} holds no kernel tree (Makefile and kernel/sched/core.c not found). Check the "source" kind and the package with role "source".`);
}

/** The code that makes a source entry: this file and the unpacking it runs. */
function sourceCode(): string {
  return codeHash({ files: ['kernel/source.ts'], closures: ['kernel/unpack.ts'] });
}

export function sourceRecipe(cfg: KernelConfig, pkg: { sha256: string; name: string }): EntryRecipe {
  return { kind: 'source', recipe: sourceCode(), inputs: { source: cfg.source, package: pkg.name, sha256: pkg.sha256 } };
}

/** The kernel's pristine source tree, unpacked into the store when missing. */
export async function ensureSource(cfg: KernelConfig, log: Logger = defaultLogger): Promise<SourceTree> {
  if (cfg.source === 'dir') {
    const tree = cfg.sourceDir as string;
    if (!existsSync(tree) || !statSync(tree).isDirectory() || !isKernelTree(tree))
      throw new PlugschedError(`${cfg.file}: field "packages[role=source].path" names ${tree}, which is not a kernel tree (Makefile and kernel/sched/core.c expected). Correct the path.`);
    const kernelVersion = makefileVersion(readFileSync(join(tree, 'Makefile'), 'utf8')) ?? 'unknown';
    return { tree, manifest: { kernel: cfg.id, store: null, tree: '.', kernelVersion, packages: [] } };
  }
  const pkg = cfg.packages.find((p) => p.role === 'source');
  if (pkg === undefined) throw new PlugschedError(`${cfg.file}: field "packages" has no package with role "source". List the kernel's source package (Debian: linux-source-<line>).`);
  const recipe = sourceRecipe(cfg, pkg);
  // the package file is fetched and verified only to make a missing entry (see devel.ts)
  const entry = await materialize(recipe, async (dir) => {
    const [fetched] = await ensurePackages(cfg, ['source'], log);
    await unpackSource(cfg, fetched, dir, log);
  }, log);
  const tree = join(entry, 'tree');
  const kernelVersion = makefileVersion(readFileSync(join(tree, 'Makefile'), 'utf8')) ?? 'unknown';
  return {
    tree,
    manifest: { kernel: cfg.id, store: entryKey(recipe), tree: 'tree', kernelVersion, packages: [{ name: pkg.name, version: pkg.version, sha256: pkg.sha256 }] },
  };
}
