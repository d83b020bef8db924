import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { payloadDir } from '../../package/payload';
import { PlugschedError } from '../../util/errors';
import { run } from '../../util/run';
import { parseProbeLines, probeSummary } from '../../vm/probe';
import { runLiveUpdate } from '../../vm/live-update';
import { fullRunScenarios, pickScenarios, vmScenarios } from '../../vm/scenarios';
import { buildVariantProbes, collectVariantTests, mergeScenarios } from '../../vm/variant-tests';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

export interface VmTestOptions {
  cpus?: number;
  memory?: number;
  scenarios?: string[] | string;
  interactive?: boolean;
  tcg?: 'multi' | 'single';
}

/** The RPM of dist/schedulers/<name>/packages, unpacked: the files the guest installs. */
async function unpackRpmPayload(outDir: string, work: string, release: string): Promise<{ rpm: string; ko: string; installer: string; resolver: string }> {
  const dir = join(outDir, 'packages');
  const rpm = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.rpm')) : undefined;
  if (rpm === undefined) throw new PlugschedError(`No RPM in ${dir}; run the build target first.`);
  const root = join(work, 'payload');
  mkdirSync(root, { recursive: true });
  const r = await run('sh', ['-c', 'rpm2cpio "$1" | (cd "$2" && cpio -idm --quiet)', 'sh', join(dir, rpm), root]);
  if (r.code !== 0) throw new PlugschedError(`Cannot unpack ${rpm}: ${r.stderr.trim()}`);
  const p = (f: string) => join(root, payloadDir(release).slice(1), f);
  return { rpm, ko: p('scheduler.ko'), installer: p('plugsched-install'), resolver: p('symbol-resolve') };
}

/**
 * Live-update the variant's kernel in QEMU and run the scenarios, the built-in ones and then the
 * variant's own (schedulers/<name>/tests): dist/schedulers/<name>/vm-test.{log,json}.
 */
export default async function vmTestExecutor(options: VmTestOptions, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['vm-test.log', 'vm-test.json'], async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    // the variant's tests are checked first: a bad one is named before anything is fetched or booted
    const tests = collectVariantTests(workspaceRoot, scheduler.dir);
    const fullRun = [...fullRunScenarios(workspaceRoot), ...tests.scenarios.filter((s) => s.inFullRun).map((s) => s.name)];
    const scenarios = typeof options.scenarios === 'string' ? options.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : (options.scenarios ?? fullRun);
    pickScenarios(scenarios, mergeScenarios(vmScenarios(workspaceRoot), tests.scenarios));
    const devel = await ensureDevel(kernel, log);
    const cpus = options.cpus ?? 2;
    if (tests.probes.length > 0) log(`vm-test: building the variant's guest programs for ${devel.arch}: ${tests.probes.map((p) => p.file).join(', ')}`);
    const probes = await buildVariantProbes(workspaceRoot, tests.probes, devel.arch);
    const work = mkdtempSync(join(tmpdir(), 'plugsched-vm-test-'));
    try {
      log(`vm-test: booting ${devel.kernelRelease} in QEMU with ${cpus} vCPUs${options.tcg === 'single' ? ' (single-threaded TCG when KVM is not usable)' : ''}; scenarios: ${scenarios.join(', ')}`);
      const logFile = join(outDir, 'vm-test.log');
      // what the guest installs is the RPM's payload, exactly as a host would get it
      const payload = await unpackRpmPayload(outDir, work, devel.kernelRelease);
      log(`vm-test: installing from ${payload.rpm}`);
      const { run, verdict } = await runLiveUpdate({ workspaceRoot, devel, kernel, ko: payload.ko, installer: payload.installer, resolver: payload.resolver, cpus, memMiB: options.memory, scenarios, tests: { variant: scheduler.name, version: scheduler.version, scenarios: tests.scenarios, probes }, expectMessage: scheduler.marker ?? undefined, workDir: work, logFile, interactive: options.interactive, tcg: options.tcg });
      for (const s of verdict.scenarios) {
        log(`  ${s.status === 'pass' ? 'pass' : s.status.toUpperCase()} ${s.name} (${s.ms ?? '?'} ms)`);
        for (const c of s.checks) if (!c.pass) log(`       FAIL ${c.name}: ${c.evidence}`);
      }
      const switches = run.console.split('\n').filter((l) => /PLUGSCHED-DMESG .*plugsched: (installed|restored) /.test(l)).map((l) => l.replace(/^.*plugsched: /, ''));
      for (const l of switches.slice(0, 3)) log(`  ${l}`);
      // what a SCHED_FIFO thread on each CPU felt of every switch (tools/vm/latprobe.c)
      const latencyProbe = parseProbeLines(run.console);
      for (const p of latencyProbe.slice(0, 3)) log(`  ${probeSummary(p)}`);
      writeFileSync(join(outDir, 'vm-test.json'), `${JSON.stringify({ kernel: kernel.id, release: devel.kernelRelease, cpus, accel: run.accel, pass: verdict.pass, reasons: verdict.reasons, scenarios: verdict.scenarios, switches, latencyProbe }, null, 2)}\n`);
      if (!verdict.pass) {
        // the first sign of trouble and what the kernel printed after it (the oops and its call trace)
        const lines = run.console.split('\n');
        const first = verdict.trouble.length > 0 ? lines.findIndex((l) => l.includes(verdict.trouble[0].line)) : -1;
        // no sign of trouble but no end either: the console's last lines say where it stood
        const shown = first >= 0 ? lines.slice(first, first + 40) : verdict.done ? [] : lines.slice(-30);
        const trouble = shown.map((l) => `  ${l.replace(/\r$/, '')}`).join('\n');
        const stopped = run.stopped ? ` (the VM was stopped ${run.stopped})` : '';
        throw new PlugschedError(`vm-test of ${scheduler.name} failed: ${verdict.reasons.join('; ')}${stopped}${trouble ? `\nConsole${first >= 0 ? '' : ', last lines'}:\n${trouble}` : ''}\nFull console: dist/schedulers/${scheduler.name}/vm-test.log; results: vm-test.json.`);
      }
      log(`vm-test: ${scheduler.name} passed ${verdict.scenarios.length} scenarios (${run.accel}, ${run.seconds.toFixed(0)} s)`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
