import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { logger, type GeneratorCallback, type Tree } from '@nx/devkit';
import type { KernelConfig } from '../../config/kernel-config';
import { aptCacheFacts, dpkgArchitecture } from '../../kernel/apt-cache';
import { aptOptionsFor } from '../../kernel/apt-suite';
import { resolveDebianKernel, type AptFacts, type ResolvedKernel, type ResolvedPackage } from '../../kernel/debian-release';
import { PlugschedError } from '../../util/errors';
import { versionOption } from '../version-option';
import { debianKernelYaml } from '../kernel/kernel-yaml';
import { loadTreeKernel, treeSchedulers } from '../workspace-projects';

export interface BumpGeneratorSchema {
  kernel: string;
  /** A string; nx's own --version flag can turn it into a boolean (see version-option.ts). */
  version: string | boolean;
  /** Apply each variant's patches to the new kernel's extracted scheduler and report patches that no longer apply (default true). */
  check?: boolean;
}

/** Scheduler variants built for `kernel` (schedulers/<name>/scheduler.yaml naming it), sorted. */
export function variantsOf(tree: Tree, kernel: string): string[] {
  return treeSchedulers(tree)
    .filter((s) => s.kernel === kernel)
    .map((s) => s.name);
}

/** The lines of an nx run's output that say why a variant's patches do not apply. */
export function patchReport(output: string): string {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const hit = lines.filter((l) => /does not apply to the extracted scheduler/.test(l));
  return (hit.length > 0 ? hit : lines.filter((l) => l.trim() !== '').slice(-15)).map((l) => l.trim()).join('\n');
}

/** Run each variant's apply-patches target (the kernel's pipeline first, through dependsOn) and say which patches apply. */
function checkPatches(root: string, kernel: string, version: string, variants: string[]): void {
  const nx = join(root, 'node_modules', '.bin', 'nx');
  logger.info(`bump: checking the patches of ${variants.join(', ')} against ${kernel} ${version} (fetch, unpack, boundary and extraction first: a few minutes on a cold cache)...`);
  const broken: string[] = [];
  for (const v of variants) {
    const r = spawnSync(nx, ['run', `${v}:apply-patches`, '--outputStyle=static'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.status === 0) logger.info(`bump: ${v}: its patches apply to ${kernel} ${version}`);
    else {
      broken.push(v);
      logger.error(`bump: ${v}: its patches no longer apply to ${kernel} ${version}:\n${patchReport(`${r.stdout}\n${r.stderr}`)}`);
    }
  }
  if (broken.length > 0) logger.error(`bump: ${broken.length} variant(s) need their patches refreshed: ${broken.join(', ')}. kernels/${kernel}/kernel.yaml is already at ${version}; fix the patches, or "git checkout kernels/${kernel}" to undo the bump.`);
  else logger.info(`bump: every variant of ${kernel} applies to ${version}`);
}

/** The packages of `k` whose pin (version or sha256) is not the one in the old kernel.yaml. */
function repinned(old: KernelConfig, k: ResolvedKernel): ResolvedPackage[] {
  return k.packages.filter((p) => {
    const was = old.packages.find((o) => o.name === p.name);
    return !was || was.version !== (p.version ?? k.version) || was.sha256 !== p.sha256;
  });
}

/**
 * The generator with apt's facts passed in (tests give synthetic ones). Returns the variants whose
 * patches are to be checked against the result: the kernel's, or none when its sources did not change.
 */
export function bumpGeneratorWith(tree: Tree, raw: BumpGeneratorSchema, apt: AptFacts, hostArch = 'amd64'): string[] {
  return bumpKernel(tree, loadTreeKernel(tree, raw.kernel), raw, apt, hostArch);
}

/** Move the kernel `cfg` (its loaded kernel.yaml) to raw.version. */
function bumpKernel(tree: Tree, cfg: KernelConfig, raw: BumpGeneratorSchema, apt: AptFacts, hostArch: string): string[] {
  const options = { ...raw, version: versionOption(raw.version, process.argv, 'bump') };
  const path = cfg.file;
  if (cfg.distro !== 'debian' || cfg.source !== 'deb')
    throw new PlugschedError(`${path}: bump reads Debian's apt metadata and needs "distro: debian" and "source: deb" (this kernel has distro "${cfg.distro}", source "${cfg.source}"); edit its versions and sha256s by hand.`);
  const m = /^(?:\d+:)?(\d+\.\d+)/.exec(options.version);
  if (!m || m[1] !== cfg.line)
    throw new PlugschedError(
      `--version=${options.version} is not a release of the ${cfg.line} line of ${path}. A bump stays within its line; for another line make a new kernel project with "nx g @plugsched/nx:kernel ${options.version}".`,
    );
  const variants = variantsOf(tree, options.kernel);
  logger.info(`bump: reading apt's metadata for linux ${options.version} ${cfg.flavour} (${cfg.arch})...`);
  const k = resolveDebianKernel({ version: options.version, flavour: cfg.flavour, arch: cfg.arch, line: cfg.line, hostArch }, apt);
  const written = debianKernelYaml(k, relative(cfg.dir, cfg.boundary));
  if (cfg.version === options.version) {
    // Same release: the archive may have moved under it (linux-kbuild-<line> is not ABI-versioned, so apt
    // keeps only its newest build); re-pin what apt now has, or say the pins still hold.
    if (written === tree.read(path, 'utf8')) {
      logger.info(`bump: ${options.kernel} is already at ${options.version} and every pin matches apt's metadata; nothing to do.`);
      return [];
    }
    tree.write(path, written);
    const changed = repinned(cfg, k);
    logger.info(
      `bump: ${options.kernel} stays at ${options.version}; re-pinned to what apt has now: ` +
        `${changed.map((p) => `${p.name} ${p.version ?? k.version}`).join(', ') || "none (kernel.yaml rewritten in the generator's form)"}.`,
    );
    // the scheduler sources come from the source package: only a new one can break a variant's patches
    return changed.some((p) => p.role === 'source') ? variants : [];
  }
  tree.write(path, written);
  const moved = k.packages.filter((p) => p.version !== undefined).map((p) => `${p.name} ${p.version}`);
  logger.info(
    `bump: ${options.kernel} ${cfg.version} -> ${k.version} (uname -r ${k.release}); ${k.packages.length} packages re-pinned` +
      (moved.length > 0 ? `; not in the archive at ${k.version}, taken at the version the headers accept: ${moved.join(', ')}` : '') +
      `. Variants on this kernel: ${variants.join(', ') || 'none'}.`,
  );
  return variants;
}

export default async function bumpGenerator(tree: Tree, options: BumpGeneratorSchema): Promise<GeneratorCallback | void> {
  const kernel = loadTreeKernel(tree, options.kernel);
  const suite = aptOptionsFor(kernel.suite ?? undefined, `${kernel.file}: field "suite"`, (l) => logger.info(l));
  const variants = bumpKernel(tree, kernel, options, aptCacheFacts(kernel.arch, suite), dpkgArchitecture());
  if (options.check === false || variants.length === 0) return;
  const version = versionOption(options.version, process.argv, 'bump');
  return () => checkPatches(tree.root, options.kernel, version, variants);
}
