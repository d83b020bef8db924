import { readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import yaml from 'js-yaml';
import { createNodesFromFiles, type CreateDependencies, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { kernelProject } from './plugin/kernel-targets';
import { schedulerDependencies } from './plugin/scheduler-dependencies';
import { schedulerProject } from './plugin/scheduler-targets';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no options yet; kept for nx.json's object form
export type PlugschedPluginOptions = {};

/** The boundary config a kernel.yaml names (relative to the workspace); bad files are left to the targets to report. */
function boundaryFileOf(workspaceRoot: string, kernelYaml: string): string {
  let named: unknown;
  try {
    named = (yaml.load(readFileSync(join(workspaceRoot, kernelYaml), 'utf8')) as { boundary?: unknown } | null)?.boundary;
  } catch {
    named = undefined;
  }
  return normalize(join(dirname(kernelYaml), typeof named === 'string' ? named : 'boundary.yaml'));
}

/** The kernel a scheduler.yaml names, or null when it cannot be read (its targets report that). */
function kernelOf(workspaceRoot: string, schedulerYaml: string): string | null {
  try {
    const k = (yaml.load(readFileSync(join(workspaceRoot, schedulerYaml), 'utf8')) as { kernel?: unknown } | null)?.kernel;
    return typeof k === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(k) ? k : null;
  } catch {
    return null;
  }
}

/** kernels/<id>/kernel.yaml -> kernel project <id>; schedulers/<name>/scheduler.yaml -> scheduler project <name>. */
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

/** Each scheduler depends on the kernel its scheduler.yaml names (so `nx graph` and affected see it). */
export const createDependencies: CreateDependencies<PlugschedPluginOptions> = (_options, context) => schedulerDependencies(context);
