/** extract: the module code base in dist/kernels/<id>/mod. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelConfig } from '../config/kernel-config';
import { extractTree } from '../extract/extract-tree';
import { disassembleFunction, parseKernelSchedule, springboardLayoutHeader } from '../extract/springboard';
import { arm64SpringboardLayoutHeader, parseArm64KernelSchedule } from '../extract/springboard-arm64';
import { ensureDevel } from '../kernel/devel';
import { ensureSource } from '../kernel/source';
import { PlugschedError } from '../util/errors';
import type { Logger } from '../util/progress';
import type { BoundaryAnalysis } from './analyze';
import { boundaryConfigOf, kernelDist, readCollected, replaceDir } from './pipeline';
import type { VmlinuxFacts } from './vmlinux';

export async function extractStep(workspaceRoot: string, kernel: KernelConfig, log: Logger, runtimeDir: string | null): Promise<string[]> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const units = readCollected(workspaceRoot, kernel);
  const dir = kernelDist(workspaceRoot, kernel.id, 'boundary');
  if (!existsSync(join(dir, 'boundary.json'))) throw new PlugschedError(`The boundary of ${kernel.id} is missing (dist/kernels/${kernel.id}/boundary/boundary.json). Run "nx run ${kernel.id}:analyze".`);
  const classes = (JSON.parse(readFileSync(join(dir, 'boundary.json'), 'utf8')) as { classes: BoundaryAnalysis['classes'] }).classes;
  const facts = JSON.parse(readFileSync(join(dir, 'vmlinux-facts.json'), 'utf8')) as VmlinuxFacts;
  const present = new Set([...facts.functions.map((f) => f.name), ...facts.objects.map((o) => o.name)]);
  const src = await ensureSource(kernel, log);
  let springboardLayout: string | null = null;
  if (runtimeDir !== null && existsSync(runtimeDir)) {
    const devel = await ensureDevel(kernel, log);
    log("extract: reading the kernel's __schedule frame for the springboard");
    const schedule = disassembleFunction(devel.vmlinux, '__schedule');
    springboardLayout = kernel.kernelArch === 'arm64' ? arm64SpringboardLayoutHeader(parseArm64KernelSchedule(schedule)) : springboardLayoutHeader(parseKernelSchedule(schedule));
  }
  let files: string[] = [];
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'mod'), (tmp) => {
    const r = extractTree({ sourceTree: src.tree, outDir: tmp, units, classes, config: boundary, inVmlinux: (name) => present.has(name), runtimeDir, springboardLayout, clones: facts.clones });
    if (r.problems.length > 0) throw new PlugschedError(`Extraction of ${kernel.id} cannot be done as configured by ${boundary.file}: ${r.problems.join(' ')}`);
    files = r.files;
  });
  log(`extract: ${files.length} files in dist/kernels/${kernel.id}/mod`);
  return files;
}
