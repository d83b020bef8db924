/**
 * A variant's own sidecars (scheduler.yaml `sidecars`): functions outside the
 * kernel's boundary files that this variant's module redirects too, without
 * forking the kernel's boundary.yaml and without making the kernel's targets
 * depend on any variant.
 *
 * The kernel's extract target stays as it is. A variant that lists sidecars
 * gets its base from the same extraction run again in its own apply-patches
 * step: the kernel's collector facts (dist/kernels/<id>/collect), boundary
 * classes and vmlinux facts (dist/kernels/<id>/boundary), the pristine source
 * from the store and the runtime, with the variant's sidecars resolved
 * (boundary/sidecars.ts) and added to the classes. The result is byte for
 * byte what the kernel's extract would write had boundary.yaml listed those
 * sidecars; the variant's patches then apply to it. A variant without
 * sidecars copies the kernel's dist/kernels/<id>/mod as before.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassEntry } from '../boundary/analyze';
import { boundaryConfigOf, kernelDist, readCollected } from '../boundary/pipeline';
import { resolveSidecars, variantSidecarClashes, withSidecars } from '../boundary/sidecars';
import type { VmlinuxFacts } from '../boundary/vmlinux';
import type { KernelConfig } from '../config/kernel-config';
import type { SchedulerConfig } from '../config/scheduler-config';
import { extractTree, type BoundaryClasses } from '../extract/extract-tree';
import { ensureSource } from '../kernel/source';
import { PlugschedError } from '../util/errors';
import type { Logger } from '../util/progress';
import { toolPath } from '../util/tools';

/** The kernel's boundary step outputs the re-extraction reads, with a clear error when one is missing. */
function kernelBoundary(workspaceRoot: string, kernel: KernelConfig, scheduler: SchedulerConfig): { classes: BoundaryClasses; facts: VmlinuxFacts } {
  const dir = kernelDist(workspaceRoot, kernel.id, 'boundary');
  for (const f of ['boundary.json', 'vmlinux-facts.json'])
    if (!existsSync(join(dir, f)))
      throw new PlugschedError(`${scheduler.file}: field "sidecars" needs the boundary of ${kernel.id} (dist/kernels/${kernel.id}/boundary/${f} is missing). Run "nx run ${kernel.id}:extract" (nx run ${scheduler.name}:apply-patches does it first through dependsOn).`);
  const classes = (JSON.parse(readFileSync(join(dir, 'boundary.json'), 'utf8')) as { classes: BoundaryClasses }).classes;
  return { classes, facts: JSON.parse(readFileSync(join(dir, 'vmlinux-facts.json'), 'utf8')) as VmlinuxFacts };
}

/**
 * Write the variant's base, the kernel's extracted scheduler with the
 * variant's sidecars redirected too, to `outDir` (absent or empty). Returns
 * the sidecars it added.
 */
export async function extractWithVariantSidecars(workspaceRoot: string, scheduler: SchedulerConfig, kernel: KernelConfig, outDir: string, log: Logger): Promise<ClassEntry[]> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const units = readCollected(workspaceRoot, kernel);
  const { classes, facts } = kernelBoundary(workspaceRoot, kernel, scheduler);
  const origin = { file: scheduler.file, field: 'sidecars' };
  const resolved = resolveSidecars(units, facts, scheduler.sidecars, boundary.modFiles, origin);
  const errors = [...variantSidecarClashes(scheduler.sidecars, classes.sidecar ?? [], origin, boundary.file), ...resolved.errors];
  if (errors.length > 0) throw new PlugschedError(`The sidecars of ${scheduler.name} cannot be redirected as listed (kernel ${kernel.id}, docs: plugins/plugsched/docs/scheduler-yaml.md): ${errors.map((e, i) => `(${i + 1}) ${e}`).join(' ')}`);
  const src = await ensureSource(kernel, log);
  // what the kernel's extract used: the same runtime, and the springboard layout it read from vmlinux
  const runtime = toolPath(workspaceRoot, 'runtime');
  const runtimeDir = existsSync(join(runtime, 'runtime.c')) ? runtime : null;
  const layout = kernelDist(workspaceRoot, kernel.id, 'mod', 'kernel', 'sched', 'plugsched', 'springboard-layout.h');
  const springboardLayout = runtimeDir !== null && existsSync(layout) ? readFileSync(layout, 'utf8') : null;
  const present = new Set([...facts.functions.map((f) => f.name), ...facts.objects.map((o) => o.name)]);
  log(`apply-patches: extracting ${scheduler.name}'s sidecars (${resolved.entries.map((e) => `${e.name} of ${e.file}`).join(', ')}) with the kernel's scheduler`);
  const r = extractTree({ sourceTree: src.tree, outDir, units, classes: withSidecars(classes, resolved), config: boundary, inVmlinux: (name) => present.has(name), runtimeDir, springboardLayout, clones: facts.clones });
  if (r.problems.length > 0) throw new PlugschedError(`Extraction of ${kernel.id} with the sidecars of ${scheduler.file} cannot be done: ${r.problems.join(' ')}`);
  return resolved.entries;
}

/**
 * Run `use` with the variant's base: the kernel's dist/kernels/<id>/mod, or,
 * for a variant with sidecars of its own, that extraction made in a temporary
 * directory (removed afterwards). The edit tree starts from it (its patches
 * apply to it, not to the kernel's mod).
 */
export async function withVariantBase<T>(workspaceRoot: string, scheduler: SchedulerConfig, kernel: KernelConfig, log: Logger, use: (baseDir: string) => Promise<T>): Promise<T> {
  if (scheduler.sidecars.length === 0) return use(kernelDist(workspaceRoot, kernel.id, 'mod'));
  const tmp = mkdtempSync(join(tmpdir(), `plugsched-base-${scheduler.name}-`));
  try {
    const base = join(tmp, 'base');
    await extractWithVariantSidecars(workspaceRoot, scheduler, kernel, base, log);
    return await use(base);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
