import { basename, dirname } from 'node:path';
import { createNodesFromFiles, type CreateDependencies, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { kernelProject } from './plugin/kernel-targets';
import { schedulerDependencies } from './plugin/scheduler-dependencies';
import { schedulerProject } from './plugin/scheduler-targets';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no options yet; kept for nx.json's object form
export type PlugschedPluginOptions = {};

/** kernels/<id>/kernel.yaml -> kernel project <id>; schedulers/<name>/scheduler.yaml -> scheduler project <name>. */
function createProjectNode(configFile: string): CreateNodesResult {
  const root = dirname(configFile);
  const project = basename(configFile) === 'kernel.yaml' ? kernelProject(root) : schedulerProject(root);
  return { projects: { [root]: project } };
}

export const createNodes: CreateNodes<PlugschedPluginOptions> = [
  '{kernels/*/kernel.yaml,schedulers/*/scheduler.yaml}',
  (files, options, context) => createNodesFromFiles((file) => createProjectNode(file), files, options, context),
];

/** Older Nx releases look for this name. */
export const createNodesV2 = createNodes;

/** Each scheduler depends on the kernel its scheduler.yaml names (so `nx graph` and affected see it). */
export const createDependencies: CreateDependencies<PlugschedPluginOptions> = (_options, context) => schedulerDependencies(context);
