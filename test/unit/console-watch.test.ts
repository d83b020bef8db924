import { describe, expect, it } from 'vitest';
import { ConsoleWatch } from '../../plugins/plugsched/src/vm/console-watch';
import { liveUpdateWatch } from '../../plugins/plugsched/src/vm/live-update';

const limits = { quietSec: 300, scenarioSec: 900, troubleGraceSec: 60 };

describe('ConsoleWatch', () => {
  it('lets a run that keeps printing progress lines go on, however long', () => {
    const w = new ConsoleWatch(limits);
    for (let t = 0; t < 3000; t += 100) {
      w.line(`PLUGSCHED-SCENARIO s${t} BEGIN`, t);
      w.line(`PLUGSCHED-CHECK c PASS fine`, t + 50);
      w.line(`PLUGSCHED-SCENARIO s${t} END pass 100000`, t + 99);
      expect(w.due(t + 99)).toBeNull();
    }
  });

  it('stops a guest whose kernel keeps printing while no scenario makes progress (a stall report every half minute)', () => {
    const w = new ConsoleWatch(limits);
    w.line('PLUGSCHED-SCENARIO fork-storm BEGIN', 10);
    // kernel lines are not progress, whatever they say
    for (let t = 20; t < 320; t += 30) w.line(`[ ${t}.000000] sched: RT throttling activated`, t);
    expect(w.due(309)).toBeNull();
    expect(w.due(310)).toBe('after 310 s, no scenario progress line (PLUGSCHED-*) for 300 s in scenario fork-storm; the guest is hung or looping');
  });

  it('stops one scenario that runs past its limit even while it prints progress', () => {
    const w = new ConsoleWatch(limits);
    w.line('PLUGSCHED-SCENARIO cycles BEGIN', 100);
    for (let t = 110; t < 1000; t += 10) w.line('PLUGSCHED-STEP cycles: retry', t);
    expect(w.due(999)).toBeNull();
    expect(w.due(1000)).toBe('after 1000 s, scenario cycles had run for 900 s, over the 900 s one scenario may take');
  });

  it('keeps a minute of console after the first trouble line, then stops, naming the line and the scenario', () => {
    const w = new ConsoleWatch(limits);
    w.line('PLUGSCHED-SCENARIO hotplug BEGIN', 5);
    w.line('[   41.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:31]\r', 40);
    w.line('PLUGSCHED-STEP hotplug: cpu1 offline', 70);
    w.line('[   71.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:', 71);
    expect(w.due(99)).toBeNull();
    expect(w.due(100)).toBe('after 100 s, the kernel reported trouble during scenario hotplug 60 s earlier ("[   41.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:31]"), which fails the run whatever follows');
  });

  it('does not count the known noise of loading an unsigned module as trouble', () => {
    const w = new ConsoleWatch(limits);
    w.line('PLUGSCHED-SCENARIO install BEGIN', 0);
    w.line('[ 3.0] scheduler: module verification failed: signature and/or required key missing - tainting kernel', 1);
    w.line('PLUGSCHED-STEP install', 200);
    expect(w.due(200)).toBeNull();
  });

  it('gives the host architecture 15 minutes per scenario, an emulated one 45, and a caller-set limit when given', () => {
    const scenarioLimit = (w: ConsoleWatch) => {
      w.line('PLUGSCHED-SCENARIO x BEGIN', 0);
      for (let t = 0; t <= 3000; t += 100) {
        w.line('PLUGSCHED-STEP x', t);
        if (w.due(t)) return t;
      }
      return null;
    };
    expect(scenarioLimit(liveUpdateWatch('x86'))).toBe(900);
    expect(scenarioLimit(liveUpdateWatch('arm64'))).toBe(2700);
    expect(scenarioLimit(liveUpdateWatch('x86', 1800))).toBe(1800);
  });
});

describe('ConsoleWatch for the soak', () => {
  it('runs on after trouble when told to, still stopping a hung guest', () => {
    const w = liveUpdateWatch('x86', 7200, false);
    w.line('PLUGSCHED-SCENARIO soak BEGIN', 0);
    w.line('[ 5.0] WARNING: CPU: 1 PID: 9 at kernel/sched/core.c:1 f+0x1/0x2', 5);
    for (let t = 10; t <= 1000; t += 10) w.line(`PLUGSCHED-SOAK cycle ${t}`, t);
    expect(w.due(1000)).toBeNull();
    expect(w.due(1300)).toMatch(/no scenario progress line \(PLUGSCHED-\*\) for 300 s in scenario soak/);
  });
});
