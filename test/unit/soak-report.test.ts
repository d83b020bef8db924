import { describe, expect, it } from 'vitest';
import { parseSoakArgs, soakCommandLine, SoakUsageError } from '../../tools/soak/options';
import { classifyTrouble, parseSoakConsole, renderSoak, slabGrowth, soakClean, troubleCounts, type SoakContext } from '../../tools/soak/report';

const VARIANTS = ['hello-sched', 'scheduler-x86'];

const sw = (install: boolean, stopUs: number) =>
  `plugsched: ${install ? "installed the module's scheduler" : 'restored the built-in scheduler'}: 2 cpus, 1180 threads, 700 tasks moved, stop machine ${stopUs} us, stack check 1000 us, state rebuild 2000 us, text patching 3000 us, total 9000 us`;

/** A small console as tools/vm/soak.sh and the kernel print it: two cycles, the second with a busy retry. */
function console(extra: { inCycle2?: string[]; end?: string } = {}): string {
  return [
    'PLUGSCHED-BOOTED 6.1.0-56-cloud-amd64 cpus=2',
    'PLUGSCHED-SCENARIO soak BEGIN',
    'PLUGSCHED-SOAK START cycles 2 threads 1000 storm-workers 4',
    'PLUGSCHED-SOAK MEM idle-before MemAvailable 1900000 Slab 16000 SUnreclaim 6800 modules 0 module-vmalloc 0 0',
    'PLUGSCHED-SOAK SLAB idle-before kmalloc-64 1000 64',
    'PLUGSCHED-SOAK SLAB idle-before task_struct 100 6000',
    'PLUGSCHED-CHECK storm-runs PASS forkstorm: started 1115',
    'PLUGSCHED-SOAK MEM load-before MemAvailable 1870000 Slab 30000 SUnreclaim 20000 modules 0 module-vmalloc 0 0',
    'PLUGSCHED-SOAK BEGIN 1',
    'PLUGSCHED-SOAK MEM installed MemAvailable 1860000 Slab 31000 SUnreclaim 21000 modules 1 module-vmalloc 1 4431872',
    `PLUGSCHED-SOAK SWITCH 1 ${sw(true, 90000)}`,
    `PLUGSCHED-SOAK SWITCH 1 ${sw(false, 70000)}`,
    'PLUGSCHED-SOAK CYCLE 1 ok 60000 load',
    'PLUGSCHED-SOAK PROGRESS 1 of 2',
    'PLUGSCHED-SOAK BEGIN 2',
    "PLUGSCHED-SOAK BUSY 2 install 1: dd: error writing '/sys/kernel/plugsched/enable': Device or resource busy",
    'PLUGSCHED-SOAK RETRY 2 plugsched: try 1: forkstorm/1620 is inside schedule_tail+0x3f/0x50 (found in the walk before stop_machine), retrying',
    ...(extra.inCycle2 ?? []),
    `PLUGSCHED-SOAK SWITCH 2 ${sw(true, 150000)}`,
    `PLUGSCHED-SOAK SWITCH 2 ${sw(false, 50000)}`,
    'PLUGSCHED-SOAK CYCLE 2 ok 3000 unload',
    'PLUGSCHED-SOAK PROGRESS 2 of 2',
    extra.end ?? 'PLUGSCHED-SOAK END 2 of 2: all 2 cycles ran',
    'PLUGSCHED-SOAK MEM load-after MemAvailable 1850000 Slab 30500 SUnreclaim 20500 modules 0 module-vmalloc 0 0',
    'PLUGSCHED-CHECK storm-forked PASS forkstorm: 1825 forks, 227 threads in 212 s',
    'PLUGSCHED-CHECK workload-never-stalled PASS spinners: done 1873525 stalled 0',
    'PLUGSCHED-SOAK MEM idle-after MemAvailable 1890000 Slab 17000 SUnreclaim 7000 modules 0 module-vmalloc 0 0',
    'PLUGSCHED-SOAK SLAB idle-after kmalloc-64 1010 64',
    'PLUGSCHED-SOAK SLAB idle-after task_struct 110 6000',
    'PLUGSCHED-CHECK cycles PASS 2 of 2 cycles, 0 failed: all 2 cycles ran',
    'PLUGSCHED-SCENARIO soak END pass 70000',
    'PLUGSCHED-DONE',
  ].join('\n');
}

const CTX: SoakContext = {
  date: '2026-12-07 16:00 UTC',
  command: 'npm run soak -- --cycles=2',
  variant: 'scheduler-x86',
  variantVersion: '1.0.0',
  kernelId: 'debian-6.1-cloud-amd64',
  kernelRelease: '6.1.0-56-cloud-amd64',
  kernelVersion: '6.1.192-2',
  commit: '0123456789ab ("x")',
  machine: { cores: 2, model: 'test cpu', memGiB: 24 },
  accel: 'tcg',
  tcg: 'multi',
  cpus: 2,
  memMiB: 2048,
  seconds: 100,
  stopped: null,
  kmemleak: false,
  note: null,
  reloadEvery: 10,
};

describe('parseSoakConsole', () => {
  it('reads the cycles, busy retries, downtime and memory of a clean run', () => {
    const f = parseSoakConsole(console());
    expect(f.cycles.map((c) => [c.n, c.ok, c.how])).toEqual([
      [1, true, 'load'],
      [2, true, 'unload'],
    ]);
    expect(f.busy).toEqual([{ cycle: 2, what: 'install', text: "1: dd: error writing '/sys/kernel/plugsched/enable': Device or resource busy" }]);
    expect(f.runtimeRetries.map((r) => r.cycle)).toEqual([2]);
    expect(f.failures).toEqual([]);
    expect(f.switches.map((s) => [s.cycle, s.install, s.stopMachineUs])).toEqual([
      [1, true, 90000],
      [1, false, 70000],
      [2, true, 150000],
      [2, false, 50000],
    ]);
    expect(f.mem.installed.moduleVmallocAreas).toBe(1);
    expect(f.mem['idle-after'].slabKb).toBe(17000);
    expect(soakClean(f)).toBe(true);
    const md = renderSoak(f, CTX);
    expect(md).toContain('**clean**: 2 of 2 cycles done (all 2 cycles ran), 0 failed');
    expect(md).toContain('| both | 4 | 80.00 | 150.00 | 2 |');
    expect(md).toContain("| busy refusals retried by the soak (EBUSY/EAGAIN from sysfs or the installer, after the runtime's own tries) | 1 (install 1, rollback 0) |");
    expect(md).toContain('Module memory leaks: none visible');
    expect(md).toContain('after 1 loads and 1 unloads of the module through the installer, and 4 switches');
    expect(md).toContain('kmemleak is not available');
    expect(md).not.toMatch(/\/(work|tmp|root)\//);
  });

  it('counts a WARN on the console, puts it in its cycle and calls the soak not clean', () => {
    const warn = ['[  123.456789] ------------[ cut here ]------------', '[  123.456790] WARNING: CPU: 1 PID: 77 at kernel/sched/core.c:2345 set_task_cpu+0x1b2/0x1c0', '[  123.456800] Call Trace:'];
    const f = parseSoakConsole(console({ inCycle2: warn }));
    expect(troubleCounts(f)).toEqual({ panic: 0, oops: 0, warn: 1, stall: 0, lockup: 0, other: 0 });
    expect(f.trouble.map((t) => [t.kind, t.cycle])).toEqual([
      ['warn', 2],
      ['call-trace', 2],
    ]);
    expect(soakClean(f)).toBe(false);
    const md = renderSoak(f, CTX);
    expect(md).toContain('**NOT clean**');
    expect(md).toContain('0 oops, 1 WARN, 0 RCU stalls');
    expect(md).toContain('- cycle 2 [warn]: `[  123.456790] WARNING: CPU: 1 PID: 77 at kernel/sched/core.c:2345 set_task_cpu+0x1b2/0x1c0`');
  });

  it('calls a run that stopped early, failed a cycle or lost a module not clean', () => {
    const stopped = parseSoakConsole(console({ end: 'PLUGSCHED-SOAK END 2 of 5: 5 cycles in a row failed', inCycle2: ['PLUGSCHED-SOAK FAIL 2 rollback plugsched-install: insmod failed: Invalid argument'] }));
    expect(stopped.failures).toEqual([{ cycle: 2, what: 'rollback', text: 'plugsched-install: insmod failed: Invalid argument' }]);
    expect(soakClean(stopped)).toBe(false);
    expect(renderSoak(stopped, CTX)).toContain('| real failures (not busy) | 1 |');
    const timed = parseSoakConsole(console({ end: 'PLUGSCHED-SOAK END 2 of 1000: the time limit (SOAK_MINUTES=40) was reached' }));
    expect(soakClean(timed)).toBe(true);
    expect(renderSoak(timed, CTX)).toContain('**clean**: 2 of 1000 cycles done (the time limit (SOAK_MINUTES=40) was reached)');
    const leaked = parseSoakConsole(console().replace('idle-after MemAvailable 1890000 Slab 17000 SUnreclaim 7000 modules 0 module-vmalloc 0 0', 'idle-after MemAvailable 1890000 Slab 17000 SUnreclaim 7000 modules 0 module-vmalloc 1 8192'));
    expect(renderSoak(leaked, CTX)).toContain("Module memory leaks: the module loader's vmalloc areas or the loaded modules differ");
  });

  it('classifies the judge\'s kinds of trouble', () => {
    expect(classifyTrouble('BUG: unable to handle page fault for address: ffff')).toBe('oops');
    expect(classifyTrouble('rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:')).toBe('stall');
    expect(classifyTrouble('watchdog: BUG: soft lockup - CPU#0 stuck for 22s!')).toBe('lockup');
    expect(classifyTrouble('Kernel panic - not syncing: Fatal exception')).toBe('panic');
  });

  it('lists the caches that grew most', () => {
    expect(slabGrowth({ a: { active: 1, size: 10 }, b: { active: 5, size: 10 } }, { a: { active: 3, size: 10 }, b: { active: 5, size: 10 }, c: { active: 1, size: 100 } }, 5)).toEqual([
      { cache: 'c', before: 0, after: 100 },
      { cache: 'a', before: 10, after: 30 },
    ]);
  });
});

describe('parseSoakArgs', () => {
  it('has the defaults and takes the options', () => {
    expect(parseSoakArgs([], VARIANTS)).toMatchObject({ cycles: 1000, variant: 'scheduler-x86', help: false, reloadEvery: 10 });
    expect(parseSoakArgs(['--cycles=20', '--variant=hello-sched', '--help'], VARIANTS)).toMatchObject({ cycles: 20, variant: 'hello-sched', help: true });
  });

  it('refuses bad options with a sentence saying what to write', () => {
    expect(() => parseSoakArgs(['--cycles=0'], VARIANTS)).toThrow(/--cycles takes a whole number from 1/);
    expect(() => parseSoakArgs(['--cycles=ten'], VARIANTS)).toThrow(SoakUsageError);
    expect(() => parseSoakArgs(['--variant=nope'], VARIANTS)).toThrow(/the variants are hello-sched, scheduler-x86/);
    expect(() => parseSoakArgs(['--cycle=3'], VARIANTS)).toThrow(/unknown option --cycle/);
    expect(() => parseSoakArgs(['20'], VARIANTS)).toThrow(/written --name=value/);
    expect(() => parseSoakArgs(['--out=/etc/x'], VARIANTS)).toThrow(/relative to the workspace/);
  });
});

describe('soakCommandLine', () => {
  it('shows the options as given but only names --note, whose text has a line of its own in the report', () => {
    expect(soakCommandLine([])).toBe('npm run soak');
    expect(soakCommandLine(['--minutes=48', '--note=the machine was shared, so 48 minutes'])).toBe('npm run soak -- --minutes=48 --note=...');
  });
});
