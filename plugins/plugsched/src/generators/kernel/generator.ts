import { logger, type Tree } from '@nx/devkit';
import { aptCacheFacts, dpkgArchitecture } from '../../kernel/apt-cache';
import { aptOptionsFor } from '../../kernel/apt-suite';
import { resolveDebianKernel, type AptFacts } from '../../kernel/debian-release';
import { PlugschedError } from '../../util/errors';
import { versionOption } from '../version-option';
import { kernelExists, treeKernels } from '../workspace-projects';
import { DEFAULT_MODULE_COMPAT, defaultBoundaryYaml } from './default-boundary';
import { debianKernelYaml } from './kernel-yaml';

export interface KernelGeneratorSchema {
  /** A string; nx's own --version flag can turn it into a boolean (see version-option.ts). */
  version: string | boolean;
  distro?: 'debian';
  flavour?: string;
  arch?: string;
  name?: string;
  /** The kernel project whose boundary config (files and overrides) is copied; default: one of the same line, else the default for the line's layout. */
  boundaryFrom?: string;
  /** The Debian suite to read (bullseye, sid, ...); default: the machine's own apt. */
  suite?: string;
}

/** Kernel projects of the workspace: id -> the kernel line of their kernel.yaml. */
export function kernelLines(tree: Tree): Map<string, string> {
  return new Map(treeKernels(tree).map((k) => [k.id, k.line]));
}

/** Copy every file of kernels/<from>/ but kernel.yaml (the boundary config and the files it names). */
function copyBoundary(tree: Tree, from: string, to: string): string[] {
  const copied: string[] = [];
  const walk = (dir: string) => {
    for (const c of tree.children(dir).sort()) {
      const p = `${dir}/${c}`;
      if (tree.isFile(p)) {
        if (p === `kernels/${from}/kernel.yaml`) continue;
        tree.write(p.replace(`kernels/${from}/`, `kernels/${to}/`), tree.read(p) as Buffer);
        copied.push(p.slice(`kernels/${from}/`.length));
      } else walk(p);
    }
  };
  walk(`kernels/${from}`);
  return copied;
}

/** The generator with apt's facts passed in (tests give synthetic ones). */
export function kernelGeneratorWith(tree: Tree, options: KernelGeneratorSchema, apt: AptFacts, hostArch = 'amd64'): void {
  const arch = options.arch ?? 'amd64';
  const o = { distro: 'debian' as const, flavour: `cloud-${arch}`, arch, ...options, version: versionOption(options.version, process.argv, 'kernel') };
  if (o.distro !== 'debian')
    throw new PlugschedError(`--distro=${o.distro}: the kernel generator reads Debian's apt metadata only; write kernels/<id>/kernel.yaml by hand for RPM kernels (plugins/plugsched/docs/kernel-yaml.md).`);
  logger.info(`kernel: reading apt's metadata for linux ${o.version} ${o.flavour} (${o.arch})...`);
  const k = resolveDebianKernel({ version: o.version, flavour: o.flavour, arch: o.arch, hostArch }, apt);
  const id = o.name ?? `debian-${k.line}-${o.flavour}`;
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(id)) throw new PlugschedError(`--name=${id}: a kernel project name is lower-case letters, digits, "." and "-".`);
  if (tree.exists(`kernels/${id}`))
    throw new PlugschedError(`kernels/${id} already exists. Move it to another version with "nx g @plugsched/nx:bump ${id} --version=${o.version}", or pass --name=<new id>.`);
  const lines = kernelLines(tree);
  const from = o.boundaryFrom ?? [...lines].find(([, line]) => line === k.line)?.[0];
  if (from !== undefined && !kernelExists(tree, from)) throw new PlugschedError(`--boundaryFrom=${from}: kernels/${from}/kernel.yaml does not exist.`);
  tree.write(`kernels/${id}/kernel.yaml`, debianKernelYaml(k));
  if (from === undefined) {
    // A new line: the default file list for its layout; analyze derives the interfaces.
    tree.write(`kernels/${id}/boundary.yaml`, defaultBoundaryYaml(k.line));
    tree.write(`kernels/${id}/module-compat.h`, DEFAULT_MODULE_COMPAT);
    logger.info(`kernel: kernels/${id} for ${k.release} (${k.packages.length} packages pinned by sha256); no kernel of the ${k.line} line to copy the boundary from: wrote the default boundary.yaml for its layout (interfaces derived by analyze; check dist/kernels/${id}/boundary/summary.md after "nx run ${id}:analyze")`);
    return;
  }
  const copied = copyBoundary(tree, from, id);
  logger.info(`kernel: kernels/${id} for ${k.release} (${k.packages.length} packages pinned by sha256); boundary config (files and overrides) from kernels/${from}: ${copied.join(', ')}`);
}

export default async function kernelGenerator(tree: Tree, options: KernelGeneratorSchema): Promise<void> {
  const suite = aptOptionsFor(options.suite, '--suite', (l) => logger.info(l));
  kernelGeneratorWith(tree, options, aptCacheFacts(options.arch ?? 'amd64', suite), dpkgArchitecture());
}
