/**
 * The VM harness on the real Debian 6.1 cloud kernel: boot with 2 vCPUs
 * under QEMU, load and unload a module built against the stored devel tree,
 * keep 1000 threads running, and catch an Oops from a broken module.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestProgram } from '../../plugins/plugsched/src/vm/helpers';
import { toolPath } from '../../plugins/plugsched/src/util/tools';
import { buildInitramfs } from '../../plugins/plugsched/src/vm/initramfs';
import { judgeConsole } from '../../plugins/plugsched/src/vm/judge';
import { bootVm } from '../../plugins/plugsched/src/vm/qemu';
import type { DevelTree } from '../../plugins/plugsched/src/kernel/devel';
import { develTree, WORKSPACE } from '../support/kernel';

let dir: string;
let devel: DevelTree;

function buildModule(name: string, body: string): string {
  const m = join(dir, name);
  spawnSync('mkdir', ['-p', m]);
  writeFileSync(join(m, `${name}.c`), `#include <linux/module.h>\n${body}\nMODULE_LICENSE("GPL");\n`);
  writeFileSync(join(m, 'Kbuild'), `obj-m := ${name}.o\n`);
  const r = spawnSync('make', ['-C', devel.buildDir, `M=${m}`, 'modules'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return join(m, `${name}.ko`);
}

async function boot(files: { src: string; dest: string; mode?: number }[], script: string, name: string) {
  const initramfs = join(dir, `${name}.cpio.gz`);
  await buildInitramfs({ outFile: initramfs, files: [{ src: join(WORKSPACE, 'tools', 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' }, ...files], script: `. /plugsched/lib.sh\n${script}` });
  return bootVm({ kernel: devel.vmlinuz, initramfs, cpus: 2, memMiB: 1024, timeoutSec: 240, logFile: join(dir, `${name}.log`) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plugsched-vm-'));
  devel = await develTree();
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('VM harness on the Debian 6.1 kernel', () => {
  it('boots, loads and unloads a module, and keeps 1000 threads running', async () => {
    const ko = buildModule('hello', 'static int __init h_init(void) { pr_info("plugsched-hello: loaded\\n"); return 0; }\nstatic void __exit h_exit(void) { pr_info("plugsched-hello: unloaded\\n"); }\nmodule_init(h_init);\nmodule_exit(h_exit);');
    const spinners = await guestProgram(toolPath(WORKSPACE, 'vm', 'spinners.c'));
    const run = await boot(
      [{ src: ko, dest: '/plugsched/hello.ko' }, { src: spinners, dest: '/bin/spinners', mode: 0o755 }],
      `scenario_begin module
check insmod "insmod hello.ko" insmod /plugsched/hello.ko
check loaded "dmesg has the init line" sh -c 'dmesg | grep -q "plugsched-hello: loaded"'
check rmmod "rmmod hello" rmmod hello
check unloaded "dmesg has the exit line" sh -c 'dmesg | grep -q "plugsched-hello: unloaded"'
scenario_end
scenario_begin workload
spinners 1000 3 > /tmp/spin.log
check spinners "$(tail -1 /tmp/spin.log)" grep -q "stalled 0" /tmp/spin.log
check started "$(head -1 /tmp/spin.log)" grep -q "started 1000" /tmp/spin.log
scenario_end
`,
      'good',
    );
    const v = judgeConsole(run.console);
    expect(v.reasons, run.console.slice(-3000)).toEqual([]);
    expect(v.pass).toBe(true);
    expect(run.console).toMatch(/PLUGSCHED-BOOTED 6\.1\.0-56-cloud-amd64 cpus=2/);
    expect(v.scenarios.map((s) => s.name)).toEqual(['module', 'workload']);
    expect(run.timedOut).toBe(false);
  }, 300_000);

  it('fails when a module oopses, and shows the Oops lines and the scenario', async () => {
    const ko = buildModule('broken', 'static int __init b_init(void) { *(volatile int *)0 = 1; return 0; }\nmodule_init(b_init);');
    const run = await boot([{ src: ko, dest: '/plugsched/broken.ko' }], 'scenario_begin broken-load\ninsmod /plugsched/broken.ko\nscenario_end\n', 'broken');
    const v = judgeConsole(run.console);
    expect(v.pass).toBe(false);
    expect(v.trouble.some((t) => /BUG: kernel NULL pointer dereference|Oops/.test(t.line))).toBe(true);
    expect(v.trouble[0].scenario).toBe('broken-load');
    expect(v.reasons.join(' ')).toMatch(/the kernel reported trouble during scenario broken-load/);
  }, 300_000);
});
