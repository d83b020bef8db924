import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { compileInputsCommand, executorCodeInputs } from './code-inputs';

const PLUGIN = '@plugsched/nx';

function manifest(step: string): string {
  return `{workspaceRoot}/dist/kernels/{projectName}/${step}.json`;
}

function dist(dir: string): string {
  return `{workspaceRoot}/dist/kernels/{projectName}/${dir}`;
}

/** The kernel's store manifests, outputs of fetch/source/devel: they name the store entries a step reads. */
const storeManifest = (step: 'source' | 'devel') => ({ dependentTasksOutputFiles: `**/kernels/*/${step}.json`, transitive: true });

function target(step: string, description: string, dependsOn: string[]): TargetConfiguration {
  return {
    executor: `${PLUGIN}:${step}`,
    cache: true,
    dependsOn,
    inputs: ['kernelConfig', ...executorCodeInputs(step)],
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
      boundaryConfig: [`{workspaceRoot}/${boundaryFile}`, `{workspaceRoot}/${boundaryDir}/*.h`],
    },
    targets: {
      fetch: target('fetch', 'Fetch the kernel packages (local package dir, then apt) and verify their pinned sha256', []),
      source: target('source', 'Unpack the kernel source into the content-addressed store', ['fetch']),
      devel: target('devel', 'Unpack the devel tree, debug vmlinux and boot image into the store', ['fetch']),
      collect: {
        executor: `${PLUGIN}:collect`,
        cache: true,
        dependsOn: ['source', 'devel'],
        // boundary.yaml only through the runtime input (its units and file list): an edit of
        // the interface list leaves the collected facts cached
        inputs: ['kernelConfig', storeManifest('source'), storeManifest('devel'), { runtime: compileInputsCommand(name) }, ...executorCodeInputs('collect')],
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
          storeManifest('devel'),
          ...executorCodeInputs('analyze'),
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
          storeManifest('source'),
          storeManifest('devel'),
          ...executorCodeInputs('extract'),
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
