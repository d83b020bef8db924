import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadKernelConfig, type KernelConfig } from '../config/kernel-config';
import { PlugschedError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/progress';
import { ensureDevel, type DevelTree } from './devel';
import { ensureSource, type SourceTree } from './source';

/** kernels/<id>/kernel.yaml of a workspace, with a helpful error for unknown ids. */
export function loadKernel(workspaceRoot: string, kernelId: string): KernelConfig {
  const file = join(workspaceRoot, 'kernels', kernelId, 'kernel.yaml');
  if (!existsSync(file)) {
    const known = existsSync(join(workspaceRoot, 'kernels'))
      ? readdirSync(join(workspaceRoot, 'kernels')).filter((d) => existsSync(join(workspaceRoot, 'kernels', d, 'kernel.yaml'))).sort()
      : [];
    throw new PlugschedError(`Unknown kernel "${kernelId}": there is no kernels/${kernelId}/kernel.yaml. Known kernels: ${known.join(', ') || 'none'}. Create one with "nx g @plugsched/nx:kernel" or correct the name.`);
  }
  return loadKernelConfig(file, workspaceRoot);
}

/** The unpacked source tree of a workspace kernel (materialized when missing). */
export function sourceTree(workspaceRoot: string, kernelId: string, log: Logger = defaultLogger): Promise<SourceTree> {
  return ensureSource(loadKernel(workspaceRoot, kernelId), log);
}

/** The devel tree, debug vmlinux and boot image of a workspace kernel (materialized when missing). */
export function develTree(workspaceRoot: string, kernelId: string, log: Logger = defaultLogger): Promise<DevelTree> {
  return ensureDevel(loadKernel(workspaceRoot, kernelId), log);
}

/** dist/kernels/<id>/<step>.json: the small manifest a kernel target leaves for Nx to cache. */
export function kernelManifestPath(workspaceRoot: string, kernelId: string, step: string): string {
  return join(workspaceRoot, 'dist', 'kernels', kernelId, `${step}.json`);
}
