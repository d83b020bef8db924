/**
 * Kernel modules a VM scenario loads besides the scheduler module (tools/vm/modules/<name>.c,
 * such as the test livepatch), built once per kernel release into the store with the kernel's
 * own kbuild and compiler, and in the guest as /plugsched/modules/<name>.ko.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevelTree } from '../kernel/devel';
import { materialize } from '../kernel/store';
import { toolchainFor } from '../toolchain/toolchain';
import type { KernelConfig } from '../config/kernel-config';
import { kernelBuildRoot } from '../buildroot/buildroot';
import { HOST_ROOT } from '../buildroot/root';
import { codeHash } from '../util/code-closure';
import { PlugschedError } from '../util/errors';
import { sha256File } from '../util/hash';
import { isHostArch } from '../util/host-arch';
import { toolPath } from '../util/tools';

/** The test modules, the scenario that loads each and the kernel configuration each needs (a kernel without it gets none). */
export const GUEST_MODULES: { name: string; scenario: string; needs: string; arch: DevelTree['arch'] }[] = [
  { name: 'plugsched_lp_test', scenario: 'livepatch', needs: 'CONFIG_LIVEPATCH', arch: 'x86' },
  // calls preempt_notifier_register(), which x86 redirects through an ftrace handler (arm64's such entries run on every fork)
  { name: 'plugsched_pn_test', scenario: 'tracing', needs: 'CONFIG_PREEMPT_NOTIFIERS', arch: 'x86' },
];

/** Which test modules the scenarios need and this kernel can load: its architecture and configuration (pure). */
export function guestModulesFor(config: string, arch: DevelTree['arch'], scenarios: string[]): string[] {
  return GUEST_MODULES.filter((m) => scenarios.includes(m.scenario) && m.arch === arch && new RegExp(`^${m.needs}=y$`, 'm').test(config)).map((m) => m.name);
}

/** tools/vm/modules/<name>.c built for the devel tree's kernel: the .ko's path. */
export async function guestModule(workspaceRoot: string, name: string, devel: DevelTree, kernel?: Pick<KernelConfig, 'suite' | 'file' | 'packages'>): Promise<string> {
  const src = toolPath(workspaceRoot, 'vm', 'modules', `${name}.c`);
  // a kernel of another suite is compiled in that suite's build root (buildroot/buildroot.ts)
  const root = kernel === undefined ? HOST_ROOT : await kernelBuildRoot(kernel, devel.config, undefined, workspaceRoot);
  const tc = await toolchainFor(devel.config, devel.arch, root);
  const inputs = { name, source: await sha256File(src), release: devel.kernelRelease, arch: devel.arch, cc: tc.version, ...(root === HOST_ROOT ? {} : { root: root.name }) };
  const entry = await materialize({ kind: 'vmmodule', recipe: codeHash({ files: ['vm/guest-module.ts'] }), inputs }, async (dir) => {
    copyFileSync(src, join(dir, `${name}.c`));
    writeFileSync(join(dir, 'Kbuild'), `obj-m := ${name}.o\n`);
    const cross = isHostArch(devel.arch) ? [] : [`ARCH=${tc.arch}`, `CROSS_COMPILE=${tc.crossCompile}`];
    const r = await root.run('make', ['-C', devel.buildDir, `M=${dir}`, ...cross, `CC=${tc.cc}`, 'KBUILD_MODPOST_WARN=1', 'modules']);
    if (r.code !== 0) throw new PlugschedError(`Building the test module ${name} (tools/vm/modules/${name}.c) for ${devel.kernelRelease} failed:\n${`${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 10).join('\n')}`);
  });
  return join(entry, `${name}.ko`);
}
