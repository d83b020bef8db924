/**
 * Collection: build the GCC collector plugin and run it inside the kernel's
 * own kbuild of the scheduler translation units, with the kernel's .config.
 * Only those units are compiled (seconds), not the whole kernel: the rest of
 * the kernel is read from the distro's debug vmlinux instead.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { sha256File, stableHash } from '../util/hash';
import { defaultLogger, type Logger } from '../util/progress';
import { codeHash } from '../util/code-closure';
import { toolPath } from '../util/tools';
import { compilerVersion, rootOf, type Toolchain } from '../toolchain/toolchain';
import { HOST_ROOT } from '../buildroot/root';
import { materialize } from '../kernel/store';
import type { CollectedUnit } from './collector-format';

export { DEFAULT_UNITS as SCHED_UNITS_6_1 } from '../config/boundary-config';

export type { Toolchain } from '../toolchain/toolchain';

/** Build tools/gcc-collector into the store (once per plugin source and compiler). */
export async function buildCollector(workspaceRoot: string, tc: Toolchain, log: Logger = defaultLogger): Promise<string> {
  const src = toolPath(workspaceRoot, 'gcc-collector');
  const pluginInclude = (await rootOf(tc).run(tc.cc, ['-print-file-name=plugin'])).stdout.trim();
  if (!existsSync(join(rootOf(tc).hostPath(pluginInclude), 'include', 'gcc-plugin.h'))) {
    const major = /-(\d+)$/.exec(tc.cc)?.[1] ?? '12';
    const where = rootOf(tc) === HOST_ROOT ? '(tools/setup does)' : `into the build root ${rootOf(tc).dir} (remove it and run again: it is made with them)`;
    throw new PlugschedError(`The GCC plugin headers for ${tc.cc} are missing (${pluginInclude}/include/gcc-plugin.h). Install them with "apt-get install ${tc.cc.includes('aarch64') ? `gcc-${major}-plugin-dev-aarch64-linux-gnu` : `gcc-${major}-plugin-dev`}" ${where}, then run again.`);
  }
  // the plugin is made by tools/gcc-collector and this function, with these compilers (in this build root)
  const inRoot = rootOf(tc) === HOST_ROOT ? {} : { root: rootOf(tc).name };
  const recipe = { kind: 'collector', recipe: codeHash({ files: ['boundary/collect.ts'], tools: ['gcc-collector'] }, workspaceRoot), inputs: { cc: tc.version, cxx: await compilerVersion(tc.cxx, rootOf(tc)), ...inRoot } };
  const entry = await materialize(recipe, async (dir) => {
    log(`collect: building the collector plugin for ${tc.version}${rootOf(tc) === HOST_ROOT ? '' : ` in the build root ${rootOf(tc).name}`}`);
    const r = await rootOf(tc).run('make', ['-C', src, `O=${dir}`, `CXX=${tc.cxx}`, `PLUGIN_GCC=${tc.cc}`]);
    if (r.code !== 0) throw new PlugschedError(`Building the collector plugin failed:\n${r.stderr.split('\n').slice(-15).join('\n')}\nCheck that ${tc.cxx} and the GCC plugin headers are installed (tools/setup).`);
  }, log);
  return join(entry, 'collector.so');
}

export interface CollectOptions {
  workspaceRoot: string;
  /** The pristine kernel tree (read only). */
  sourceTree: string;
  /** Store key of that tree: part of the prepared build dir's identity. */
  sourceKey: string;
  kernelConfig: string;
  toolchain: Toolchain;
  pluginSo: string;
  units: string[];
  jobs?: number;
  log?: Logger;
}

function kbuildArgs(o: CollectOptions, buildDir: string): string[] {
  const tc = o.toolchain;
  const plugin = [`-fplugin=${o.pluginSo}`, '-fplugin-arg-collector-out=collect-out', `-fplugin-arg-collector-srctree=${o.sourceTree}`, `-fplugin-arg-collector-only=${o.units.join(':')}`];
  return ['-C', o.sourceTree, `O=${buildDir}`, `ARCH=${tc.arch}`, `CC=${tc.cc}`, ...(tc.crossCompile ? [`CROSS_COMPILE=${tc.crossCompile}`] : []), `KCFLAGS=${plugin.join(' ')}`, `-j${o.jobs ?? 2}`];
}

async function make(o: CollectOptions, buildDir: string, targets: string[], what: string): Promise<void> {
  const r = await rootOf(o.toolchain).run('make', ['-s', ...kbuildArgs(o, buildDir), ...targets]);
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new PlugschedError(`${what} failed (make ${targets.join(' ')} in the kernel's own kbuild):\n${tail}\nThe tools kbuild needs are installed by tools/setup (flex, bison, bc, libelf-dev, libssl-dev); a compiler error in a scheduler unit usually means the .config and the source tree do not belong together.`);
  }
}

/**
 * A kbuild output directory with the kernel's .config and `modules_prepare`
 * done, kept in the store: preparing takes most of the time, compiling the
 * four units with the plugin a few seconds.
 */
export async function preparedBuildDir(o: CollectOptions): Promise<string> {
  const log = o.log ?? defaultLogger;
  const recipe = { kind: 'kbuild', recipe: codeHash({ files: ['boundary/collect.ts'] }), inputs: { source: o.sourceKey, config: await sha256File(o.kernelConfig), cc: o.toolchain.version, ...(rootOf(o.toolchain) === HOST_ROOT ? {} : { root: rootOf(o.toolchain).name }), plugin: await sha256File(o.pluginSo), units: o.units, kcflags: stableHash(kbuildArgs(o, '')) } };
  return materialize(recipe, async (dir) => {
    cpSync(o.kernelConfig, join(dir, '.config'));
    log('collect: make olddefconfig modules_prepare (the kernel\'s own config and kbuild)');
    await make(o, dir, ['olddefconfig'], 'Configuring the kernel');
    await make(o, dir, ['modules_prepare'], 'Preparing the kernel build');
  }, log);
}

/** Compile the units with the collector and return its facts, one per unit, in unit order. */
export async function runCollector(o: CollectOptions): Promise<CollectedUnit[]> {
  const log = o.log ?? defaultLogger;
  const prepared = await preparedBuildDir(o);
  const work = mkdtempSync(join(tmpdir(), 'plugsched-collect-'));
  try {
    cpSync(prepared, work, { recursive: true });
    rmSync(join(work, '.entry.json'), { force: true });
    mkdirSync(join(work, 'collect-out'), { recursive: true });
    const objects = o.units.map((u) => u.replace(/\.c$/, '.o'));
    log(`collect: compiling ${o.units.length} scheduler units with the collector plugin`);
    await make(o, work, objects, 'Compiling the scheduler units with the collector');
    const out = join(work, 'collect-out');
    const units = o.units.map((u) => {
      const f = join(out, `${u.replace(/\//g, '_')}.json`);
      if (!existsSync(f)) throw new PlugschedError(`The collector wrote no facts for ${u} (found: ${readdirSync(out).join(', ') || 'nothing'}). Check that the unit exists in this kernel.`);
      return JSON.parse(readFileSync(f, 'utf8')) as CollectedUnit;
    });
    return units;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
