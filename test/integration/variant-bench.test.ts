/**
 * The A/B bench on the real 6.1 kernel: latency-x86 against the built-in
 * scheduler in one VM, the shortest run the target allows (3 rounds of each,
 * 1 s per workload run); and latency-x86's own vm-test, which proves its
 * change (wakeups wait for the tick) in the running kernel. The kernel pipeline and the module are built once, by
 * the first nx run of this file; later runs take them from the workspace's cache.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableStringify } from '../../plugins/plugsched/src/util/hash';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

const VARIANT = 'latency-x86';
let ws: TempWorkspace;
const dist = (f: string) => join(ws.dir, 'dist', 'schedulers', VARIANT, f);

beforeAll(() => {
  ws = tempWorkspace({ schedulers: [VARIANT] });
  const r = ws.nx(['run', `${VARIANT}:module`, '--output-style=stream']);
  if (r.code !== 0) throw new Error(r.out);
}, 900_000);
afterAll(() => ws?.dispose());

describe('latency-x86 proves its change in the running kernel', () => {
  it('its own vm-test: a woken task waits for the tick while the module runs, and preempts before and after', () => {
    const r = ws.nx(['run', `${VARIANT}:vm-test`, '--scenarios=wakeup-preemption', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = JSON.parse(readFileSync(dist('vm-test.json'), 'utf8'));
    const s = j.scenarios.find((x: { name: string }) => x.name === 'wakeup-preemption');
    expect(s.status).toBe('pass');
    const p50 = (evidence: string, which: number) => Number([...evidence.matchAll(/p50 (\d+)/g)][which][1]);
    const during = s.checks.find((c: { name: string }) => c.name === 'wakeups-wait-while-installed').evidence;
    const after = s.checks.find((c: { name: string }) => c.name === 'wakeups-preempt-after-rollback').evidence;
    // before, during, after: the guest's own check, read back from its evidence
    expect(p50(during, 1)).toBeGreaterThanOrEqual(2 * p50(during, 0));
    expect(p50(after, 0)).toBeGreaterThanOrEqual(2 * p50(after, 1));
  }, 900_000);
});

describe('bench: a variant against the built-in scheduler', () => {
  it('refuses fewer than 3 rounds, saying why, before the VM boots', () => {
    const r = ws.nx(['run', `${VARIANT}:bench`, '--rounds=2', '--output-style=stream']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/bench needs at least 3 rounds of each scheduler \(--rounds=2\): .* 33 % of the time .* Run with --rounds=3 or more\./);
    expect(r.out).not.toContain('bench: booting');
  });

  it("names a variant workload that does not compile, before the VM boots, and writes nothing", () => {
    const dir = join(ws.dir, 'schedulers', VARIANT, 'bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broken.c'), 'int main(void)\n{\n\treturn missing;\n}\n');
    try {
      const r = ws.nx(['run', `${VARIANT}:bench`, '--output-style=stream']);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/The bench workload schedulers\/latency-x86\/bench\/broken\.c does not compile for the x86 guest/);
      expect(r.out).toMatch(/schedulers\/latency-x86\/bench\/broken\.c:3:\d+: error: .missing. undeclared/);
      expect(r.out).not.toContain('bench: booting');
      expect(existsSync(dist('bench.json'))).toBe(false);
    } finally {
      rmSync(join(dir, 'broken.c'));
    }
  });

  it('runs 3 interleaved rounds in one VM and reports both schedulers per metric: medians, ranges, ratio, verdict', () => {
    const bench = join(ws.dir, 'schedulers', VARIANT, 'bench');
    // a variant's own workload (schedulers/<name>/bench/*.c) runs after the built-in set
    mkdirSync(bench, { recursive: true });
    writeFileSync(join(bench, 'yielder.c'), '#include <sched.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n\nint main(int argc, char **argv)\n{\n\tstruct timespec a, b;\n\tlong n = 0;\n\n\tclock_gettime(CLOCK_MONOTONIC, &a);\n\tdo {\n\t\tsched_yield();\n\t\tn++;\n\t\tclock_gettime(CLOCK_MONOTONIC, &b);\n\t} while (b.tv_sec - a.tv_sec < atoi(argv[1]));\n\tprintf("bench: yields %ld /s higher\\n", n / atoi(argv[1]));\n\treturn 0;\n}\n');
    const r = ws.nx(['run', `${VARIANT}:bench`, '--rounds=3', '--seconds=1', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/bench: round 3\/3, variant/);
    const text = readFileSync(dist('bench.json'), 'utf8');
    const j = JSON.parse(text);
    // deterministic key order
    expect(text).toBe(`${stableStringify(j, 2)}\n`);
    expect(j).toMatchObject({ variant: VARIANT, kernel: 'debian-6.1-cloud-amd64', release: '6.1.0-56-cloud-amd64', rounds: 3, seconds: 1, cpus: 2 });
    expect(Object.keys(j.metrics).sort()).toEqual([
      'ctxswitch.switches', 'fairness.share-nice0', 'fairness.share-nice10', 'fairness.share-nice5', 'fairness.weight-error',
      'messaging-pipe.throughput', 'messaging-socket.throughput', 'wakeup.p50', 'wakeup.p99', 'wakeup.p99.9', 'yielder.yields',
    ]);
    for (const [k, m] of Object.entries<{ builtin: { rounds: number[]; median: number; min: number; max: number }; variant: { rounds: number[]; median: number }; ratio: number; verdict: string }>(j.metrics)) {
      for (const s of [m.builtin, m.variant]) {
        expect(s.rounds, k).toHaveLength(3);
        for (const v of s.rounds) expect(v, k).toBeGreaterThan(0);
      }
      expect(m.ratio, k).toBeCloseTo(m.variant.median / m.builtin.median, 6);
      expect(['no difference', 'better', 'worse', 'differs']).toContain(m.verdict);
    }
    // the table and the chart
    const md = readFileSync(dist('bench.md'), 'utf8');
    expect(md).toMatch(/\| wakeup \| p99 \| us \| lower \| [\d,.]+ \([\d,.]+–[\d,.]+\) \| [\d,.]+ \([\d,.]+–[\d,.]+\) \| \d+\.\d\d \| (no difference|better|worse) \|/);
    expect(readFileSync(dist('bench.svg'), 'utf8')).toMatch(/^<svg [\s\S]*latency-x86[\s\S]*p99\.9/);
    expect(readFileSync(dist('bench.log'), 'utf8')).toContain('PLUGSCHED-DONE');
  }, 900_000);
});
