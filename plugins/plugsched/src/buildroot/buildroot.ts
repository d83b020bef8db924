/**
 * A build root per Debian suite: the compiler, plugin headers and kbuild tools
 * of the kernel's own suite in a minimal root filesystem made with mmdebstrap,
 * kept in the store, so that a bullseye kernel is built by bullseye's gcc-10
 * without installing it on this (bookworm) machine. Kernels of the machine's
 * own suite keep using the host's toolchain (HOST_ROOT). Commands run in the
 * root through a private mount namespace and chroot, with the store, the
 * workspace and the temporary directory bound at their own paths
 * (recipe.ts inRootCommand), so every path is the same inside and out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelConfig } from '../config/kernel-config';
import { aptOptionsFor, isMachineSuite, suiteApt } from '../kernel/apt-suite';
import { compilerFromConfig } from '../toolchain/toolchain';
import { storeRoot } from '../kernel/locations';
import { materialize, entryKey, type EntryRecipe } from '../kernel/store';
import { codeHash } from '../util/code-closure';
import { PlugschedError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/progress';
import { requireTool, run } from '../util/run';
import { chrootRoot, HOST_ROOT, type BuildRoot } from './root';

export { HOST_ROOT, type BuildRoot } from './root';
import { aptValidityOptions, buildRootPackages, develMappedBinds, gccMajor, mmdebstrapBuildRootArgs, parseAptShow, type MappedBind, type PinnedPackage } from './recipe';

/** The paths a build names: the store (sources, devel trees, ccache), the workspace and the temporary directory. */
function defaultBinds(workspaceRoot: string): string[] {
  return [storeRoot(), workspaceRoot, tmpdir()];
}

/** The suite's candidates of `packages` from its private apt state (kernel/apt-suite.ts): the pins of the root. */
export function pinPackages(suite: string, packages: string[], what: string, log?: Logger): PinnedPackage[] {
  const options = suiteApt(suite, what, log);
  // an empty dpkg status: the machine's installed packages are not the suite's candidates
  const r = spawnSync('apt-cache', [...options, '-o', 'Dir::State::status=/dev/null', 'show', '--no-all-versions', ...packages], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return parseAptShow(r.stdout ?? '', packages, suite);
}

/** The store recipe of a root: the suite, the pinned packages and the code that makes it. Its key is the entry's name. */
export function buildRootRecipe(suite: string, pins: PinnedPackage[]): EntryRecipe {
  return { kind: 'buildroot', recipe: codeHash({ files: ['buildroot/buildroot.ts'] }), inputs: { suite, packages: pins } };
}

export interface BuildRootRequest {
  /** kernel.yaml's suite (null: the machine's apt). */
  suite: string | null;
  /** CONFIG_CC_VERSION_TEXT of the kernel. */
  kernelCompiler: string | null;
  /** The kernel's linux-kbuild package (kernel.yaml role "kbuild"): installed at its version. */
  kbuild: { name: string; version: string };
  /** kernel.yaml's path, for messages. */
  file: string;
  workspaceRoot: string;
  /** Directories the kernel's devel tree needs at other paths inside the root (recipe.ts develMappedBinds). */
  mapped?: MappedBind[];
}

/**
 * Does this kernel build in the host's toolchain (its suite is the machine's own, or none)?
 * The machine's own distribution is answered from os-release without apt (`apt-cache policy`
 * costs over a second, and this is asked by the compilers' runtime input on every Nx hash).
 */
export function usesHostToolchain(suite: string | null): boolean {
  if (suite === null || isMachineSuite(suite)) return true;
  return aptOptionsFor(suite, 'suite').length === 0;
}

/** What the build root of a request is, without making it: the pins and the store key ("host" for the machine's suite). */
export function buildRootIdentity(req: Omit<BuildRootRequest, 'workspaceRoot'>): { key: string; pins: PinnedPackage[] } {
  if (usesHostToolchain(req.suite)) return { key: 'host', pins: [] };
  const suite = req.suite as string;
  const pins = pinPackages(suite, buildRootPackages(gccMajor(req.kernelCompiler, req.file), req.kbuild), `${req.file}: field "suite"`);
  return { key: entryKey(buildRootRecipe(suite, pins)), pins };
}

/**
 * The build root of a kernel: HOST_ROOT for a kernel of the machine's suite; else the suite's root,
 * made with mmdebstrap into the store when missing, its pins and its dpkg package list in
 * packages.txt beside the tree.
 */
export async function ensureBuildRoot(req: BuildRootRequest, log: Logger = defaultLogger): Promise<BuildRoot> {
  if (usesHostToolchain(req.suite)) return HOST_ROOT;
  const suite = req.suite as string;
  requireTool('mmdebstrap', 'mmdebstrap', `make the ${suite} build root (the compiler of ${req.file}'s kernel, without installing it on this machine)`);
  requireTool('unshare', 'util-linux', `enter the ${suite} build root`);
  const packages = buildRootPackages(gccMajor(req.kernelCompiler, req.file), req.kbuild);
  const pins = pinPackages(suite, packages, `${req.file}: field "suite"`, log);
  const sourcesList = join(storeRoot(), 'apt', suite, 'sources.list');
  const entry = await materialize(buildRootRecipe(suite, pins), async (dir) => {
    const tree = join(dir, 'root');
    log(`buildroot: making the ${suite} build root with mmdebstrap (${pins.map((p) => `${p.name} ${p.version}`).join(', ')}); once per suite and package set`);
    const dump = spawnSync('apt-config', ['dump'], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const aptOptions = dump.status === 0 ? aptValidityOptions(dump.stdout) : [];
    const m = await run('mmdebstrap', mmdebstrapBuildRootArgs(suite, tree, sourcesList, pins, process.getuid?.() === 0, aptOptions), { env: { ...process.env, LC_ALL: 'C' } });
    if (m.code !== 0)
      throw new PlugschedError(`mmdebstrap could not make the ${suite} build root for ${req.file}:\n${`${m.stdout}\n${m.stderr}`.trim().split('\n').slice(-12).join('\n')}\nCheck that "apt-get update" works on this machine (the root's sources are ${sourcesList}, made from the machine's own Debian sources).`);
    const q = spawnSync('chroot', [tree, 'dpkg-query', '-W', '-f', '${Package} ${Version} ${Architecture}\\n'], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (q.status !== 0) throw new PlugschedError(`dpkg-query in the new ${suite} build root failed: ${q.stderr.trim()}`);
    const installed = new Map(q.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ')[1]] as const));
    const wrong = pins.filter((p) => installed.get(p.name) !== p.version);
    if (wrong.length > 0) throw new PlugschedError(`The ${suite} build root did not get the pinned ${wrong.map((p) => `${p.name} ${p.version} (got ${installed.get(p.name) ?? 'none'})`).join(', ')}.`);
    writeFileSync(join(dir, 'packages.txt'), `${q.stdout.trim().split('\n').sort().join('\n')}\n`);
    writeFileSync(join(dir, 'pins.json'), `${JSON.stringify(pins, null, 2)}\n`);
  }, log);
  const root = chrootRoot(`${suite} ${entry.split('/').pop() ?? ''}`, join(entry, 'root'), defaultBinds(req.workspaceRoot), req.mapped ?? []);
  if (!existsSync(join(root.dir, 'usr', 'bin', `gcc-${gccMajor(req.kernelCompiler, req.file)}`)))
    throw new PlugschedError(`The ${suite} build root ${entry} has no gcc-${gccMajor(req.kernelCompiler, req.file)}: remove that directory and run again.`);
  return root;
}

/** The dpkg package list of a build root entry (packages.txt), for reports. */
export function buildRootPackagesText(root: BuildRoot): string {
  const f = join(root.dir, '..', 'packages.txt');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/** The kernel's linux-kbuild package (role "kbuild"), or empty names for a kernel without one. */
export function kbuildOf(cfg: Pick<KernelConfig, 'packages'>): { name: string; version: string } {
  const k = cfg.packages.find((p) => p.role === 'kbuild');
  return { name: k?.name ?? '', version: k?.version ?? '' };
}

/** The request for kernel `cfg` whose .config is `configPath`. */
export function buildRootRequest(cfg: Pick<KernelConfig, 'suite' | 'file' | 'packages'>, configPath: string, workspaceRoot = process.cwd()): BuildRootRequest {
  const kbuild = cfg.packages.find((p) => p.role === 'kbuild');
  if (kbuild === undefined && !usesHostToolchain(cfg.suite))
    throw new PlugschedError(`${cfg.file}: a kernel of suite "${cfg.suite}" is built in a build root of that suite, which installs the kernel's linux-kbuild package; field "packages" has none with role "kbuild". Regenerate the file with "nx g @plugsched/nx:kernel --suite=${cfg.suite}".`);
  // the devel tree's kbuild Makefile sits beside its .config
  const makefile = join(dirname(configPath), 'Makefile');
  const mapped = existsSync(makefile) ? develMappedBinds(dirname(configPath), readFileSync(makefile, 'utf8')) : [];
  return { suite: cfg.suite, kernelCompiler: compilerFromConfig(readFileSync(configPath, 'utf8')), kbuild: kbuildOf(cfg), file: cfg.file, workspaceRoot, ...(mapped.length > 0 ? { mapped } : {}) };
}

/** The build root kernel `cfg` is compiled in (HOST_ROOT for the machine's own suite). */
export function kernelBuildRoot(cfg: Pick<KernelConfig, 'suite' | 'file' | 'packages'>, configPath: string, log: Logger = defaultLogger, workspaceRoot = process.cwd()): Promise<BuildRoot> {
  return ensureBuildRoot(buildRootRequest(cfg, configPath, workspaceRoot), log);
}
