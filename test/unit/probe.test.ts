import { describe, expect, it } from 'vitest';
import { parseProbeLines, probeSummary } from '../../plugins/plugsched/src/vm/probe';

const install = "PLUGSCHED-PROBE install probe 7912 us cpu 1; installed the module's scheduler: 2 cpus, 1056 threads, 16 tasks moved, stop machine 7257 us, stack check 2283 us, state rebuild 2172 us, text patching 2801 us, total 49706 us";
const rollback = 'PLUGSCHED-PROBE rollback probe 3500 us cpu 0; restored the built-in scheduler: 2 cpus, 1058 threads, 1 tasks moved, stop machine 3113 us, stack check 1288 us, state rebuild 94 us, text patching 1731 us, total 31336 us';

describe('the latency probe lines', () => {
  it('pairs the longest wakeup delay of each switch with the runtime stop-machine figure', () => {
    const console = ['PLUGSCHED-STEP install rc 0', install, 'noise', `\r${rollback}\r`].join('\n');
    expect(parseProbeLines(console)).toEqual([
      { switch: 'install', probeUs: 7912, probeCpu: 1, stopMachineUs: 7257 },
      { switch: 'rollback', probeUs: 3500, probeCpu: 0, stopMachineUs: 3113 },
    ]);
  });

  it('skips a line without the runtime figure (a switch that printed none)', () => {
    expect(parseProbeLines('PLUGSCHED-PROBE install probe 12 us cpu 0; ')).toEqual([]);
  });

  it('says both numbers in milliseconds', () => {
    expect(probeSummary(parseProbeLines(install)[0])).toBe("install: the latency probe's longest wakeup delay 7.9 ms (cpu 1), the runtime's stop machine 7.3 ms");
  });
});
