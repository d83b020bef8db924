/**
 * The results of an A/B bench (docs/bench.md): the guest's metric lines
 * parsed, each metric summarised per scheduler and compared (bench-stats.ts),
 * and written out as bench.json's content, the bench.md table and the
 * latency chart (Vega-Lite, rendered to SVG by Vega in Node, no browser).
 * Pure except renderSvg, which loads the charting library.
 */
import { PlugschedError } from '../util/errors';
import { chanceOfSeparation, compare, type Better, type Comparison } from './bench-stats';

export type Scheduler = 'builtin' | 'variant';

/** One metric line of one workload run: PLUGSCHED-BENCH <round> <scheduler> <workload> <metric> <value> <unit> <better>. */
export interface BenchSample {
  round: number;
  scheduler: Scheduler;
  workload: string;
  metric: string;
  value: number;
  unit: string;
  better: Better;
}

export interface MetricReport extends Comparison {
  workload: string;
  metric: string;
  unit: string;
  better: Better;
}

export interface BenchReport {
  variant: string;
  kernel: string;
  release: string;
  cpus: number;
  accel: string;
  tcg: 'multi' | 'single';
  pace: number;
  rounds: number;
  seconds: number;
  order: string;
  rule: { text: string; chanceOfSeparationWithoutDifference: number };
  workloads: { name: string; source: string; args: string[] }[];
  /** Keyed "<workload>.<metric>". */
  metrics: Record<string, MetricReport>;
}

const LINE = /^PLUGSCHED-BENCH (\d+) (builtin|variant) (\S+) (\S+) (\S+) (\S+) (higher|lower|none)\s*$/;

export function parseBenchLines(console: string): BenchSample[] {
  const out: BenchSample[] = [];
  for (const raw of console.split('\n')) {
    const m = LINE.exec(raw.replace(/\r$/, ''));
    if (m === null) continue;
    const value = Number(m[5]);
    if (!Number.isFinite(value)) continue;
    out.push({ round: Number(m[1]), scheduler: m[2] as Scheduler, workload: m[3], metric: m[4], value, unit: m[6], better: m[7] as Better });
  }
  return out;
}

/**
 * Every metric's rounds per scheduler, compared. Every workload must have given
 * the same metrics in every round of both schedulers; a gap is an error naming it.
 */
export function summarize(samples: BenchSample[], rounds: number, workloads: string[]): Record<string, MetricReport> {
  const metrics: Record<string, MetricReport> = {};
  const problems: string[] = [];
  for (const w of workloads) {
    const mine = samples.filter((s) => s.workload === w);
    const names = [...new Set(mine.map((s) => s.metric))].sort();
    if (names.length === 0) problems.push(`workload ${w} printed no "bench: <metric> <value> <unit> <higher|lower|none>" line`);
    for (const name of names) {
      const of = mine.filter((s) => s.metric === name);
      const series = (sched: Scheduler) => {
        const vals: number[] = [];
        for (let r = 1; r <= rounds; r++) {
          const hit = of.filter((s) => s.round === r && s.scheduler === sched);
          if (hit.length !== 1) problems.push(`${w} ${name}: ${hit.length} values in round ${r} of the ${sched === 'builtin' ? 'built-in scheduler' : 'variant'} (expected 1)`);
          else vals.push(hit[0].value);
        }
        return vals;
      };
      const b = series('builtin');
      const v = series('variant');
      const units = new Set(of.map((s) => `${s.unit} ${s.better}`));
      if (units.size > 1) problems.push(`${w} ${name}: the unit or direction changed between rounds (${[...units].join(', ')})`);
      if (b.length === rounds && v.length === rounds) metrics[`${w}.${name}`] = { workload: w, metric: name, unit: of[0].unit, better: of[0].better, ...compare(b, v, of[0].better) };
    }
  }
  if (problems.length > 0) throw new PlugschedError(`The bench results are incomplete: ${problems.join('; ')}. The console is in bench.log; a workload that exits non-zero or prints no metric is named there by its PLUGSCHED-CHECK line.`);
  return metrics;
}

export function ruleText(rounds: number): string {
  const p = chanceOfSeparation(rounds);
  return `a metric differs only when every one of the ${rounds} rounds of one scheduler lies beyond every round of the other (their min-max ranges do not overlap); overlapping ranges read "no difference". With no real difference that happens by chance with probability 2/C(${2 * rounds},${rounds}) = ${(100 * p).toPrecision(2)} %.`;
}

/** A number for a table: four significant digits, no exponent for everyday sizes. */
export function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e9 || a < 1e-3) return x.toPrecision(3);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(4)));
}

const schedLabel = (s: Scheduler, variant: string) => (s === 'builtin' ? 'built-in' : variant);

/** The table of every metric: medians with their ranges, ratio and verdict. */
export function benchTable(r: BenchReport): string[] {
  const cell = (c: MetricReport['builtin']) => `${fmt(c.median)} (${fmt(c.min)}–${fmt(c.max)})`;
  const rows = Object.keys(r.metrics)
    .sort()
    .map((k) => {
      const m = r.metrics[k];
      return `| ${m.workload} | ${m.metric} | ${m.unit} | ${m.better === 'none' ? '' : m.better} | ${cell(m.builtin)} | ${cell(m.variant)} | ${m.ratio === null ? '–' : `${m.ratio.toFixed(2)}`} | ${m.verdict} |`;
    });
  return [
    `| workload | metric | unit | better | built-in: median (min–max) | ${r.variant}: median (min–max) | ${r.variant} / built-in | verdict |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

export function benchMarkdown(r: BenchReport): string {
  return [
    `# bench: ${r.variant} against the built-in scheduler`,
    '',
    `Kernel ${r.kernel} (${r.release}), one VM: ${r.cpus} vCPUs, ${r.accel}${r.accel === 'tcg' ? ` (${r.tcg}-threaded)` : ''}, workload pace ${r.pace}. ${r.rounds} rounds of each scheduler, interleaved (${r.order}), every workload ${r.seconds} s per run. Medians over the rounds; the ranges are min–max.`,
    '',
    `Verdict: ${ruleText(r.rounds)}`,
    '',
    ...benchTable(r),
    '',
    'Workloads: ' + r.workloads.map((w) => `\`${w.name}\` (${w.source}${w.args.length ? ` ${w.args.join(' ')}` : ''})`).join(', ') + '. What each models: plugins/plugsched/docs/bench.md.',
    '',
  ].join('\n');
}

const PERCENTILE = /^p\d+(\.\d+)?$/;

/** The chart's data: every latency percentile metric (p50, p99, p99.9, ...) of every workload, per scheduler. */
export function latencyRows(r: BenchReport): { workload: string; percentile: string; scheduler: string; median: number; min: number; max: number }[] {
  return Object.keys(r.metrics)
    .sort()
    .map((k) => r.metrics[k])
    .filter((m) => PERCENTILE.test(m.metric) && m.better === 'lower')
    .flatMap((m) =>
      (['builtin', 'variant'] as Scheduler[]).map((s) => ({ workload: m.workload, percentile: m.metric, scheduler: schedLabel(s, r.variant), median: m[s].median, min: m[s].min, max: m[s].max })),
    );
}

/** A Vega-Lite spec of the latency percentiles: the medians per scheduler as points, the ranges as lines; null without percentile metrics. */
export function latencyChartSpec(r: BenchReport): Record<string, unknown> | null {
  const rows = latencyRows(r);
  if (rows.length === 0) return null;
  const percentiles = [...new Set(rows.map((x) => x.percentile))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const units = [...new Set(Object.values(r.metrics).filter((m) => PERCENTILE.test(m.metric)).map((m) => m.unit))];
  const schedulers = ['built-in', r.variant];
  const x = { field: 'percentile', type: 'nominal', sort: percentiles, title: 'percentile', axis: { labelAngle: 0 } };
  const xOffset = { field: 'scheduler', type: 'nominal', sort: schedulers };
  const color = { field: 'scheduler', type: 'nominal', sort: schedulers, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Wakeup latency: ${r.variant} and the built-in scheduler`, subtitle: `${r.release}, ${r.cpus} vCPUs, ${r.accel}; points: median of ${r.rounds} rounds, lines: min–max` },
    data: { values: rows },
    facet: { column: { field: 'workload', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 260,
      layer: [
        // points on a log scale (bars would start at zero, which a log scale does not have)
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, xOffset, y: { field: 'min', type: 'quantitative', scale: { type: 'log' }, title: `latency (${units.join(', ')}, log scale)` }, y2: { field: 'max' }, color } },
        { mark: { type: 'point', filled: true, size: 70, opacity: 1 }, encoding: { x, xOffset, y: { field: 'median', type: 'quantitative' }, color } },
      ],
    },
    config: { font: 'sans-serif' },
  };
}

/**
 * Load an ES module. vega and vega-lite are ES modules with top-level await, which require()
 * cannot load, and the compiler that runs the plugin (swc, to CommonJS) turns import() into
 * require(): so a real dynamic import, made at run time. Where code runs in a VM context
 * without an import hook (vitest), that is refused, and there import() is real already.
 */
async function importEsm(specifier: string): Promise<unknown> {
  try {
    return await (new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>)(specifier);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    return import(specifier);
  }
}

interface VegaLite {
  compile(spec: unknown): { spec: unknown };
}
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, opts: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

/** Render a Vega-Lite spec to SVG headless (Vega's own SVG renderer, no browser, no canvas). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const vl = (await importEsm('vega-lite')) as VegaLite;
  const vega = (await importEsm('vega')) as Vega;
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

export const README_BEGIN = '<!-- bench:begin -->';
export const README_END = '<!-- bench:end -->';

/** The README's bench section: what was measured, how, and the table. */
export function readmeSection(r: BenchReport): string {
  return [
    README_BEGIN,
    `\`nx run ${r.variant}:bench\` on ${r.release}: ${r.cpus} vCPUs, ${r.accel}, ${r.rounds} interleaved rounds of each scheduler, ${r.seconds} s per workload run; medians (min–max over the rounds). "no difference": the two ranges overlap (plugins/plugsched/docs/bench.md).`,
    '',
    ...benchTable(r),
    README_END,
  ].join('\n');
}

/** The README with its bench section replaced; the markers must be there, once each, in order. */
export function withReadmeSection(readme: string, section: string, file: string): string {
  const b = readme.indexOf(README_BEGIN);
  const e = readme.indexOf(README_END);
  if (b < 0 || e < b || readme.indexOf(README_BEGIN, b + 1) >= 0 || readme.indexOf(README_END, e + 1) >= 0)
    throw new PlugschedError(`${file} has no bench section for --readme to fill: add a line "${README_BEGIN}" and, below it, a line "${README_END}" (once each) where the table should go, then run the bench again. Nothing was written.`);
  return `${readme.slice(0, b)}${section}${readme.slice(e + README_END.length)}`;
}
