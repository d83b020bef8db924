/**
 * Baseline for the boundary pipeline: the original plugsched method's
 * collect step compiles the whole kernel with a GCC plugin. A full vmlinux
 * build takes the better part of an hour on two cores, so this measures a
 * subset and extrapolates, saying so: the kernel is configured and prepared
 * with its own .config, then every object under kernel/ is compiled with a
 * no-op GCC plugin loaded; the time per translation unit is scaled to the
 * number of compilation units of the real vmlinux (counted from its DWARF
 * .debug_aranges) and the preparation time added.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { develTree, sourceTree } from '../../plugins/plugsched/src/kernel/artifacts';

export interface BaselineRun {
  prepareSeconds: number;
  sampleSeconds: number;
  sampleUnits: number;
  vmlinuxUnits: number;
  estimateSeconds: number;
}

function sh(cmd: string, args: string[], cwd?: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${(r.stderr ?? '').split('\n').slice(-20).join('\n')}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function countObjects(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) n += countObjects(p);
    else if (e.endsWith('.o') && !e.endsWith('.mod.o') && e !== 'built-in.o') n++;
  }
  return n;
}

/** Compilation units of vmlinux that hold code: one address-range table each in .debug_aranges. */
export function vmlinuxUnits(vmlinux: string): number {
  const r = spawnSync('sh', ['-c', 'readelf --debug-dump=aranges "$1" 2>/dev/null | grep -c "Offset into .debug_info"', 'sh', vmlinux], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/**
 * `runs` measurements of the kernel/ sample. The kernel is configured and prepared once (timed once:
 * every run reports that time); each run then compiles kernel/ from an empty kernel/ object directory.
 */
export async function kernelBaseline(root: string, kernelId: string, runs: number): Promise<BaselineRun[]> {
  const src = await sourceTree(root, kernelId, () => undefined);
  const devel = await develTree(root, kernelId, () => undefined);
  const work = mkdtempSync(join(tmpdir(), 'plugsched-baseline-'));
  try {
    const plugin = join(work, 'noop.c');
    writeFileSync(plugin, 'int plugin_is_GPL_compatible;\nstruct plugin_name_args;\nstruct plugin_gcc_version;\nint plugin_init(struct plugin_name_args *a, struct plugin_gcc_version *v)\n{\n\treturn 0;\n}\n');
    sh('gcc-12', ['-shared', '-fPIC', '-O2', '-o', join(work, 'noop.so'), plugin]);
    const out = join(work, 'build');
    mkdirSync(out, { recursive: true });
    cpSync(devel.config, join(out, '.config'));
    const make = (targets: string[]) => ['-C', src.tree, `O=${out}`, 'CC=gcc-12', `KCFLAGS=-fplugin=${join(work, 'noop.so')}`, '-j2', '-s', ...targets];
    const prepareSeconds = sh('make', make(['olddefconfig'])) + sh('make', make(['prepare']));
    const units = vmlinuxUnits(devel.vmlinux);
    const results: BaselineRun[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(join(out, 'kernel'), { recursive: true, force: true });
      const sampleSeconds = sh('make', make(['kernel/']));
      const sampleUnits = countObjects(join(out, 'kernel'));
      results.push({ prepareSeconds, sampleSeconds, sampleUnits, vmlinuxUnits: units, estimateSeconds: prepareSeconds + (sampleSeconds / sampleUnits) * units });
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
