import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';

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
  return {
    name,
    root: projectRoot,
    projectType: 'application',
    tags: ['plugsched:scheduler'],
    namedInputs: {
      variant: ['{projectRoot}/scheduler.yaml', '{projectRoot}/patches/**/*'],
    },
    targets: {
      sources: target('sources', "The kernel's extracted scheduler with this variant's patches applied", {
        dependsOn: ['^extract'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/*', transitive: false },
          '{workspaceRoot}/plugins/plugsched/src/module/apply-patches.ts',
          '{workspaceRoot}/plugins/plugsched/src/executors/sources/**/*',
          { externalDependencies: ['nx'] },
        ],
        outputs: [out('src')],
      }),
      module: target('module', "scheduler.ko: kbuild of the variant's sources against the kernel's devel tree", {
        dependsOn: ['sources'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/src/**/*', transitive: false },
          ...(kernelId ? [`{workspaceRoot}/kernels/${kernelId}/kernel.yaml`] : []),
          '{workspaceRoot}/plugins/plugsched/src/module/**/*',
          // the built module's __schedule is checked against the springboard layout
          '{workspaceRoot}/plugins/plugsched/src/extract/springboard.ts',
          '{workspaceRoot}/plugins/plugsched/src/extract/springboard-arm64.ts',
          '{workspaceRoot}/plugins/plugsched/src/boundary/elf.ts',
          // the cross compiler's choice for a kernel of another architecture
          '{workspaceRoot}/plugins/plugsched/src/boundary/collect.ts',
          '{workspaceRoot}/plugins/plugsched/src/util/host-arch.ts',
          '{workspaceRoot}/plugins/plugsched/src/executors/module/**/*',
          { runtime: 'gcc-12 --version' },
          { externalDependencies: ['nx'] },
        ],
        outputs: [out('scheduler.ko')],
      }),
      build: target('build', 'scheduler.ko packaged as an RPM (rpmbuild) and a .deb (dpkg-deb), reproducibly', {
        dependsOn: ['module'],
        inputs: [
          'variant',
          { dependentTasksOutputFiles: '**/*', transitive: false },
          '{workspaceRoot}/tools/installer/**/*',
          '{workspaceRoot}/plugins/plugsched/src/package/**/*',
          '{workspaceRoot}/plugins/plugsched/src/executors/build/**/*',
          { runtime: 'rpmbuild --version' },
          { runtime: 'dpkg-deb --version | head -1' },
          { externalDependencies: ['nx'] },
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
          { dependentTasksOutputFiles: '**/packages/*.rpm', transitive: false },
          '{workspaceRoot}/tools/installer/**/*',
          '{workspaceRoot}/tools/vm/**/*',
          '{workspaceRoot}/plugins/plugsched/src/vm/**/*',
          '{workspaceRoot}/plugins/plugsched/src/executors/vm-test/**/*',
          { externalDependencies: ['nx'] },
        ],
        outputs: [out('vm-test.json'), out('vm-test.log')],
      }),
    },
  };
}
