import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { executorCodeInputs } from './code-inputs';

const PLUGIN = '@plugsched/nx';

function out(file: string): string {
  return `{workspaceRoot}/dist/schedulers/{projectName}/${file}`;
}

function target(step: string, description: string, extra: Partial<TargetConfiguration>): TargetConfiguration {
  return {
    executor: `${PLUGIN}:${step}`,
    cache: true,
    metadata: { description, technologies: ['linux'] },
    ...extra,
  };
}

/**
 * The project inferred from schedulers/<name>/scheduler.yaml. Its targets hash
 * the kernel's extracted code (the upstream task's output files), not the
 * kernel's inputs: a kernel bump that leaves the extracted scheduler unchanged
 * rebuilds nothing here.
 */
export function schedulerProject(projectRoot: string, kernelId: string | null): ProjectConfiguration {
  const name = projectRoot.split('/').pop() as string;
  // The kernel's compilers (print-runtime-input.ts): the copy its collect wrote, hashed as a
  // dependency output. Nx runs a runtime input once per task it hashes; collect runs it, and
  // module and build, which always have that collect among their dependencies, read its text
  // (print-runtime-input.ts COMPILE_INPUTS_FILE; docs/caching.md).
  const compilersOfKernel = { dependentTasksOutputFiles: `**/kernels/${kernelId ?? ''}/collect/compile-inputs.txt`, transitive: true };
  return {
    name,
    root: projectRoot,
    projectType: 'application',
    tags: ['plugsched:scheduler'],
    implicitDependencies: kernelId ? [kernelId] : [],
    namedInputs: {
      variant: ['{projectRoot}/scheduler.yaml', '{projectRoot}/patches/**/*'],
    },
    targets: {
      'apply-patches': target('apply-patches', "The kernel's extracted scheduler with this variant's patches applied", {
        dependsOn: ['^extract'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/*', transitive: false },
          // a variant with sidecars of its own extracts again (module/variant-sidecars.ts): from the
          // collector's facts, the boundary and vmlinux facts, and the pristine source tree
          { dependentTasksOutputFiles: '**/collect/*.json', transitive: true },
          { dependentTasksOutputFiles: '**/boundary/*.json', transitive: true },
          { dependentTasksOutputFiles: '**/kernels/*/source.json', transitive: true },
          ...executorCodeInputs('apply-patches'),
        ],
        outputs: [out('src')],
      }),
      module: target('module', "scheduler.ko: kbuild of the variant's sources against the kernel's devel tree", {
        dependsOn: ['apply-patches'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/src/**/*', transitive: false },
          ...(kernelId ? [`{workspaceRoot}/kernels/${kernelId}/kernel.yaml`, compilersOfKernel] : []),
          // the devel tree it builds against
          { dependentTasksOutputFiles: '**/kernels/*/devel.json', transitive: true },
          ...executorCodeInputs('module'),
        ],
        outputs: [out('scheduler.ko')],
      }),
      build: target('build', 'scheduler.ko packaged as an RPM (rpmbuild) and a .deb (dpkg-deb), reproducibly', {
        dependsOn: ['module'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/*', transitive: false },
          // what it ships besides the module: the boundary's summary, the devel tree's release
          { dependentTasksOutputFiles: '**/boundary/summary.md', transitive: true },
          { dependentTasksOutputFiles: '**/kernels/*/devel.json', transitive: true },
          { runtime: 'rpmbuild --version' },
          { runtime: 'dpkg-deb --version | head -1' },
          // the guest symbol-resolve it ships is compiled by the guest compiler (toolchain.ts)
          ...(kernelId ? [compilersOfKernel] : []),
          ...executorCodeInputs('build'),
        ],
        outputs: [out('packages')],
      }),
      edit: {
        executor: `${PLUGIN}:edit`,
        cache: false,
        dependsOn: ['^extract'],
        metadata: { description: 'schedulers/<name>/edit: a git tree of the extracted scheduler, one commit per patch', technologies: ['linux'] },
      },
      save: {
        executor: `${PLUGIN}:save`,
        cache: false,
        metadata: { description: "Write the edit tree's commits back as patches/NNNN-<subject>.patch", technologies: ['linux'] },
      },
      watch: {
        executor: `${PLUGIN}:watch`,
        cache: false,
        continuous: true,
        metadata: { description: 'Rebuild the module from the edit tree on every change', technologies: ['linux'] },
      },
      'vm-test': target('vm-test', "Live-update the kernel in QEMU with the RPM's payload, run the scenarios, roll back", {
        dependsOn: ['build'],
        inputs: [
          'variant',
          // the variant's own tests: scenarios and guest programs (docs/vm-test.md)
          '{projectRoot}/tests/**/*',
          { dependentTasksOutputFiles: '**/packages/*.rpm', transitive: false },
          { dependentTasksOutputFiles: '**/kernels/*/devel.json', transitive: true },
          ...executorCodeInputs('vm-test'),
        ],
        outputs: [out('vm-test.json'), out('vm-test.log')],
      }),
      'host-test': target('host-test', "The .deb on a booted Debian guest with systemd: apt install, reboot, apt remove (amd64 kernels of the machine's suite)", {
        dependsOn: ['build'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/packages/*.deb', transitive: false },
          { dependentTasksOutputFiles: '**/kernels/*/devel.json', transitive: true },
          // the root filesystem is made from the machine's apt sources: what mmdebstrap does with them
          { runtime: 'mmdebstrap --version 2>/dev/null || echo none' },
          ...executorCodeInputs('host-test'),
        ],
        outputs: [out('host-test.json'), out('host-test.log')],
      }),
      // a measurement, not a build: never served from a cache (docs/bench.md), and never run beside
      // another task, whose CPU use would be measured with it
      bench: {
        executor: `${PLUGIN}:bench`,
        cache: false,
        parallelism: false,
        dependsOn: ['module'],
        metadata: { description: 'A/B benchmark in one VM: built-in scheduler and variant in interleaved rounds; medians, ranges, ratios (docs/bench.md)', technologies: ['linux'] },
        outputs: [out('bench.json'), out('bench.md'), out('bench.svg'), out('bench.log')],
      },
    },
  };
}
