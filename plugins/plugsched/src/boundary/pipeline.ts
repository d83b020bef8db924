/**
 * What the boundary steps (collect-step.ts, analyze-step.ts, extract-step.ts)
 * share: where a kernel's outputs live, its boundary config, and the
 * directory swap that keeps a failed step from leaving half an output. Each
 * step has a file of its own, so a step's cache key holds only its own code.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadBoundaryConfig, type BoundaryConfig } from '../config/boundary-config';
import type { KernelConfig } from '../config/kernel-config';
import { PlugschedError } from '../util/errors';
import type { CollectedUnit } from './collector-format';

export function kernelDist(workspaceRoot: string, kernelId: string, ...parts: string[]): string {
  return join(workspaceRoot, 'dist', 'kernels', kernelId, ...parts);
}

export function boundaryConfigOf(workspaceRoot: string, kernel: KernelConfig): BoundaryConfig {
  if (!existsSync(kernel.boundary))
    throw new PlugschedError(`${kernel.file}: field "boundary" names ${kernel.boundary.slice(workspaceRoot.length + 1)}, which does not exist. Write the boundary config of this kernel line (see plugins/plugsched/docs/boundary-yaml.md) or point "boundary" at an existing one.`);
  return loadBoundaryConfig(kernel.boundary, workspaceRoot);
}

/** Build a directory in a sibling temp dir and swap it in, so a failure never leaves half an output. */
export function replaceDir(dest: string, fill: (tmp: string) => void): void {
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function readCollected(workspaceRoot: string, kernel: KernelConfig): CollectedUnit[] {
  const dir = kernelDist(workspaceRoot, kernel.id, 'collect');
  if (!existsSync(dir)) throw new PlugschedError(`The collector's facts for ${kernel.id} are missing (dist/kernels/${kernel.id}/collect). Run "nx run ${kernel.id}:collect".`);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CollectedUnit);
}
