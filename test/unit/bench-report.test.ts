import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_WORKLOADS, benchScript, benchTimeoutSec, benchWorkloads, pickWorkloads } from '../../plugins/plugsched/src/vm/bench';
import { benchMarkdown, fmt, latencyChartSpec, parseBenchLines, readmeSection, renderSvg, summarize, withReadmeSection, type BenchReport } from '../../plugins/plugsched/src/vm/bench-report';

const WORKSPACE = resolve(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'plugsched-bench-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A console as the guest prints it: 3 rounds, two workloads. */
function console3(): string {
  const lines = ['PLUGSCHED-BOOTED 6.1.0-56-cloud-amd64 cpus=2', 'noise bench: p50 1 us lower'];
  for (let r = 1; r <= 3; r++)
    for (const s of ['builtin', 'variant']) {
      const slow = s === 'variant' ? 40 : 1;
      lines.push(`PLUGSCHED-BENCH ${r} ${s} wakeup p50 ${50 * slow + r} us lower\r`);
      lines.push(`PLUGSCHED-BENCH ${r} ${s} wakeup p99 ${900 * (s === 'variant' ? 5 : 1) + r} us lower`);
      lines.push(`PLUGSCHED-BENCH ${r} ${s} ctxswitch switches ${100000 + r * 1000 + (s === 'variant' ? 500 : 0)} /s higher`);
    }
  return lines.join('\n');
}

function report(): BenchReport {
  return {
    variant: 'latency-x86', kernel: 'debian-6.1-cloud-amd64', release: '6.1.0-56-cloud-amd64', cpus: 2, accel: 'tcg', tcg: 'multi', pace: 1, rounds: 3, seconds: 2,
    order: 'built-in, variant, built-in, variant, ...', rule: { text: 'r', chanceOfSeparationWithoutDifference: 0.1 },
    workloads: [{ name: 'wakeup', source: 'tools/vm/bench/wakeup.c', args: [] }, { name: 'ctxswitch', source: 'tools/vm/bench/ctxswitch.c', args: [] }],
    metrics: summarize(parseBenchLines(console3()), 3, ['wakeup', 'ctxswitch']),
  };
}

describe('bench results', () => {
  it('parses only the PLUGSCHED-BENCH lines, with their round, scheduler, unit and direction', () => {
    const s = parseBenchLines(console3());
    expect(s).toHaveLength(18);
    expect(s[0]).toEqual({ round: 1, scheduler: 'builtin', workload: 'wakeup', metric: 'p50', value: 51, unit: 'us', better: 'lower' });
  });

  it('summarises each metric per scheduler with ratio and verdict', () => {
    const m = report().metrics;
    expect(Object.keys(m).sort()).toEqual(['ctxswitch.switches', 'wakeup.p50', 'wakeup.p99']);
    expect(m['wakeup.p50']).toMatchObject({ unit: 'us', better: 'lower', verdict: 'worse', builtin: { median: 52, min: 51, max: 53, rounds: [51, 52, 53] }, variant: { median: 2002 } });
    expect(m['wakeup.p50'].ratio).toBeCloseTo(2002 / 52);
    expect(m['ctxswitch.switches'].verdict).toBe('no difference');
  });

  it('names what is missing: a round without a value, a workload without metrics', () => {
    const partial = console3().split('\n').filter((l) => !l.startsWith('PLUGSCHED-BENCH 2 variant wakeup p99')).join('\n');
    expect(() => summarize(parseBenchLines(partial), 3, ['wakeup', 'ctxswitch'])).toThrow(/incomplete: wakeup p99: 0 values in round 2 of the variant \(expected 1\)/);
    expect(() => summarize(parseBenchLines(console3()), 3, ['wakeup', 'ctxswitch', 'mine'])).toThrow(/workload mine printed no "bench: <metric> <value> <unit> <higher\|lower\|none>" line/);
  });

  it('writes the table: medians with ranges, ratio, verdict', () => {
    const md = benchMarkdown(report());
    expect(md).toContain('| workload | metric | unit | better | built-in: median (min–max) | latency-x86: median (min–max) | latency-x86 / built-in | verdict |');
    expect(md).toContain('| wakeup | p50 | us | lower | 52 (51–53) | 2,002 (2,001–2,003) | 38.50 | worse |');
    expect(md).toContain('| ctxswitch | switches | /s | higher | 102,000 (101,000–103,000) | 102,500 (101,500–103,500) | 1.00 | no difference |');
    expect(fmt(0.5)).toBe('0.5');
    expect(fmt(12.3456)).toBe('12.35');
  });

  it('fills the README between its markers, and refuses a README without them', () => {
    const r = report();
    const text = withReadmeSection('# x\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nmore\n', readmeSection(r), 'schedulers/x/README.md');
    expect(text).toMatch(/^# x\n\n<!-- bench:begin -->\n`nx run latency-x86:bench` on 6\.1\.0-56-cloud-amd64[\s\S]*\| wakeup \| p50 \|[\s\S]*<!-- bench:end -->\n\nmore\n$/);
    expect(() => withReadmeSection('# x\n', 's', 'schedulers/x/README.md')).toThrow(/schedulers\/x\/README\.md has no bench section for --readme to fill: add a line "<!-- bench:begin -->"/);
  });

  it('charts the latency percentiles per scheduler as SVG, headless and deterministic', async () => {
    const spec = latencyChartSpec(report());
    expect(spec).not.toBeNull();
    const data = (spec as { data: { values: { percentile: string; scheduler: string }[] } }).data.values;
    expect(data.map((d) => `${d.percentile}/${d.scheduler}`)).toEqual(['p50/built-in', 'p50/latency-x86', 'p99/built-in', 'p99/latency-x86']);
    const svg = await renderSvg(spec as Record<string, unknown>);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('latency-x86');
    expect(svg).toContain('p99');
    expect(await renderSvg(spec as Record<string, unknown>)).toBe(svg);
    expect(latencyChartSpec({ ...report(), metrics: {} })).toBeNull();
  }, 60_000);
});

describe('bench workloads and guest script', () => {
  it('has a C program in tools/vm/bench for every built-in workload', () => {
    const all = benchWorkloads(WORKSPACE, join(tmp, 'none'));
    expect(all.map((w) => w.name)).toEqual(BUILTIN_WORKLOADS.map((w) => w.name));
    for (const w of all) expect(w.src).toMatch(/tools\/vm\/bench\/[a-z]+\.c$/);
  });

  it("adds a variant's bench/*.c after the built-in set, and names a file that clashes or is badly named", () => {
    const dir = join(tmp, 'my-sched');
    mkdirSync(join(dir, 'bench'), { recursive: true });
    writeFileSync(join(dir, 'bench', 'yield-storm.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(dir, 'bench', 'notes.txt'), '');
    const all = benchWorkloads(WORKSPACE, dir);
    expect(all.at(-1)).toMatchObject({ name: 'yield-storm', program: 'yield-storm', args: [] });
    expect(pickWorkloads(['yield-storm', 'wakeup'], all).map((w) => w.name)).toEqual(['yield-storm', 'wakeup']);
    expect(() => pickWorkloads(['nope'], all)).toThrow(/Unknown bench workload "nope" \(--workloads\): the workloads are messaging-pipe, messaging-socket, wakeup, fairness, ctxswitch, yield-storm/);
    writeFileSync(join(dir, 'bench', 'wakeup.c'), '');
    expect(() => benchWorkloads(WORKSPACE, dir)).toThrow(/bench\/wakeup\.c is named like the built-in workload "wakeup" \(tools\/vm\/bench\/wakeup\.c\)/);
    rmSync(join(dir, 'bench', 'wakeup.c'));
    writeFileSync(join(dir, 'bench', 'My_Load.c'), '');
    expect(() => benchWorkloads(WORKSPACE, dir)).toThrow(/bench\/My_Load\.c has a name the bench cannot use/);
  });

  it('interleaves the rounds, built-in first, and runs the variant only once it is installed', () => {
    const script = benchScript({ workloads: [{ name: 'messaging-pipe', program: 'messaging', args: ['pipe'] }], rounds: 3, seconds: 1, pace: 10 });
    const scenarios = [...script.matchAll(/^scenario_begin (\S+)$/gm)].map((m) => m[1]);
    expect(scenarios).toEqual(['bench-1-builtin', 'bench-1-variant', 'bench-2-builtin', 'bench-2-variant', 'bench-3-builtin', 'bench-3-variant']);
    expect(script).toContain('export WORKLOAD_PACE=10\nBENCH_SECONDS=1\n');
    expect(script).toContain("scenario_begin bench-2-variant\nbench_install\nif installed; then\n\tbench_run 2 variant messaging-pipe messaging 'pipe'\nfi\nbench_uninstall\nscenario_end");
    expect(benchTimeoutSec({ rounds: 3, seconds: 2, workloads: 5, pace: 1 })).toBeLessThan(benchTimeoutSec({ rounds: 3, seconds: 2, workloads: 5, pace: 10 }));
  });
});
