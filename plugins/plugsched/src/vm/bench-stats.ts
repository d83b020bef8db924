/**
 * The statistics of an A/B bench (docs/bench.md): each scheduler's rounds of
 * one metric summarised (median, quartiles, range), the ratio of the medians,
 * and the verdict. Pure.
 *
 * The no-difference rule: when the two schedulers' ranges over the rounds
 * overlap, the change is within the noise and reads "no difference". Only
 * when every round of one lies beyond every round of the other is there a
 * difference, better or worse by the metric's direction. With no real
 * difference, every ordering of the 2n values is equally likely, and the two
 * orderings that separate the ranges have probability 2 / C(2n, n): 10 % at
 * 3 rounds each, 2.9 % at 4, 0.8 % at 5 (the exact two-sided Mann-Whitney
 * test at U = 0).
 */

/** Which way a metric is better: a throughput "higher", a latency "lower", a share "none". */
export type Better = 'higher' | 'lower' | 'none';

export type Verdict = 'no difference' | 'better' | 'worse' | 'differs';

export interface Spread {
  /** The values in round order. */
  rounds: number[];
  median: number;
  /** Quartiles (linear interpolation between the order statistics). */
  q1: number;
  q3: number;
  min: number;
  max: number;
}

export interface Comparison {
  builtin: Spread;
  variant: Spread;
  /** variant median / built-in median; null when the built-in median is 0. */
  ratio: number | null;
  verdict: Verdict;
}

/** The q-quantile (0..1) of sorted values, interpolating linearly between order statistics. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { rounds: [...values], median: quantile(s, 0.5), q1: quantile(s, 0.25), q3: quantile(s, 0.75), min: s[0], max: s[s.length - 1] };
}

/** The chance that n rounds of each scheduler give separate ranges when there is no difference: 2 / C(2n, n). */
export function chanceOfSeparation(n: number): number {
  let c = 1;
  for (let k = 1; k <= n; k++) c = (c * (n + k)) / k;
  return 2 / c;
}

export function compare(builtin: number[], variant: number[], better: Better): Comparison {
  const b = spread(builtin);
  const v = spread(variant);
  const overlap = v.min <= b.max && b.min <= v.max;
  let verdict: Verdict;
  if (overlap) verdict = 'no difference';
  else if (better === 'none') verdict = 'differs';
  else verdict = (v.min > b.max) === (better === 'higher') ? 'better' : 'worse';
  return { builtin: b, variant: v, ratio: b.median === 0 ? null : v.median / b.median, verdict };
}
