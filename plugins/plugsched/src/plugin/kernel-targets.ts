import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';

const PLUGIN = '@plugsched/nx';

/** Files of the plugin that decide how kernel packages are fetched and unpacked. */
export const ACQUISITION_SOURCES = [
  '{workspaceRoot}/plugins/plugsched/src/kernel/**/*.ts',
  '{workspaceRoot}/plugins/plugsched/src/config/**/*',
  '{workspaceRoot}/plugins/plugsched/src/util/**/*.ts',
  '{workspaceRoot}/plugins/plugsched/src/executors/kernel-step.ts',
];

function manifest(step: string): string {
  return `{workspaceRoot}/dist/kernels/{projectName}/${step}.json`;
}

function target(step: string, description: string, dependsOn: string[]): TargetConfiguration {
  return {
    executor: `${PLUGIN}:${step}`,
    cache: true,
    dependsOn,
    inputs: ['kernelConfig', 'kernelAcquisition', `{workspaceRoot}/plugins/plugsched/src/executors/${step}/**/*`, { externalDependencies: ['nx'] }],
    outputs: [manifest(step)],
    metadata: { description, technologies: ['linux'] },
  };
}

/**
 * The project inferred from kernels/<id>/kernel.yaml. Large trees live in the
 * store (outside Nx's cache); the outputs are small JSON manifests, and every
 * consumer re-materializes a store entry that is missing after a cache hit.
 */
export function kernelProject(projectRoot: string): ProjectConfiguration {
  const name = projectRoot.split('/').pop() as string;
  return {
    name,
    root: projectRoot,
    projectType: 'library',
    tags: ['plugsched:kernel'],
    namedInputs: {
      kernelConfig: ['{projectRoot}/kernel.yaml'],
      kernelAcquisition: ACQUISITION_SOURCES,
    },
    targets: {
      fetch: target('fetch', 'Fetch the kernel packages (local package dir, then apt) and verify their pinned sha256', []),
      source: target('source', 'Unpack the kernel source into the content-addressed store', ['fetch']),
      devel: target('devel', 'Unpack the devel tree, debug vmlinux and boot image into the store', ['fetch']),
    },
  };
}
