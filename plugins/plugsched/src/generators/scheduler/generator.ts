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

/** The scaffolded VM test's scenario name (its file is tests/10-<scenario>.sh). */
export function exampleTestName(name: string): string {
  return `${name}-runs`;
}

/**
 * The example VM test a new variant starts with (busybox sh, helpers from tools/vm/lib.sh;
 * plugins/plugsched/docs/vm-test.md, "Variant tests"): it checks the built-in scheduler before
 * the install, the variant while installed, and the built-in one after the rollback.
 */
export function exampleTest(name: string): string {
  const scenario = exampleTestName(name);
  const fn = `scenario_${scenario.replace(/-/g, '_')}`;
  return [
    `# ${scenario}: the example VM test of ${name}; nx run ${name}:vm-test runs it after the built-in`,
    `# scenarios, alone: nx run ${name}:vm-test --scenarios=${scenario}. Make it prove what your patches`,
    '# change: check the change is absent before the install, present while the module runs, and',
    '# absent again after the rollback (plugins/plugsched/docs/vm-test.md, "Variant tests").',
    '#',
    "# The file is sourced by the guest's busybox sh and must define scenario_<name>, <name> being the",
    '# file name without its NN- order and .sh. Helpers (tools/vm/lib.sh): scenario_begin NAME and',
    '# scenario_end around the checks; check NAME EVIDENCE COMMAND... (PASS when COMMAND succeeds);',
    '# sched_install and sched_uninstall (output in $out); installed; workload_start THREADS and',
    "# workload_stop. $VARIANT and $VARIANT_VERSION are this variant's. A C file next to this one",
    '# (tests/<prog>.c) is built static for the guest and is on its PATH as <prog>.',
    '',
    `${name.replace(/-/g, '_')}_builtin() {`,
    '	[ ! -d /sys/kernel/plugsched ]',
    '}',
    '',
    `${fn}() {`,
    `	scenario_begin ${scenario}`,
    `	check builtin-before "$(plugsched-install status | head -1)" ${name.replace(/-/g, '_')}_builtin`,
    '',
    '	sched_install; rc=$?',
    '	check install "$out" [ $rc = 0 ]',
    '	v=$(cat /sys/kernel/plugsched/version)',
    '	check variant-runs "version: $v" [ "$v" = "$VARIANT $VARIANT_VERSION" ]',
    '	# your change here, for example a sched feature your patches add:',
    '	#   check my-feature-shows "$(cat /sys/kernel/debug/sched/features)" grep -qw MY_FEATURE /sys/kernel/debug/sched/features',
    '	r=$(schedtool yield 100)',
    '	check schedules "$r" [ -n "$r" ]',
    '',
    '	sched_uninstall; rc=$?',
    '	check uninstall "$out" [ $rc = 0 ]',
    `	check builtin-after "$(plugsched-install status | head -1)" ${name.replace(/-/g, '_')}_builtin`,
    '	scenario_end',
    '}',
    '',
  ].join('\n');
}

/** schedulers/<name>/{scheduler.yaml, patches/.gitkeep, README.md, tests/10-<name>-runs.sh} for an existing kernel project. */
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
    `Its own VM test, \`tests/10-${exampleTestName(o.name)}.sh\`, runs after the built-in scenarios; change it to prove`,
    'what the patches change (plugins/plugsched/docs/vm-test.md, "Variant tests"):',
    '',
    `    npx nx run ${o.name}:vm-test --scenarios=live-update,${exampleTestName(o.name)}`,
    '',
  ].join('\n');
  return {
    [`schedulers/${o.name}/scheduler.yaml`]: yaml,
    [`schedulers/${o.name}/patches/.gitkeep`]: '',
    [`schedulers/${o.name}/README.md`]: readme,
    [`schedulers/${o.name}/tests/10-${exampleTestName(o.name)}.sh`]: exampleTest(o.name),
  };
}

export default async function schedulerGenerator(tree: Tree, options: SchedulerGeneratorSchema): Promise<void> {
  const o = { kernel: 'debian-6.1-cloud-amd64', version: '0.1.0', description: '', ...options };
  if (!kernelExists(tree, o.kernel)) throw unknownKernelError(tree, o.kernel, 'Pass --kernel=<one of them>.');
  if (tree.exists(`schedulers/${o.name}`)) throw new PlugschedError(`schedulers/${o.name} already exists; choose another name or edit that variant.`);
  for (const [path, text] of Object.entries(schedulerFiles(o))) tree.write(path, text);
}
