import type { Tree } from '@nx/devkit';
import { PlugschedError } from '../../util/errors';
import { kernelExists, unknownKernelError } from '../workspace-projects';

export interface SchedulerGeneratorSchema {
  name: string;
  kernel?: string;
  version?: string;
  description?: string;
}

const yamlString = (s: string) => JSON.stringify(s);

/** schedulers/<name>/{scheduler.yaml, patches/.gitkeep, README.md} for an existing kernel project. */
export function schedulerFiles(o: Required<SchedulerGeneratorSchema>): Record<string, string> {
  const yaml = [
    `# ${o.name}: a scheduler variant (format: plugins/plugsched/docs/scheduler-yaml.md).`,
    `kernel: ${o.kernel}`,
    `version: ${o.version}`,
    ...(o.description ? [`description: ${yamlString(o.description)}`] : []),
    '',
  ].join('\n');
  const readme = [
    `# ${o.name}`,
    '',
    o.description || `A scheduler variant for ${o.kernel}.`,
    '',
    `Changes are patches over the kernel's extracted scheduler, applied in name order from \`patches/\``,
    '(plugins/plugsched/docs/workflow.md):',
    '',
    `    npx nx run ${o.name}:edit                      # schedulers/${o.name}/edit: a git tree of the extracted scheduler`,
    `    cd schedulers/${o.name}/edit && git commit -am "Shorter slices"   # after editing kernel/sched/*.c`,
    `    npx nx run ${o.name}:save                      # patches/0001-shorter-slices.patch`,
    `    npx nx run ${o.name}:watch                     # rebuild the module on every change in the tree`,
    '',
    `    npx nx run ${o.name}:module                    # scheduler.ko`,
    `    npx nx build ${o.name}                         # RPM and .deb in dist/schedulers/${o.name}/packages`,
    `    npx nx run ${o.name}:vm-test                   # live-update the kernel in QEMU and run the scenarios`,
    '',
  ].join('\n');
  return { [`schedulers/${o.name}/scheduler.yaml`]: yaml, [`schedulers/${o.name}/patches/.gitkeep`]: '', [`schedulers/${o.name}/README.md`]: readme };
}

export default async function schedulerGenerator(tree: Tree, options: SchedulerGeneratorSchema): Promise<void> {
  const o = { kernel: 'debian-6.1-cloud-amd64', version: '0.1.0', description: '', ...options };
  if (!kernelExists(tree, o.kernel)) throw unknownKernelError(tree, o.kernel, 'Pass --kernel=<one of them>.');
  if (tree.exists(`schedulers/${o.name}`)) throw new PlugschedError(`schedulers/${o.name} already exists; choose another name or edit that variant.`);
  for (const [path, text] of Object.entries(schedulerFiles(o))) tree.write(path, text);
}
