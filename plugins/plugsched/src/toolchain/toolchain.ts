/**
 * The toolchain of a kernel: which compiler (native or cross) builds the
 * collector and the module, chosen from the kernel's own
 * CONFIG_CC_VERSION_TEXT, and that compiler's identity. This file is the one
 * source of both: the collect and module targets hash compilerIdentity's
 * output (through print-identity.ts, a runtime input), and the executors run
 * the commands toolchainFor names.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isHostArch, type KernelArch } from '../util/host-arch';
import { HOST_ROOT, type BuildRoot } from '../buildroot/root';
import { PlugschedError } from '../util/errors';
import { requireTool, run } from '../util/run';

export interface Toolchain {
  /** The kernel's compiler command, e.g. "gcc-12" or "aarch64-linux-gnu-gcc-12". */
  cc: string;
  /** The C++ compiler that builds the plugin for that compiler, e.g. "g++-12". */
  cxx: string;
  /** make ARCH=... */
  arch: KernelArch;
  crossCompile: string;
  /** `cc --version` first line: what the plugin and the kernel objects are built with. */
  version: string;
  /** Where cc, cxx and make run: the kernel's suite's build root (buildroot/buildroot.ts); absent: the host. */
  root?: BuildRoot;
}

/** Where a toolchain's commands run. */
export function rootOf(tc: Pick<Toolchain, 'root'>): BuildRoot {
  return tc.root ?? HOST_ROOT;
}

/** The compiler the distro built the kernel with, from CONFIG_CC_VERSION_TEXT ("gcc-12 (Debian 12.2.0-14) 12.2.0"). */
export function compilerFromConfig(config: string): string | null {
  const m = /^CONFIG_CC_VERSION_TEXT="([^"]*)"/m.exec(config);
  return m ? m[1] : null;
}

/** The commands for a kernel built by `kernelCompiler` (CONFIG_CC_VERSION_TEXT) for `arch`, on this machine. Pure. */
export function compilerCommands(kernelCompiler: string | null, arch: KernelArch, native = isHostArch(arch)): Pick<Toolchain, 'cc' | 'cxx' | 'arch' | 'crossCompile'> {
  const base = kernelCompiler?.split(' ')[0] ?? 'gcc';
  const crossCompile = arch === 'arm64' && !native ? 'aarch64-linux-gnu-' : '';
  const cc = base.startsWith(crossCompile) ? base : `${crossCompile}${base}`;
  const cxx = cc.replace(/gcc(-\d+)?$/, (_m, v: string | undefined) => `g++${v ?? ''}`).replace(crossCompile, '');
  return { cc, cxx, arch, crossCompile };
}

/** The Debian packages that bring a compiler command (for the "missing tool" message). */
function compilerPackage(command: string): string {
  const version = /-(\d+)$/.exec(command)?.[1] ?? '12';
  const cross = command.includes('aarch64') ? '-aarch64-linux-gnu' : '';
  return command.replace(/^aarch64-linux-gnu-/, '').startsWith('g++') ? `g++-${version}${cross}` : `gcc-${version}${cross}`;
}

/** A compiler command's version line ("gcc (Debian 12.2.0-14+deb12u1) 12.2.0"): part of the key of what it builds. */
export async function compilerVersion(command: string, root: BuildRoot = HOST_ROOT): Promise<string> {
  return (await root.run(command, ['--version'])).stdout.split('\n')[0] ?? '';
}

/**
 * The toolchain for the kernel whose .config is at configPath, in `root` (the host's, or the build
 * root of the kernel's suite); the compilers must be installed there.
 */
export async function toolchainFor(configPath: string, arch: KernelArch, root: BuildRoot = HOST_ROOT): Promise<Toolchain> {
  const commands = compilerCommands(compilerFromConfig(readFileSync(configPath, 'utf8')), arch);
  if (root === HOST_ROOT) {
    requireTool(commands.cc, compilerPackage(commands.cc), 'compile the scheduler translation units as the kernel was compiled');
    requireTool(commands.cxx, compilerPackage(commands.cxx), 'build the collector GCC plugin');
  } else {
    for (const c of [commands.cc, commands.cxx])
      if (!root.haveTool(c)) throw new PlugschedError(`The build root ${root.name} (${root.dir}) has no ${c}, which the kernel's CONFIG_CC_VERSION_TEXT names: remove that store entry and run again, so it is made with ${compilerPackage(c)}.`);
  }
  return { ...commands, version: await compilerVersion(commands.cc, root), root };
}

/** The compiler of static guest programs (tools/vm/*.c, symbol-resolve) for a guest of `arch`. */
export function guestCompiler(arch: KernelArch): string {
  return isHostArch(arch) ? 'gcc' : 'aarch64-linux-gnu-gcc-12';
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** One compiler as this machine has it: the binary the command runs, its version line, its compiler proper. */
async function describeCompiler(command: string, proper: 'cc1' | 'cc1plus'): Promise<string[]> {
  const which = await run('sh', ['-c', 'command -v "$1"', 'sh', command]);
  const path = which.stdout.trim();
  if (which.code !== 0 || path === '') return [`${command}: not installed`];
  const binary = realpathSync(path);
  const version = await compilerVersion(command);
  const properPath = (await run(command, [`-print-prog-name=${proper}`])).stdout.trim();
  const properFact = properPath.startsWith('/') ? `${realpathSync(properPath)} ${statSync(properPath).size} bytes` : 'not found';
  return [`${command}: ${binary} sha256 ${sha256(binary)}`, `${command}: ${version}`, `${command}: ${proper} ${properFact}`];
}

/**
 * The identity of the compilers a kernel's targets invoke: the kernel's
 * CONFIG_CC_VERSION_TEXT, the commands chosen from it, the guest programs'
 * compiler, and for each the binary
 * it resolves to (path, sha256), its version and its compiler proper. A
 * different compiler, an upgraded package or another cross compiler gives
 * another text, so cached scheduler.ko and collected facts are not reused.
 */
export async function compilerIdentity(kernelCompiler: string | null, arch: KernelArch, buildRoot?: string): Promise<string> {
  const commands = compilerCommands(kernelCompiler, arch);
  const lines = [`kernel: ${kernelCompiler ?? 'no CONFIG_CC_VERSION_TEXT'}`, `arch: ${arch}`, `cross: ${commands.crossCompile || 'none'}`];
  // a build root is named by its pinned packages (buildroot/buildroot.ts buildRootIdentity): the host's compilers do not build
  if (buildRoot !== undefined && buildRoot !== 'host') lines.push(`build root: ${buildRoot}`);
  else lines.push(...(await describeCompiler(commands.cc, 'cc1')), ...(await describeCompiler(commands.cxx, 'cc1plus')));
  lines.push(...(await describeCompiler(guestCompiler(arch), 'cc1')).map((l) => `guest ${l}`));
  return `${lines.join('\n')}\n`;
}
