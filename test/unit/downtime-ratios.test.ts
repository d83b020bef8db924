import { describe, expect, it } from 'vitest';
import { threadRatioLines } from '../../tools/bench/runtime-downtime';

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
});
