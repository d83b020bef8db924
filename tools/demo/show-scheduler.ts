/**
 * The end of the main job: show what `nx run <variant>:module` made, then
 * boot the variant's kernel in QEMU and load the module the way the target
 * host will (symbols resolved from /proc/kallsyms, insmod, rmmod).
 *
 *   node -r @swc-node/register tools/demo/show-scheduler.ts scheduler-x86
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { develTree } from '../../plugins/plugsched/src/kernel/artifacts';
import { buildInitramfs } from '../../plugins/plugsched/src/vm/initramfs';
import { judgeConsole } from '../../plugins/plugsched/src/vm/judge';
import { bootVm } from '../../plugins/plugsched/src/vm/qemu';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const name = process.argv[2] ?? 'scheduler-x86';
  const sched = loadSchedulerConfig(join('schedulers', name, 'scheduler.yaml'), ROOT);
  const ko = join(ROOT, 'dist', 'schedulers', name, 'scheduler.ko');
  const modinfo = spawnSync('modinfo', [ko], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /^(version|description|vermagic|plugsched_\w+):/.test(l));
  process.stdout.write(`\n${name}: dist/schedulers/${name}/scheduler.ko\n${modinfo.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`\n${readFileSync(join(ROOT, 'dist', 'kernels', sched.kernel, 'boundary', 'summary.md'), 'utf8')}\n`);

  const devel = await develTree(ROOT, sched.kernel, (l) => process.stdout.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'plugsched-main-'));
  try {
    const resolver = join(dir, 'symbol-resolve');
    if (spawnSync('gcc', ['-O2', '-static', '-o', resolver, join(ROOT, 'tools', 'installer', 'symbol-resolve.c')]).status !== 0) throw new Error('cannot build tools/installer/symbol-resolve.c');
    const initramfs = join(dir, 'initramfs.cpio.gz');
    await buildInitramfs({
      outFile: initramfs,
      files: [
        { src: join(ROOT, 'tools', 'vm', 'lib.sh'), dest: '/plugsched/lib.sh' },
        { src: resolver, dest: '/bin/symbol-resolve', mode: 0o755 },
        { src: ko, dest: '/plugsched/scheduler.ko' },
      ],
      script: `. /plugsched/lib.sh
scenario_begin load-unload
cp /plugsched/scheduler.ko /tmp/scheduler.ko
symbol-resolve /tmp/scheduler.ko > /tmp/resolve.log 2>&1
check resolve "$(cat /tmp/resolve.log)" grep -q "resolved" /tmp/resolve.log
check insmod "insmod scheduler.ko" insmod /tmp/scheduler.ko
check loaded "$(grep ^scheduler /proc/modules)" grep -q "^scheduler " /proc/modules
check rmmod "rmmod scheduler" rmmod scheduler
scenario_end
`,
    });
    process.stdout.write(`\nbooting ${devel.kernelRelease} in QEMU (2 vCPUs) and loading the module...\n`);
    const run = await bootVm({ kernel: devel.vmlinuz, initramfs, cpus: 2, memMiB: 1024, timeoutSec: 240, logFile: join(ROOT, 'dist', 'schedulers', name, 'main-vm.log') });
    const v = judgeConsole(run.console);
    for (const s of v.scenarios) for (const c of s.checks) process.stdout.write(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}: ${c.evidence}\n`);
    process.stdout.write(v.pass ? `\nthe ${name} module links into the running kernel (${run.accel}, ${run.seconds.toFixed(1)} s). Console: dist/schedulers/${name}/main-vm.log\n` : `\nFAILED: ${v.reasons.join('; ')}\n`);
    process.stdout.write('Not yet: the live-update runtime that redirects the running scheduler to the module (next step).\n');
    return v.pass ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
