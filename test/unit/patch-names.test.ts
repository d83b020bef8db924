import { describe, expect, it } from 'vitest';
import { patchDescription, patchFileName, patchText, slug, subjectOfPatch } from '../../plugins/plugsched/src/workflow/patch-names';

describe('patch names round-trip through commit subjects', () => {
  it('file name -> subject -> file name keeps stable names', () => {
    for (const f of ['0001-example-sched-feature.patch', '0002-add-a-sched-feature.patch']) {
      const i = Number(f.slice(0, 4)) - 1;
      expect(patchFileName(i, subjectOfPatch(f))).toBe(f);
    }
  });

  it('makes a slug from any subject', () => {
    expect(slug('Shorter slice for SCHED_BATCH!')).toBe('shorter-slice-for-sched-batch');
    expect(slug('...')).toBe('change');
    expect(slug('x'.repeat(80))).toHaveLength(60);
    expect(patchFileName(11, 'Fix: wakeup')).toBe('0012-fix-wakeup.patch');
  });

  it('keeps a description ahead of the diff', () => {
    const text = patchText('Why: shorter slices\nfor latency', 'diff --git a/x b/x\n--- a/x\n+++ b/x\n');
    expect(text).toBe('Why: shorter slices\nfor latency\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n');
    expect(patchDescription(text)).toBe('Why: shorter slices\nfor latency');
    expect(patchDescription('--- a/x\n+++ b/x\n')).toBe('');
    expect(patchText('', '--- a/x\n+++ b/x')).toBe('--- a/x\n+++ b/x\n');
  });
});
