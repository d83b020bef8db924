import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ensureDevel } from '../../kernel/devel';
import { buildModule } from '../../module/build-module';
import { buildPackages } from '../../package/build-packages';
import { PlugschedError } from '../../util/errors';
import { toolPath } from '../../util/tools';
import { guestProgram } from '../../vm/helpers';
import { makePayloadDisk, nextVersion, otherRelease, runHostTest, twinVariant } from '../../vm/host-test';
import { ensureDebianRootfs } from '../../vm/rootfs';
import type { ExecutorResult } from '../kernel-step';
import { runSchedulerStep } from '../scheduler-step';

export interface HostTestOptions {
  cpus?: number;
  memory?: number;
}

/**
 * The variant's .deb installed, rebooted into and removed on a booted Debian guest with systemd
 * (docs/vm-test.md, "On a real Debian guest"): dist/schedulers/<name>/host-test.{log,json}.
 */
export default async function hostTestExecutor(options: HostTestOptions, context: ExecutorContext): Promise<ExecutorResult> {
  return runSchedulerStep(context, ['host-test.log', 'host-test.json'], async ({ workspaceRoot, scheduler, kernel, outDir, log }) => {
    const packages = join(outDir, 'packages');
    const built = existsSync(packages) ? readdirSync(packages) : [];
    const deb = built.find((f) => f.endsWith('.deb'));
    const rpm = built.find((f) => f.endsWith('.rpm'));
    if (deb === undefined || rpm === undefined) throw new PlugschedError(`No .deb and .rpm in dist/schedulers/${scheduler.name}/packages; run "nx run ${scheduler.name}:build" first.`);
    const rootfs = await ensureDebianRootfs(workspaceRoot, kernel, log);
    const devel = await ensureDevel(kernel, log);
    const work = mkdtempSync(join(tmpdir(), 'plugsched-host-test-'));
    try {
      // two packages the guest must refuse: the variant for a kernel release it does not have, and
      // a second variant for its own kernel (one scheduler per kernel: their packages conflict)
      const other = otherRelease(devel.kernelRelease);
      const summary = join(workspaceRoot, 'dist', 'kernels', kernel.id, 'boundary', 'summary.md');
      const resolver = await guestProgram(toolPath(workspaceRoot, 'installer', 'symbol-resolve.c'), devel.arch);
      const sources = { ko: join(outDir, 'scheduler.ko'), installer: toolPath(workspaceRoot, 'installer', 'plugsched-install'), resolver, boundarySummary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' };
      const pkg = (variant: string, release: string, dir: string, version = scheduler.version, ko = sources.ko) =>
        buildPackages({ variant, version, description: scheduler.description, kernelId: kernel.id, release, arch: devel.arch }, { ...sources, ko }, join(work, dir), () => undefined);
      const otherDeb = (await pkg(scheduler.name, other, 'other')).deb;
      const twinDeb = (await pkg(twinVariant(scheduler.name), devel.kernelRelease, 'twin')).deb;
      // the upgrade: the same sources built again as the next version (another module, another name)
      const next = { ...scheduler, version: nextVersion(scheduler.version) };
      const nextKo = join(work, 'next', 'scheduler.ko');
      log(`host-test: building ${scheduler.name} ${next.version}, the upgrade the guest installs over ${scheduler.version}`);
      await buildModule({ srcDir: join(outDir, 'src'), outKo: nextKo, devel, scheduler: next, kernelId: kernel.id, kernel, log });
      const nextPackages = await pkg(scheduler.name, devel.kernelRelease, 'next-packages', next.version, nextKo);
      const disk = await makePayloadDisk(
        workspaceRoot,
        { variant: scheduler.name, release: devel.kernelRelease, deb: join(packages, deb), otherDeb, twinDeb, rpm: join(packages, rpm), nextDeb: nextPackages.deb, nextRpm: nextPackages.rpm, nextVersion: next.version },
        work,
      );
      const cpus = options.cpus ?? 2;
      log(`host-test: booting Debian ${kernel.suite ?? ''} with systemd on ${devel.kernelRelease} in QEMU (${cpus} vCPUs); the guest installs ${deb} with apt, reboots, upgrades it to ${next.version}, removes it`.replace('  ', ' '));
      const { run, verdict } = await runHostTest({ rootfs, payloadDisk: disk, cpus, memMiB: options.memory ?? 1024, logFile: join(outDir, 'host-test.log'), log });
      for (const s of verdict.scenarios) {
        log(`  ${s.status === 'pass' ? 'pass' : s.status.toUpperCase()} ${s.name} (${s.ms ?? '?'} ms)`);
        for (const c of s.checks) if (!c.pass) log(`       FAIL ${c.name}: ${c.evidence}`);
      }
      const boots = (run.console.match(/PLUGSCHED-BOOTED/g) ?? []).length;
      writeFileSync(join(outDir, 'host-test.json'), `${JSON.stringify({ kernel: kernel.id, release: devel.kernelRelease, deb, otherRelease: other, cpus, accel: run.accel, boots, pass: verdict.pass, reasons: verdict.reasons, scenarios: verdict.scenarios }, null, 2)}\n`);
      if (!verdict.pass) {
        const stopped = run.stopped ? ` (the VM was stopped ${run.stopped})` : '';
        const last = run.console.split('\n').slice(-25).map((l) => `  ${l.replace(/\r$/, '')}`).join('\n');
        throw new PlugschedError(`host-test of ${scheduler.name} failed: ${verdict.reasons.join('; ')}${stopped}\nConsole, last lines:\n${last}\nFull console: dist/schedulers/${scheduler.name}/host-test.log; results: host-test.json.`);
      }
      log(`host-test: ${scheduler.name} passed on a booted Debian guest (${boots} boots, ${run.accel}, ${run.seconds.toFixed(0)} s)`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
