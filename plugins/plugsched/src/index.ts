import { dirname } from 'node:path';
import { createNodesFromFiles, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { kernelProject } from './plugin/kernel-targets';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no options yet; kept for nx.json's object form
export type PlugschedPluginOptions = {};

/** One kernel project per kernels/<id>/kernel.yaml, named after the folder. */
function createKernelNode(configFile: string): CreateNodesResult {
  const root = dirname(configFile);
  return { projects: { [root]: kernelProject(root) } };
}

export const createNodes: CreateNodes<PlugschedPluginOptions> = [
  'kernels/*/kernel.yaml',
  (files, options, context) => createNodesFromFiles((file) => createKernelNode(file), files, options, context),
];

/** Older Nx releases look for this name. */
export const createNodesV2 = createNodes;
