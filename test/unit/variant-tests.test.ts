/**
 * A variant's own VM tests (schedulers/<name>/tests): names, collisions, the
 * guest shell's syntax check and the guest programs' compile errors, all
 * before any VM boots; and the shipped variants' tests pass those checks.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchedulerConfig } from '../../plugins/plugsched/src/config/scheduler-config';
import { loadKernel } from '../../plugins/plugsched/src/kernel/artifacts';
import { schedulerProject } from '../../plugins/plugsched/src/plugin/scheduler-targets';
import { liveUpdateScript } from '../../plugins/plugsched/src/vm/live-update';
import { pickScenarios, scenariosOf, vmScenarios } from '../../plugins/plugsched/src/vm/scenarios';
import { buildVariantProbes, checkProbeNames, collectVariantTests, definesFunction, firstCompilerErrors, mergeScenarios, scenarioFunction, variantTestsOf } from '../../plugins/plugsched/src/vm/variant-tests';

const WORKSPACE = resolve(__dirname, '..', '..');
const DIR = 'schedulers/v/tests';

describe('variant tests: pure parts', () => {
  it('are tests/[NN-]<name>.sh scenarios and tests/<prog>.c programs, in file-name order; other files are left alone', () => {
    const t = variantTestsOf(['20-b.sh', 'README.md', 'probe.c', 'solo.sh', '10-a-b.sh', 'common.h'], DIR);
    expect(t.scenarios).toEqual([
      { name: 'a-b', file: `${DIR}/10-a-b.sh`, inFullRun: true },
      { name: 'b', file: `${DIR}/20-b.sh`, inFullRun: true },
      { name: 'solo', file: `${DIR}/solo.sh`, inFullRun: false },
    ]);
    expect(t.probes).toEqual([{ name: 'probe', file: `${DIR}/probe.c` }]);
    expect(scenarioFunction('a-b')).toBe('scenario_a_b');
  });

  it('refuse a name used twice in the variant, a name that is not a scenario name, and lib.sh helpers', () => {
    expect(() => variantTestsOf(['10-a.sh', 'a.sh'], DIR)).toThrow(/The variant's tests schedulers\/v\/tests\/10-a\.sh and schedulers\/v\/tests\/a\.sh are both scenario "a".*rename one of them/);
    expect(() => variantTestsOf(['10-My_Test.sh'], DIR)).toThrow(/schedulers\/v\/tests\/10-My_Test\.sh: a test's file name is \[NN-\]<name>\.sh.*Rename the file, e.g\. 10-my-test\.sh/);
    expect(() => variantTestsOf(['Probe.c'], DIR)).toThrow(/schedulers\/v\/tests\/Probe\.c: a guest program's file name is <name>\.c/);
    expect(() => variantTestsOf(['begin.sh'], DIR)).toThrow(/scenario_begin, which is tools\/vm\/lib\.sh's own helper/);
  });

  it('come after the built-in scenarios; a name a built-in one has is an error naming both files', () => {
    const builtin = scenariosOf(['10-live-update.sh', '20-features.sh']);
    const variant = variantTestsOf(['10-greeting.sh'], DIR).scenarios;
    expect(mergeScenarios(builtin, variant).map((s) => s.name)).toEqual(['live-update', 'features', 'greeting']);
    expect(() => mergeScenarios(builtin, variantTestsOf(['30-features.sh'], DIR).scenarios)).toThrow(
      /schedulers\/v\/tests\/30-features\.sh is scenario "features", which is already the built-in scenario tools\/vm\/scenarios\/20-features\.sh.*e\.g\. schedulers\/v\/tests\/30-features-variant\.sh, defining scenario_features_variant/,
    );
    // --scenarios takes the variant's names too, and an unknown one lists both kinds
    const all = mergeScenarios(builtin, variant);
    expect(pickScenarios(['greeting', 'live-update'], all).map((s) => s.name)).toEqual(['greeting', 'live-update']);
    expect(() => pickScenarios(['nope'], all)).toThrow(/Unknown VM scenario "nope": the scenarios are live-update, features, greeting \(built in: .*a variant's own: schedulers\/<variant>\/tests/);
  });

  it("refuse a guest program named like one of the guest's commands", () => {
    expect(() => checkProbeNames([{ name: 'spinners', file: `${DIR}/spinners.c` }], ['spinners', 'sleep'])).toThrow(/schedulers\/v\/tests\/spinners\.c would be the guest command "spinners".*one of vm-test's own programs.*spinners-probe\.c/);
    expect(() => checkProbeNames([{ name: 'sleep', file: `${DIR}/sleep.c` }], ['spinners', 'sleep'])).toThrow(/a busybox applet/);
    expect(() => checkProbeNames([{ name: 'fork-as', file: `${DIR}/fork-as.c` }], ['spinners', 'sleep'])).not.toThrow();
  });

  it('find the scenario function and the first compiler errors', () => {
    expect(definesFunction('x() {\n}\nscenario_a_b() {\n', 'scenario_a_b')).toBe(true);
    expect(definesFunction('\tscenario_a_b () { :; }', 'scenario_a_b')).toBe(true);
    expect(definesFunction('scenario_a_bc() {\n', 'scenario_a_b')).toBe(false);
    expect(definesFunction('# scenario_a_b() is below\n', 'scenario_a_b')).toBe(false);
    const stderr = "/ws/schedulers/v/tests/p.c: In function 'main':\n/ws/schedulers/v/tests/p.c:3:9: error: 'x' undeclared (first use in this function)\n    3 |  return x;\n/ws/schedulers/v/tests/p.c:4:1: error: expected ';' before '}' token\n";
    expect(firstCompilerErrors(stderr, '/ws/schedulers/v/tests', DIR)).toBe("schedulers/v/tests/p.c:3:9: error: 'x' undeclared (first use in this function); schedulers/v/tests/p.c:4:1: error: expected ';' before '}' token");
  });

  it('are inputs of vm-test only: a changed test reruns it, and builds nothing again', () => {
    const targets = schedulerProject('schedulers/v', 'debian-6.1-cloud-amd64').targets ?? {};
    expect(targets['vm-test'].inputs).toContain('{projectRoot}/tests/**/*');
    for (const t of ['apply-patches', 'module', 'build']) expect(JSON.stringify(targets[t].inputs), t).not.toContain('tests/');
  });

  it("the guest script puts the variant's programs on PATH, after the guest's own commands", () => {
    expect(liveUpdateScript(['greeting'], undefined, false, { VARIANT: 'v' })).toMatch(/export VARIANT='v'\nexport PATH="\$PATH:\/plugsched\/tests\/bin"\n[\s\S]*\. \/plugsched\/scenarios\/greeting\.sh\nscenario_greeting\n/);
  });
});

describe('variant tests: checked before the VM boots', () => {
  let ws: string;
  let store: string;
  const storeBefore = process.env.PLUGSCHED_STORE;
  const variant = () => join(ws, 'schedulers', 'v');
  const write = (f: string, text: string) => writeFileSync(join(variant(), 'tests', f), text);
  const reset = () => {
    rmSync(join(variant(), 'tests'), { recursive: true, force: true });
    mkdirSync(join(variant(), 'tests'), { recursive: true });
  };

  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'plugsched-variant-tests-'));
    cpSync(join(WORKSPACE, 'tools', 'vm'), join(ws, 'tools', 'vm'), { recursive: true });
    store = join(ws, 'store');
    process.env.PLUGSCHED_STORE = store;
  });
  afterAll(() => {
    if (storeBefore === undefined) delete process.env.PLUGSCHED_STORE;
    else process.env.PLUGSCHED_STORE = storeBefore;
    rmSync(ws, { recursive: true, force: true });
  });

  it('a variant without tests/ has none', () => {
    mkdirSync(variant(), { recursive: true });
    expect(collectVariantTests(ws, variant())).toEqual({ scenarios: [], probes: [] });
  });

  it('takes a good test, with its absolute source', () => {
    reset();
    write('10-good.sh', 'scenario_good() {\n\tscenario_begin good\n\tcheck ok "" true\n\tscenario_end\n}\n');
    const t = collectVariantTests(ws, variant());
    expect(t.scenarios).toEqual([{ name: 'good', file: 'schedulers/v/tests/10-good.sh', inFullRun: true, src: join(variant(), 'tests', '10-good.sh') }]);
  });

  it("names a script busybox sh cannot parse, with the shell's own words", () => {
    reset();
    write('10-bad.sh', 'scenario_bad() {\n\tif [ -d /sys ]; then\n\t\techo yes\n}\n');
    expect(() => collectVariantTests(ws, variant())).toThrow(/^schedulers\/v\/tests\/10-bad\.sh is not a valid script for the guest's shell: busybox sh -n says "schedulers\/v\/tests\/10-bad\.sh: line 4: syntax error: unexpected "}".*Fix that line/);
  });

  it('names a script that does not define its scenario function', () => {
    reset();
    write('10-mine.sh', 'scenario_other() {\n\t:\n}\n');
    expect(() => collectVariantTests(ws, variant())).toThrow(/schedulers\/v\/tests\/10-mine\.sh does not define the function scenario_mine, which vm-test calls for scenario "mine"/);
  });

  it("names a test whose name is a built-in scenario's", () => {
    reset();
    write('90-features.sh', 'scenario_features() {\n\t:\n}\n');
    expect(() => collectVariantTests(ws, variant())).toThrow(/schedulers\/v\/tests\/90-features\.sh is scenario "features", which is already the built-in scenario tools\/vm\/scenarios\/20-features\.sh/);
    expect(vmScenarios(ws).map((s) => s.name)).toContain('features');
  });

  it("names a program that is a busybox applet", () => {
    reset();
    write('sleep.c', 'int main(void) { return 0; }\n');
    expect(() => collectVariantTests(ws, variant())).toThrow(/schedulers\/v\/tests\/sleep\.c would be the guest command "sleep".*a busybox applet/);
  });

  it("builds a program for the guest, and names one that does not compile with the compiler's first errors", async () => {
    reset();
    write('good-probe.c', '#include <stdio.h>\nint main(void)\n{\n\tputs("hi");\n\treturn 0;\n}\n');
    write('bad-probe.c', '#include <stdio.h>\nint main(void)\n{\n\treturn missing;\n}\n');
    const t = collectVariantTests(ws, variant());
    expect(t.probes.map((p) => p.name)).toEqual(['bad-probe', 'good-probe']);
    const built = await buildVariantProbes(ws, t.probes.filter((p) => p.name === 'good-probe'), 'x86');
    expect(built).toHaveLength(1);
    expect(built[0].bin.startsWith(store)).toBe(true);
    await expect(buildVariantProbes(ws, t.probes, 'x86')).rejects.toThrow(
      /^schedulers\/v\/tests\/bad-probe\.c does not compile for the x86 guest \(gcc -static -O2 -pthread, as every guest program\): schedulers\/v\/tests\/bad-probe\.c:4:\d+: error: .missing. undeclared.*Fix the C file/,
    );
    // nothing half-made is left in the store for the failed program
    expect(readdirSync(join(store, '.tmp'))).toEqual([]);
  });
});

describe("the shipped variants' tests", () => {
  const all = readdirSync(join(WORKSPACE, 'schedulers')).filter((s) => !s.startsWith('.'));
  it.each(all)('%s: its tests pass the checks vm-test makes before booting', (name) => {
    expect(() => collectVariantTests(WORKSPACE, join(WORKSPACE, 'schedulers', name))).not.toThrow();
  });
  it.each(['hello-sched', 'scheduler-x86', 'scheduler-612-x86', 'scheduler-arm64'])("%s has a test of its own in the full run, and its programs build for its kernel's architecture", async (name) => {
    const t = collectVariantTests(WORKSPACE, join(WORKSPACE, 'schedulers', name));
    expect(t.scenarios.filter((s) => s.inFullRun).length, `schedulers/${name}/tests`).toBeGreaterThan(0);
    const kernel = loadKernel(WORKSPACE, loadSchedulerConfig(join('schedulers', name, 'scheduler.yaml'), WORKSPACE).kernel);
    const before = process.env.PLUGSCHED_STORE;
    const store = mkdtempSync(join(tmpdir(), 'plugsched-variant-probes-'));
    process.env.PLUGSCHED_STORE = store;
    try {
      expect((await buildVariantProbes(WORKSPACE, t.probes, kernel.kernelArch)).map((p) => p.name)).toEqual(t.probes.map((p) => p.name));
    } finally {
      if (before === undefined) delete process.env.PLUGSCHED_STORE;
      else process.env.PLUGSCHED_STORE = before;
      rmSync(store, { recursive: true, force: true });
    }
  });
});
