import type { Tree } from '@nx/devkit';
import { loadKernelConfig, type KernelConfig } from '../config/kernel-config';
import { loadSchedulerConfig, type SchedulerConfig } from '../config/scheduler-config';
import { tryLoad } from '../config/try-load';
import { PlugschedError } from '../util/errors';
import { treeFiles } from './tree-files';

const kernelYaml = (id: string) => `kernels/${id}/kernel.yaml`;

/** The kernel projects of the workspace: the ids with a kernels/<id>/kernel.yaml, sorted. */
export function kernelIds(tree: Tree): string[] {
  return tree.exists('kernels') ? tree.children('kernels').filter((id) => tree.exists(kernelYaml(id))).sort() : [];
}

/** Does kernel project `id` exist? */
export function kernelExists(tree: Tree, id: string): boolean {
  return tree.exists(kernelYaml(id));
}

/** The error for a kernel project that does not exist, naming the ones that do; `fix` ends it. */
export function unknownKernelError(tree: Tree, id: string, fix = ''): PlugschedError {
  return new PlugschedError(`There is no kernel project "${id}" (${kernelYaml(id)}). Known kernels: ${kernelIds(tree).join(', ') || 'none'}.${fix ? ` ${fix}` : ''}`);
}

/** kernels/<id>/kernel.yaml through the kernel loader (its errors name the field and the fix). */
export function loadTreeKernel(tree: Tree, id: string): KernelConfig {
  if (!kernelExists(tree, id)) throw unknownKernelError(tree, id);
  return loadKernelConfig(kernelYaml(id), tree.root, treeFiles(tree));
}

/** Every kernel project whose kernel.yaml loads (a bad one is left to its own targets to report). */
export function treeKernels(tree: Tree): KernelConfig[] {
  return kernelIds(tree).flatMap((id) => tryLoad(() => loadKernelConfig(kernelYaml(id), tree.root, treeFiles(tree))) ?? []);
}

/** Every scheduler variant whose scheduler.yaml loads, sorted by name (a bad one is left to its own targets to report). */
export function treeSchedulers(tree: Tree): SchedulerConfig[] {
  if (!tree.exists('schedulers')) return [];
  const files = treeFiles(tree);
  return tree
    .children('schedulers')
    .sort()
    .flatMap((name) => (tree.exists(`schedulers/${name}/scheduler.yaml`) ? (tryLoad(() => loadSchedulerConfig(`schedulers/${name}/scheduler.yaml`, tree.root, files)) ?? []) : []));
}
