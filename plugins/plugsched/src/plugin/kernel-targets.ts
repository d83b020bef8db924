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

function dist(dir: string): string {
  return `{workspaceRoot}/dist/kernels/{projectName}/${dir}`;
}

const code = (...paths: string[]) => paths.map((p) => `{workspaceRoot}/plugins/plugsched/src/${p}`);

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
export function kernelProject(projectRoot: string, boundaryFile = `${projectRoot}/boundary.yaml`): ProjectConfiguration {
  const boundaryDir = boundaryFile.includes('/') ? boundaryFile.slice(0, boundaryFile.lastIndexOf('/')) : '.';
  const name = projectRoot.split('/').pop() as string;
  return {
    name,
    root: projectRoot,
    projectType: 'library',
    tags: ['plugsched:kernel'],
    namedInputs: {
      kernelConfig: ['{projectRoot}/kernel.yaml'],
      boundaryConfig: [`{workspaceRoot}/${boundaryFile}`, `{workspaceRoot}/${boundaryDir}/*.h`, ...code('config/**/*')],
      kernelAcquisition: ACQUISITION_SOURCES,
    },
    targets: {
      fetch: target('fetch', 'Fetch the kernel packages (local package dir, then apt) and verify their pinned sha256', []),
      source: target('source', 'Unpack the kernel source into the content-addressed store', ['fetch']),
      devel: target('devel', 'Unpack the devel tree, debug vmlinux and boot image into the store', ['fetch']),
      collect: {
        executor: `${PLUGIN}:collect`,
        cache: true,
        dependsOn: ['source', 'devel'],
        inputs: [
          'kernelConfig',
          'boundaryConfig',
          '{workspaceRoot}/tools/gcc-collector/**/*',
          ...code('boundary/collect.ts', 'boundary/collector-format.ts', 'boundary/pipeline.ts', 'util/host-arch.ts', 'executors/collect/**/*'),
          { runtime: 'gcc-12 --version' },
          { externalDependencies: ['nx'] },
        ],
        outputs: [dist('collect')],
        metadata: { description: "Compile the scheduler units in the kernel's own kbuild with the collector GCC plugin", technologies: ['linux', 'gcc'] },
      },
      analyze: {
        executor: `${PLUGIN}:analyze`,
        cache: true,
        dependsOn: ['collect', 'devel'],
        inputs: [
          'kernelConfig',
          'boundaryConfig',
          { dependentTasksOutputFiles: '**/collect/*.json' },
          ...code('boundary/analyze.ts', 'boundary/vmlinux.ts', 'boundary/arm64-references.ts', 'boundary/elf.ts', 'boundary/pipeline.ts', 'executors/analyze/**/*'),
          { externalDependencies: ['nx', 'js-yaml'] },
        ],
        outputs: [dist('boundary')],
        metadata: { description: 'Compute the scheduler boundary: classes with reasons, tainted and undefined functions, shared struct fields', technologies: ['linux'] },
      },
      extract: {
        executor: `${PLUGIN}:extract`,
        cache: true,
        dependsOn: ['analyze', 'source'],
        inputs: [
          'kernelConfig',
          'boundaryConfig',
          { dependentTasksOutputFiles: '**/boundary/*.json' },
          // the collector's facts (positions of every definition), output of collect two steps up
          { dependentTasksOutputFiles: '**/collect/*.json', transitive: true },
          '{workspaceRoot}/tools/runtime/**/*',
          ...code('extract/**/*', 'boundary/pipeline.ts', 'executors/extract/**/*'),
          { externalDependencies: ['nx'] },
        ],
        outputs: [dist('mod')],
        metadata: { description: 'Extract the module code base: edited scheduler sources, generated glue, runtime', technologies: ['linux'] },
      },
      explain: {
        executor: `${PLUGIN}:explain`,
        cache: false,
        dependsOn: ['analyze'],
        metadata: { description: "Explain a function's boundary class: nx run <kernel>:explain --fn=NAME", technologies: ['linux'] },
      },
    },
  };
}
