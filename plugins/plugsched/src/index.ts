import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createNodesFromFiles, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { loadKernelConfig } from './config/kernel-config';
import { loadSchedulerConfig } from './config/scheduler-config';
import { tryLoad } from './config/try-load';
import { kernelProject } from './plugin/kernel-targets';
import { schedulerProject } from './plugin/scheduler-targets';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no options yet; kept for nx.json's object form
export type PlugschedPluginOptions = {};

/** The boundary config a kernel.yaml names (relative to the workspace); the default one for a bad file, which its targets report. */
function boundaryFileOf(workspaceRoot: string, kernelYaml: string): string {
  const kernel = tryLoad(() => loadKernelConfig(kernelYaml, workspaceRoot));
  return kernel === null ? join(dirname(kernelYaml), 'boundary.yaml') : relative(workspaceRoot, kernel.boundary);
}

/**
 * The kernel project a scheduler.yaml names, or null when the file is bad or
 * names no kernel project (its targets report that): an implicit dependency
 * on a project that does not exist would fail every nx command.
 */
function kernelOf(workspaceRoot: string, schedulerYaml: string): string | null {
  const kernel = tryLoad(() => loadSchedulerConfig(schedulerYaml, workspaceRoot))?.kernel;
  return kernel !== undefined && existsSync(join(workspaceRoot, 'kernels', kernel, 'kernel.yaml')) ? kernel : null;
}

/** kernels/<id>/kernel.yaml -> kernel project <id>; schedulers/<name>/scheduler.yaml -> scheduler project <name>, depending on its kernel. */
function createProjectNode(configFile: string, workspaceRoot: string): CreateNodesResult {
  const root = dirname(configFile);
  const project = basename(configFile) === 'kernel.yaml' ? kernelProject(root, boundaryFileOf(workspaceRoot, configFile)) : schedulerProject(root, kernelOf(workspaceRoot, configFile));
  return { projects: { [root]: project } };
}

export const createNodes: CreateNodes<PlugschedPluginOptions> = [
  '{kernels/*/kernel.yaml,schedulers/*/scheduler.yaml}',
  (files, options, context) => createNodesFromFiles((file) => createProjectNode(file, context.workspaceRoot), files, options, context),
];

/** Older Nx releases look for this name. */
export const createNodesV2 = createNodes;
