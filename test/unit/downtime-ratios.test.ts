import { describe, expect, it } from 'vitest';
import { downtimeChartSpec, parseFloorLines, threadRatioLines } from '../../tools/bench/runtime-downtime';

describe('threadRatioLines', () => {
  it('divides the downtime at the most threads by the one at the fewest, per vCPU count and direction', () => {
    const rows = [
      { cpus: 4, threads: 10000, install: true, stopMachineMs: 31.5 },
      { cpus: 2, threads: 1000, install: true, stopMachineMs: 12.3 },
      { cpus: 2, threads: 100, install: true, stopMachineMs: 12.0 },
      { cpus: 2, threads: 10000, install: true, stopMachineMs: 20.0 },
      { cpus: 2, threads: 100, install: false, stopMachineMs: 10.0 },
      { cpus: 2, threads: 10000, install: false, stopMachineMs: 21.2 },
      { cpus: 4, threads: 100, install: true, stopMachineMs: 27.7 },
    ];
    expect(threadRatioLines(rows)).toEqual([
      '- 2 vCPUs, install: downtime at 10000 threads / at 100 threads = 20.0 / 12.0 ms = 1.67 x',
      '- 2 vCPUs, rollback: downtime at 10000 threads / at 100 threads = 21.2 / 10.0 ms = 2.12 x',
      '- 4 vCPUs, install: downtime at 10000 threads / at 100 threads = 31.5 / 27.7 ms = 1.14 x',
    ]);
  });

  it('gives 10 000 threads and the most threads each their ratio to the fewest', () => {
    const rows = [
      { cpus: 2, threads: 100, install: true, stopMachineMs: 10.0 },
      { cpus: 2, threads: 10000, install: true, stopMachineMs: 14.0 },
      { cpus: 2, threads: 30000, install: true, stopMachineMs: 20.0 },
    ];
    expect(threadRatioLines(rows)).toEqual([
      '- 2 vCPUs, install: downtime at 10000 threads / at 100 threads = 14.0 / 10.0 ms = 1.40 x',
      '- 2 vCPUs, install: downtime at 30000 threads / at 100 threads = 20.0 / 10.0 ms = 2.00 x',
    ]);
  });
});

describe('the floor', () => {
  it("is read from the runtime's floor lines", () => {
    const console = [
      '[   12.5] plugsched: stack check: 1012 tasks walked before stop_machine, again under it: 0 new since, 3 ran since, 0 not vouched for before',
      "[   12.5] plugsched: floor: an empty stop_machine 812 us, this switch's stop_machine 6120 us (each from the call to its return); the walk before stop_machine 9034 us for 1105 threads",
    ].join('\n');
    expect(parseFloorLines(console)).toEqual([{ emptyStopUs: 812, switchStopUs: 6120, walkUs: 9034, threads: 1105 }]);
    expect(parseFloorLines('plugsched: installed the module\'s scheduler')).toEqual([]);
  });

  it('is drawn under the downtime lines, one point per thread count', () => {
    const spec = downtimeChartSpec(
      [
        { cpus: 2, threads: 100, install: true, stopMachineMs: 5, floorMs: 0.8 },
        { cpus: 2, threads: 100, install: false, stopMachineMs: 6, floorMs: 1.0 },
        { cpus: 2, threads: 1000, install: true, stopMachineMs: 7, floorMs: 0.9 },
      ],
      'test',
    ) as { data: { values: { threads: number; ms: number; series: string }[] } };
    expect(spec.data.values).toEqual([
      { threads: 100, ms: 0.9, series: '2 vCPUs, empty stop_machine' },
      { threads: 1000, ms: 0.9, series: '2 vCPUs, empty stop_machine' },
      { threads: 100, ms: 5, series: '2 vCPUs, install' },
      { threads: 1000, ms: 7, series: '2 vCPUs, install' },
      { threads: 100, ms: 6, series: '2 vCPUs, rollback' },
    ]);
  });
});
