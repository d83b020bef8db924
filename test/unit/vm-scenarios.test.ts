import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullRunScenarios, pickScenarios, scenariosOf, vmScenarios } from '../../plugins/plugsched/src/vm/scenarios';

const WORKSPACE = resolve(__dirname, '..', '..');

describe('VM scenarios', () => {
  it('are the scripts of the directory: numbered ones in the full run, in file-name order', () => {
    expect(scenariosOf(['20-b.sh', 'README', 'solo.sh', '10-a-b.sh'])).toEqual([
      { name: 'a-b', file: '10-a-b.sh', inFullRun: true },
      { name: 'b', file: '20-b.sh', inFullRun: true },
      { name: 'solo', file: 'solo.sh', inFullRun: false },
    ]);
    expect(() => scenariosOf(['10-a.sh', 'a.sh'])).toThrow(/10-a\.sh and a\.sh \(tools\/vm\/scenarios\) are both scenario "a"/);
  });

  it("run in the order named, and an unknown name lists the choices", () => {
    const all = scenariosOf(['10-a.sh', '20-b.sh', 'solo.sh']);
    expect(pickScenarios(['solo', 'a'], all).map((s) => s.file)).toEqual(['solo.sh', '10-a.sh']);
    expect(() => pickScenarios(['c'], all)).toThrow(/Unknown VM scenario "c": the scenarios are a, b, solo/);
  });

  it("of the workspace: the full run is the order docs/vm-test.md lists; the benchmark's downtime is only on demand", () => {
    const doc = readFileSync(join(WORKSPACE, 'plugins', 'plugsched', 'docs', 'vm-test.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(fullRunScenarios(WORKSPACE)).toEqual(documented);
    expect(documented[0]).toBe('live-update');
    expect(vmScenarios(WORKSPACE).find((s) => s.name === 'downtime')?.inFullRun).toBe(false);
  });
});
