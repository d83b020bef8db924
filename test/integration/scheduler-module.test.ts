/**
 * Scheduler variants on the real 6.1 kernel: sources (extracted base +
 * patches) and scheduler.ko (kbuild against the stored devel tree), built in
 * two workspaces at different paths.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLiveUpdate } from '../../plugins/plugsched/src/vm/live-update';
import { parseProbeLines, probeSummary } from '../../plugins/plugsched/src/vm/probe';
import { develTree, WORKSPACE } from '../support/kernel';
import { records, startCacheServerProcess, type CacheServerProcess } from '../support/remote-cache';
import { treeHash } from '../support/tree-hash';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

let a: TempWorkspace;
let b: TempWorkspace;
let c: TempWorkspace;
let cache: CacheServerProcess;
let cacheDir: string;
const TOKEN = 'test-token';
const READ_TOKEN = 'test-read-token';
const ko = (ws: TempWorkspace, v: string) => join(ws.dir, 'dist', 'schedulers', v, 'scheduler.ko');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const modinfo = (f: string, field: string) => spawnSync('modinfo', ['-F', field, f], { encoding: 'utf8' }).stdout.trim();

beforeAll(() => {
  a = tempWorkspace({ schedulers: ['hello-sched', 'scheduler-x86'] });
  const r = a.nx(['run-many', '-t', 'module', '-p', 'hello-sched', 'scheduler-x86', '--output-style=stream']);
  if (r.code !== 0) throw new Error(r.out);
}, 900_000);
afterAll(async () => {
  a?.dispose();
  b?.dispose();
  c?.dispose();
  await cache?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('scheduler modules for Debian 6.1', () => {
  it('applies the variant patch to the extracted base', () => {
    const core = readFileSync(join(a.dir, 'dist', 'schedulers', 'hello-sched', 'src', 'kernel', 'sched', 'core.c'), 'utf8');
    expect(core).toContain('printk_once("scheduler: Hi, I\'m the new scheduler!\\n");');
    const src = (v: string, f: string) => readFileSync(join(a.dir, 'dist', 'schedulers', v, 'src', 'kernel', 'sched', f), 'utf8');
    const base = (f: string) => readFileSync(join(a.dir, 'dist', 'kernels', 'debian-6.1-cloud-amd64', 'mod', 'kernel', 'sched', f), 'utf8');
    // scheduler-x86's documented example: a sched feature of its own, used in wake_up_new_task
    expect(src('scheduler-x86', 'features.h')).toContain('SCHED_FEAT(PLUGSCHED_FORK_LOG, false)');
    expect(src('scheduler-x86', 'core.c')).toContain('if (sched_feat(PLUGSCHED_FORK_LOG))');
    // files no patch touches are the extracted base, byte for byte
    expect(src('scheduler-x86', 'fair.c')).toBe(base('fair.c'));
  });

  it('builds scheduler.ko for the exact kernel release and names the variant in modinfo', () => {
    const f = ko(a, 'hello-sched');
    expect(modinfo(f, 'vermagic').split(' ')[0]).toBe('6.1.0-56-cloud-amd64');
    expect(modinfo(f, 'plugsched_variant')).toBe('hello-sched');
    expect(modinfo(f, 'version')).toBe('1.0.0');
    expect(modinfo(f, 'plugsched_kernel')).toBe('debian-6.1-cloud-amd64 6.1.0-56-cloud-amd64');
    expect(modinfo(f, 'license')).toBe('GPL');
  });

  it('takes every symbol it lacks from the kernel: exported, or resolvable unambiguously from kallsyms', async () => {
    const devel = await develTree();
    const exported = new Set(readFileSync(join(devel.buildDir, 'Module.symvers'), 'utf8').split('\n').map((l) => l.split('\t')[1]));
    const counts = new Map<string, number>();
    for (const l of readFileSync(devel.systemMap, 'utf8').split('\n')) {
      const n = l.split(' ')[2];
      if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    const und = spawnSync('nm', ['-u', ko(a, 'scheduler-x86')], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() as string).filter(Boolean);
    expect(und.length).toBeGreaterThan(100);
    const unresolvable = und.filter((n) => !exported.has(n) && counts.get(n.replace(/^__orig_/, '')) !== 1);
    expect(unresolvable).toEqual([]);
  });

  // The proof: the variants hot-install into the real kernel while 1000 threads run,
  // schedule, and roll back to the built-in scheduler with every entry restored: hello-sched (a
  // patched variant with its own feature) on 4 vCPUs, twice as many as the machine has cores;
  // scheduler-x86 on 2 in the vm-test below, with every scenario.
  it.each([
    { variant: 'hello-sched', cpus: 4, scenarios: ['live-update', 'features'] },
  ])('live-updates the running kernel: $variant on $cpus vCPUs ($scenarios)', async ({ variant, cpus, scenarios }) => {
    const devel = await develTree();
    const expectMessage = variant === 'hello-sched' ? "scheduler: Hi, I'm the new scheduler!" : undefined;
    const { run, verdict } = await runLiveUpdate({ workspaceRoot: WORKSPACE, devel, ko: ko(a, variant), cpus, scenarios, expectMessage, workDir: a.dir, logFile: join(a.dir, `${variant}-${cpus}.log`) });
    const tail = run.console.slice(-4000);
    expect(verdict.reasons, tail).toEqual([]);
    const checks = verdict.scenarios.flatMap((s) => s.checks.map((c) => `${s.name}/${c.name}`));
    expect(checks).toEqual(expect.arrayContaining(['install/install', 'install/all-entries-patched', 'install/workload-runs', 'rollback/entries-restored', 'rollback/builtin-runs', 'rollback/workload-never-stalled']));
    if (scenarios.includes('conflict')) expect(checks).toEqual(expect.arrayContaining(['conflict/refused', 'conflict/names-the-function', 'conflict/installs-once-free']));
    // the variant's own feature is served by the module's debugfs handlers, and goes away with it
    if (scenarios.includes('features')) expect(verdict.scenarios.find((s) => s.name === 'features')?.checks.find((c) => c.name === 'variant-feature-shows')?.evidence).toMatch(/PLUGSCHED_HELLO/);
    if (expectMessage) expect(checks).toContain('install/variant-runs');
    else expect(run.console).not.toContain("Hi, I'm the new scheduler");
    expect(run.console).toMatch(new RegExp(`plugsched: installed the module's scheduler: ${cpus} cpus, \\d{4} threads, \\d+ tasks moved, stop machine \\d+ us, stack check \\d+ us, state rebuild \\d+ us, text patching \\d+ us, total \\d+ us`));
    expect(run.console).toMatch(/plugsched: restored the built-in scheduler: /);
    // the latency probe saw every switch: no thread runs while the machine is stopped, so a
    // timer due in the first period of it wakes at least (stop machine - period) late
    const felt = parseProbeLines(run.console);
    expect(felt.map((p) => p.switch).slice(0, 2), tail).toEqual(['install', 'rollback']);
    for (const p of felt) expect(p.probeUs, probeSummary(p)).toBeGreaterThanOrEqual(p.stopMachineUs - 1000);
  }, 420_000);

  it('packages hello-sched as an RPM and a .deb that install with the distro tools, bit for bit reproducibly', () => {
    const r = a.nx(['run', 'hello-sched:build', '--output-style=stream']);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    const dir = join(a.dir, 'dist', 'schedulers', 'hello-sched', 'packages');
    const rpm = join(dir, 'scheduler-hello-sched-1.0.0-6.1.0_56_cloud_amd64.x86_64.rpm');
    const deb = join(dir, 'scheduler-hello-sched_1.0.0+6.1.0.56.cloud.amd64_amd64.deb');
    const before = [sha(ko(a, 'hello-sched')), sha(rpm), sha(deb)];
    // the rebuild's module compiles from ccache (module/compile-cache.ts): the same bytes
    expect(a.nx(['run', 'hello-sched:build', '--skip-nx-cache']).code).toBe(0);
    expect([sha(ko(a, 'hello-sched')), sha(rpm), sha(deb)]).toEqual(before);

    const release = '6.1.0-56-cloud-amd64';
    const payload = `/usr/lib/plugsched/${release}`;
    const files = [`${payload}/VERSION`, `${payload}/boundary-summary.md`, `${payload}/plugsched-install`, `${payload}/scheduler.ko`, `${payload}/symbol-resolve`, '/usr/lib/systemd/system/scheduler-hello-sched-boot-done.service', '/usr/lib/systemd/system/scheduler-hello-sched.service'];
    const q = (args: string[]) => spawnSync('rpm', ['-qp', ...args, rpm], { encoding: 'utf8' }).stdout;
    expect(q(['-l']).trim().split('\n')).toEqual(['/usr/lib/plugsched', payload, ...files]);
    expect(q(['--requires'])).toContain(`kernel-uname-r(${release})`);
    expect(q(['--conflicts']).trim()).toBe(`plugsched-scheduler-${release}`);

    // install with rpm into a scratch root, then run its scripts there against a fake uname -r
    const root = join(a.dir, 'rpm-root');
    const inst = spawnSync('rpm', ['--root', root, '--dbpath', join(root, 'rpmdb'), '-i', '--nodeps', '--noscripts', rpm], { encoding: 'utf8' });
    expect(inst.status, inst.stderr).toBe(0);
    for (const f of files) expect(existsSync(join(root, f)), f).toBe(true);
    expect(readFileSync(join(root, '/usr/lib/systemd/system/scheduler-hello-sched.service'), 'utf8')).toContain(`ExecStart=${payload}/plugsched-install install ${payload}/scheduler.ko`);
    const fake = join(a.dir, 'fake-bin');
    mkdirSync(fake, { recursive: true });
    const calls = join(a.dir, 'installer-calls');
    // the scripts read no environment: run them as if chrooted into root (their absolute paths moved there), the
    // payload's installer replaced by a recorder, systemctl by a no-op
    writeFileSync(join(root, payload, 'plugsched-install'), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
    writeFileSync(join(fake, 'systemctl'), '#!/bin/sh\n:\n', { mode: 0o755 });
    const runScript = (script: string, uname: string, args: string[] = []) => {
      writeFileSync(join(fake, 'uname'), `#!/bin/sh\necho ${uname}\n`, { mode: 0o755 });
      return spawnSync('sh', ['-c', script.replaceAll('/usr/lib/plugsched/', `${root}/usr/lib/plugsched/`), 'script', ...args], { env: { ...process.env, PATH: `${fake}:${process.env.PATH}` }, encoding: 'utf8' });
    };
    const scripts = q(['--queryformat', '%{POSTIN}\n@@@\n%{PREUN}']).split('@@@');
    expect(runScript(scripts[0], '6.1.0-99-other').status).toBe(0);
    expect(existsSync(calls)).toBe(false); // another kernel: nothing touched
    expect(runScript(scripts[0], release).status).toBe(0);
    expect(readFileSync(calls, 'utf8')).toBe(`install ${root}${payload}/scheduler.ko\n`);

    // the .deb: same files and scripts
    const listing = spawnSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' }).stdout;
    for (const f of files) expect(listing).toContain(`.${f}`);
    expect(spawnSync('dpkg-deb', ['-f', deb, 'Depends'], { encoding: 'utf8' }).stdout.trim()).toBe(`linux-image-${release} | linux-image-${release}-unsigned`);
    const droot = join(a.dir, 'deb-root');
    expect(spawnSync('dpkg-deb', ['-R', deb, droot]).status).toBe(0);
    rmSync(calls, { force: true });
    expect(runScript(readFileSync(join(droot, 'DEBIAN', 'postinst'), 'utf8'), release, ['configure']).status).toBe(0);
    expect(readFileSync(calls, 'utf8')).toBe(`install ${root}${payload}/scheduler.ko\n`);
  }, 900_000);

  it('vm-test runs every scenario on scheduler-x86, records the downtime lines, and passes', () => {
    const r = a.nx(['run', 'scheduler-x86:vm-test', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = JSON.parse(readFileSync(join(a.dir, 'dist', 'schedulers', 'scheduler-x86', 'vm-test.json'), 'utf8'));
    expect(j.pass).toBe(true);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual(['install', 'rollback', 'conflict', 'features', 'syscalls', 'sysctls', 'round-trip', 'cycles', 'hotplug', 'cpu-max', 'policies', 'mem-pressure', 'threads-10k', 'tracing', 'nmi', 'livepatch', 'parked', 'faults', 'fork-storm', 'hotplug-race', 'domains', 'stack-recheck', 'fork-log']);
    // then its own test (schedulers/scheduler-x86/tests): PLUGSCHED_FORK_LOG unknown before, off by default, logs a fork when on, gone after
    expect(j.scenarios.find((s: { name: string }) => s.name === 'fork-log').checks.find((c: { name: string }) => c.name === 'logs-when-on').evidence).toMatch(/scheduler-x86: new task fl-on\/\d+/);
    // one install happened with the 10 000-thread workload
    expect(j.switches.join('\n')).toMatch(/installed the module's scheduler: 2 cpus, 1\d{4} threads, \d+ tasks moved, stop machine \d+ us/);
    // the variant's own feature showed and toggled through the module's debugfs handlers
    const features = j.scenarios.find((s: { name: string }) => s.name === 'features');
    expect(features.checks.find((c: { name: string }) => c.name === 'variant-feature-shows').evidence).toMatch(/PLUGSCHED_FORK_LOG/);
    expect(readFileSync(join(a.dir, 'dist', 'schedulers', 'scheduler-x86', 'vm-test.log'), 'utf8')).toContain('PLUGSCHED-DONE');
  }, 900_000);

  it('host-test: the .deb on a booted Debian guest with systemd installs live, comes back after a reboot before ordinary services, upgrades in one switch, and is removed without a trace', () => {
    const r = a.nx(['run', 'scheduler-x86:host-test', '--output-style=stream']);
    expect(r.code, r.out.slice(-5000)).toBe(0);
    const j = JSON.parse(readFileSync(join(a.dir, 'dist', 'schedulers', 'scheduler-x86', 'host-test.json'), 'utf8'));
    expect(j.pass).toBe(true);
    expect(j.boots).toBe(2);
    expect(j.scenarios.map((s: { name: string; status: string }) => `${s.name} ${s.status}`)).toEqual(['package-install pass', 'after-reboot pass', 'package-upgrade pass', 'remove-during-switch pass', 'package-remove pass', 'rpm-scriptlets pass']);
    const check = (scenario: string, name: string) => j.scenarios.find((s: { name: string }) => s.name === scenario).checks.find((c: { name: string }) => c.name === name);
    expect(check('package-install', 'corrupt-deb-refused').evidence).toMatch(/rc 100: E: /);
    expect(check('package-install', 'other-kernel-refused').evidence).toContain('Depends: linux-image-6.1.0-0-cloud-amd64');
    expect(check('package-install', 'apt-install').evidence).toMatch(/plugsched-install: installed scheduler-x86 \d/);
    expect(check('package-install', 'unit-active').evidence).toMatch(/^active: .*is already the running scheduler/);
    expect(check('package-install', 'second-variant-refused').evidence).toContain('conflicting packages - not installing scheduler-scheduler-x86-twin');
    expect(check('package-install', 'first-still-live').pass).toBe(true);
    expect(check('after-reboot', 'live-at-boot').evidence).toMatch(/installed scheduler-x86/);
    expect(check('after-reboot', 'before-ordinary-services').pass).toBe(true);
    // the upgrade: the next version's module took over from the running one in one switch, the old one is gone
    expect(check('package-upgrade', 'apt-upgrade').evidence).toMatch(/plugsched-install: upgraded scheduler-x86 \S+ to scheduler-x86 \S+ in one switch/);
    expect(check('package-upgrade', 'in-one-switch').evidence).toMatch(/took over from plugsched_scheduler_x86_[0-9a-f]{8}: scheduler-x86 \S+ runs, the built-in scheduler did not run in between/);
    expect(check('package-upgrade', 'old-module-unloaded').pass).toBe(true);
    expect(check('package-upgrade', 'no-rollback-between').pass).toBe(true);
    expect(check('rpm-scriptlets', 'rpm-upgrade-live').pass).toBe(true);
    expect(check('remove-during-switch', 'removal-refused').evidence).toMatch(/another plugsched-install \(pid \d+\) is installing or removing/);
    expect(check('remove-during-switch', 'package-kept').pass).toBe(true);
    expect(check('package-remove', 'nothing-left').pass).toBe(true);
    expect(check('rpm-scriptlets', 'live-after-rpm-post').evidence).toMatch(/^scheduler-x86 /);
    expect(check('rpm-scriptlets', 'rpm-nothing-left').pass).toBe(true);
  }, 1_500_000);

  it('vm-test fails on a module that oopses, and shows the oops lines and the scenario', () => {
    // a variant that dereferences NULL at the top of sched_fork(): the first fork after the install oopses
    const base = join(a.dir, 'dist', 'kernels', 'debian-6.1-cloud-amd64', 'mod', 'kernel', 'sched', 'core.c');
    const broken = readFileSync(base, 'utf8').replace('__mod_sched_fork(unsigned long clone_flags, struct task_struct *p)\n{\n', '__mod_sched_fork(unsigned long clone_flags, struct task_struct *p)\n{\n\t*(volatile int *)0 = 0; /* broken on purpose */\n');
    const dir = join(a.dir, 'schedulers', 'broken-sched');
    mkdirSync(join(dir, 'patches'), { recursive: true });
    writeFileSync(join(dir, 'scheduler.yaml'), 'kernel: debian-6.1-cloud-amd64\nversion: 0.0.1\ndescription: oopses on purpose\n');
    writeFileSync(join(a.dir, 'core.c.broken'), broken);
    const diff = spawnSync('diff', ['-u', '--label', 'a/kernel/sched/core.c', '--label', 'b/kernel/sched/core.c', base, join(a.dir, 'core.c.broken')], { encoding: 'utf8' }).stdout;
    expect(diff).toContain('+\t*(volatile int *)0 = 0;');
    writeFileSync(join(dir, 'patches', '0001-oops.patch'), diff);
    const r = a.nx(['run', 'broken-sched:vm-test', '--scenarios=live-update', '--output-style=stream']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/vm-test of broken-sched failed: .*the kernel reported trouble during scenario install: .*(BUG: kernel NULL pointer dereference|Oops)/);
    expect(r.out).toMatch(/Console:\n(.*\n)*.*__mod_sched_fork/);
  }, 900_000);

  it('is bit-for-bit reproducible in another workspace at another path, at another time: boundary outputs, .ko, .rpm and .deb', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'plugsched-remote-cache-'));
    cache = await startCacheServerProcess(cacheDir, { write: [TOKEN], read: [READ_TOKEN] });
    b = tempWorkspace({ schedulers: ['hello-sched'] });
    // b also fills a remote cache (nginx speaking Nx's self-hosted protocol over loopback) for the next test
    const r = b.nx(['build', 'hello-sched', '--output-style=stream'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN });
    expect(r.code, r.out).toBe(0);
    expect(b.dir).not.toBe(a.dir);
    // the kernel's boundary outputs too: collector facts, the boundary, the extracted tree
    const kernelOut = (ws: TempWorkspace, d: string) => treeHash(join(ws.dir, 'dist', 'kernels', 'debian-6.1-cloud-amd64', d));
    for (const d of ['collect', 'boundary', 'mod']) expect(kernelOut(b, d), d).toBe(kernelOut(a, d));
    expect(sha(ko(b, 'hello-sched'))).toBe(sha(ko(a, 'hello-sched')));
    const pkgs = (ws: TempWorkspace) => join(ws.dir, 'dist', 'schedulers', 'hello-sched', 'packages');
    const files = readdirSync(pkgs(a)).sort();
    expect(files).toHaveLength(2);
    expect(readdirSync(pkgs(b)).sort()).toEqual(files);
    for (const f of files) expect(sha(join(pkgs(b), f)), f).toBe(sha(join(pkgs(a), f)));
    expect(spawnSync('strings', [ko(a, 'hello-sched')], { encoding: 'utf8' }).stdout).not.toMatch(/\/tmp\/|plugsched-ws-|\.cache\/plugsched/);
  }, 900_000);

  it("shares Nx's remote cache: a third workspace's nx build is all remote cache hits, with identical artifacts", () => {
    expect(records(cacheDir).length).toBeGreaterThan(5);
    c = tempWorkspace({ schedulers: ['hello-sched'] });
    // a read-only token, as CI's pull-request jobs get
    const r = c.nx(['build', 'hello-sched', '--output-style=stream'], { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: READ_TOKEN });
    expect(r.code, r.out).toBe(0);
    const tasks = [...r.out.matchAll(/^> nx run (\S+)(.*)$/gm)];
    expect(tasks.map((m) => m[1]).sort()).toContain('hello-sched:build');
    for (const m of tasks) expect(m[2], `${m[1]} came from the remote cache`).toMatch(/\[remote cache\]/);
    expect(r.out).toMatch(/Nx read the output from the cache instead of running the command for (\d+) out of \1 tasks/);
    expect(sha(ko(c, 'hello-sched'))).toBe(sha(ko(b, 'hello-sched')));
    const pkgs = (ws: TempWorkspace) => join(ws.dir, 'dist', 'schedulers', 'hello-sched', 'packages');
    for (const f of readdirSync(pkgs(b))) expect(sha(join(pkgs(c), f)), f).toBe(sha(join(pkgs(b), f)));
  }, 900_000);

  it('reports a patch that no longer applies, naming the patch, file and hunk', () => {
    const p = join(a.dir, 'schedulers', 'hello-sched', 'patches', '0002-stale.patch');
    writeFileSync(p, '--- a/kernel/sched/fair.c\n+++ b/kernel/sched/fair.c\n@@ -10,3 +10,3 @@\n-this line is not there\n+changed\n context\n');
    const r = a.nx(['run', 'hello-sched:apply-patches']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/schedulers\/hello-sched\/patches\/0002-stale\.patch does not apply to the extracted scheduler of debian-6\.1-cloud-amd64: kernel\/sched\/fair\.c hunk #1/);
  }, 300_000);

  it('refuses a patch that changes finish_task_switch(), whose change would take half effect', () => {
    rmSync(join(a.dir, 'schedulers', 'hello-sched', 'patches', '0002-stale.patch'));
    const p = join(a.dir, 'schedulers', 'hello-sched', 'patches', '0003-finish-task-switch.patch');
    writeFileSync(
      p,
      '--- a/kernel/sched/core.c\n+++ b/kernel/sched/core.c\n@@ -5046,6 +5046,9 @@\n \tstruct mm_struct *mm = rq->prev_mm;\n \tunsigned int prev_state;\n \n+\t/* a variant\'s change here would run only for new tasks */\n+\tschedstat_inc(rq->sched_count);\n+\n \t/*\n \t * The previous task will have left us with a preempt_count of 2\n \t * because it left us after:\n',
    );
    const r = a.nx(['run', 'hello-sched:apply-patches']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/The patches of hello-sched \(schedulers\/hello-sched\/patches\) change finish_task_switch\(\) in kernel\/sched\/core\.c, a change that would take half effect/);
    // nothing half-written left behind
    expect(readdirSync(join(a.dir, 'dist', 'schedulers', 'hello-sched')).filter((f) => f.startsWith('.src-tmp'))).toEqual([]);
    rmSync(p);
  }, 300_000);
});
