import { describe, expect, it } from 'vitest';
import { chanceOfSeparation, compare, quantile, spread } from '../../plugins/plugsched/src/vm/bench-stats';

describe('bench statistics', () => {
  it('summarises rounds: median, quartiles (linear interpolation), range, values in round order', () => {
    expect(spread([3, 1, 2])).toEqual({ rounds: [3, 1, 2], median: 2, q1: 1.5, q3: 2.5, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
    expect(quantile([10], 0.99)).toBe(10);
    expect(() => quantile([], 0.5)).toThrow();
  });

  it('reads overlapping ranges as no difference, whatever the medians say', () => {
    const c = compare([100, 110, 120], [118, 130, 140], 'higher');
    expect(c.verdict).toBe('no difference');
    expect(c.ratio).toBeCloseTo(130 / 110);
    // touching ranges overlap
    expect(compare([1, 2, 3], [3, 4, 5], 'higher').verdict).toBe('no difference');
  });

  it('calls separate ranges better or worse by the direction of the metric', () => {
    expect(compare([100, 110, 120], [130, 140, 150], 'higher').verdict).toBe('better');
    expect(compare([100, 110, 120], [130, 140, 150], 'lower').verdict).toBe('worse');
    expect(compare([100, 110, 120], [50, 60, 70], 'lower').verdict).toBe('better');
    expect(compare([100, 110, 120], [50, 60, 70], 'higher').verdict).toBe('worse');
    expect(compare([100, 110, 120], [50, 60, 70], 'none').verdict).toBe('differs');
    expect(compare([0, 0, 0], [1, 1, 1], 'lower').ratio).toBeNull();
  });

  it('knows how often separate ranges happen by chance: 2 / C(2n, n)', () => {
    expect(chanceOfSeparation(1)).toBe(1);
    expect(chanceOfSeparation(2)).toBeCloseTo(2 / 6);
    expect(chanceOfSeparation(3)).toBeCloseTo(0.1);
    expect(chanceOfSeparation(5)).toBeCloseTo(2 / 252);
  });
});
