/** collect: the compiler's facts about the scheduler units, one JSON per unit in dist/kernels/<id>/collect. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BoundaryConfig } from '../config/boundary-config';
import type { KernelConfig } from '../config/kernel-config';
import { ensureDevel } from '../kernel/devel';
import { ensureSource } from '../kernel/source';
import { toolchainFor } from '../toolchain/toolchain';
import { kernelBuildRoot } from '../buildroot/buildroot';
import { PlugschedError } from '../util/errors';
import { writeJsonAtomic } from '../util/fs-atomic';
import type { Logger } from '../util/progress';
import { buildCollector, runCollector } from './collect';
import type { CollectedUnit } from './collector-format';
import { boundaryConfigOf, kernelDist, replaceDir } from './pipeline';

const unitFile = (unit: string) => `${unit.replace(/\//g, '_')}.json`;

/** Every file and unit the boundary names must exist in the kernel tree. */
export function checkLayout(tree: string, boundary: BoundaryConfig, kernelId: string): void {
  const missing = [...boundary.units, ...boundary.modFiles, ...boundary.sidecars.map((s) => s.file)].filter((f) => !existsSync(join(tree, f)));
  if (missing.length > 0)
    throw new PlugschedError(`${boundary.file} does not match the source of ${kernelId}: ${[...new Set(missing)].join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in its tree. Correct the paths (relative to the kernel tree, e.g. kernel/sched/rt.c), or give this kernel a boundary config of its own line.`);
}

/** collect: the compiler's facts about the scheduler units, one JSON per unit. */
export async function collectStep(workspaceRoot: string, kernel: KernelConfig, log: Logger): Promise<CollectedUnit[]> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const src = await ensureSource(kernel, log);
  checkLayout(src.tree, boundary, kernel.id);
  const devel = await ensureDevel(kernel, log);
  const toolchain = await toolchainFor(devel.config, kernel.kernelArch, await kernelBuildRoot(kernel, devel.config, log, workspaceRoot));
  const pluginSo = await buildCollector(workspaceRoot, toolchain, log);
  const units = await runCollector({ workspaceRoot, sourceTree: src.tree, sourceKey: src.manifest.store ?? src.tree, kernelConfig: devel.config, toolchain, pluginSo, units: boundary.units, log });
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'collect'), (tmp) => {
    for (const u of units) writeJsonAtomic(join(tmp, unitFile(u.unit)), u);
  });
  return units;
}
