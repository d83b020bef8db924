/**
 * The end of the main job: show what `nx run <variant>:module` made, then
 * boot the variant's kernel in QEMU with 1000 threads running and live-update
 * it the way a host would (tools/installer/plugsched-install: symbols from
 * /proc/kallsyms, insmod installs the module's scheduler), then roll back.
 *
 *   node -r @swc-node/register tools/demo/show-scheduler.ts scheduler-x86
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { develTree } from '../../plugins/plugsched/src/kernel/artifacts';
import { runLiveUpdate } from '../../plugins/plugsched/src/vm/live-update';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const name = process.argv[2] ?? 'scheduler-x86';
  const sched = loadSchedulerConfig(join('schedulers', name, 'scheduler.yaml'), ROOT);
  const ko = join(ROOT, 'dist', 'schedulers', name, 'scheduler.ko');
  const modinfo = spawnSync('modinfo', [ko], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /^(version|description|vermagic|plugsched_\w+):/.test(l));
  process.stdout.write(`\n${name}: dist/schedulers/${name}/scheduler.ko\n${modinfo.map((l) => `  ${l}`).join('\n')}\n`);
  const pkgDir = join(ROOT, 'dist', 'schedulers', name, 'packages');
  if (existsSync(pkgDir)) process.stdout.write(`packages (dist/schedulers/${name}/packages):\n${readdirSync(pkgDir).sort().map((f) => `  ${f}`).join('\n')}\n`);
  process.stdout.write(`\n${readFileSync(join(ROOT, 'dist', 'kernels', sched.kernel, 'boundary', 'summary.md'), 'utf8')}\n`);

  const devel = await develTree(ROOT, sched.kernel, (l) => process.stdout.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'plugsched-main-'));
  try {
    process.stdout.write(`\nbooting ${devel.kernelRelease} in QEMU (2 vCPUs), 1000 threads running; installing ${name}, then rolling back...\n`);
    const logFile = join(ROOT, 'dist', 'schedulers', name, 'main-vm.log');
    const { run, verdict } = await runLiveUpdate({ workspaceRoot: ROOT, devel, ko, cpus: 2, workDir: dir, logFile });
    for (const s of verdict.scenarios) for (const c of s.checks) process.stdout.write(`  ${c.pass ? 'ok  ' : 'FAIL'} ${s.name}/${c.name}: ${c.evidence}\n`);
    const evidence = run.console.split('\n').filter((l) => /plugsched: (installed|restored)/.test(l)).map((l) => `  ${l.replace(/^\[[ \d.]+\] /, '')}`);
    process.stdout.write(`\n${evidence.join('\n')}\n`);
    process.stdout.write(verdict.pass ? `\n${name} hot-installed into the running kernel and rolled back cleanly (${run.accel}, ${run.seconds.toFixed(1)} s). Console: dist/schedulers/${name}/main-vm.log\n` : `\nFAILED: ${verdict.reasons.join('; ')}\nConsole: dist/schedulers/${name}/main-vm.log\n`);
    return verdict.pass ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
