/**
 * The latency probe's evidence (tools/vm/latprobe.c, lib.sh probe_window_end): for each
 * switch, the longest wakeup lateness a SCHED_FIFO thread per CPU saw while it ran, next
 * to the runtime's own stop-machine figure. Pure: console text in, records out.
 */

export interface ProbedSwitch {
  switch: 'install' | 'rollback';
  /** The longest wakeup lateness the probe saw during the switch, in microseconds. */
  probeUs: number;
  /** The CPU whose thread saw it. */
  probeCpu: number;
  /** The runtime's stop-machine figure of the same switch, in microseconds. */
  stopMachineUs: number;
}

/** Every PLUGSCHED-PROBE line of a console, in order. */
export function parseProbeLines(console: string): ProbedSwitch[] {
  const re = /PLUGSCHED-PROBE (install|rollback) probe (\d+) us cpu (-?\d+); .*?stop machine (\d+) us/g;
  return [...console.matchAll(re)].map((m) => ({
    switch: m[1] as 'install' | 'rollback',
    probeUs: Number(m[2]),
    probeCpu: Number(m[3]),
    stopMachineUs: Number(m[4]),
  }));
}

/** One console line for a user: what the workload felt, next to the runtime's figure. */
export function probeSummary(p: ProbedSwitch): string {
  const ms = (us: number) => (us / 1000).toFixed(1);
  return `${p.switch}: the latency probe's longest wakeup delay ${ms(p.probeUs)} ms (cpu ${p.probeCpu}), the runtime's stop machine ${ms(p.stopMachineUs)} ms`;
}
