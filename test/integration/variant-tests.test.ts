/**
 * A variant's own VM tests (schedulers/<name>/tests, docs/vm-test.md) on the
 * real 6.1 kernel in QEMU: a copy of hello-sched with a test that uses a
 * guest program of its own passes vm-test; the same test changed to fail
 * reruns vm-test (the tests are its inputs) and fails it with the reason;
 * bad tests are named before anything boots. Two short boots, no built-in
 * scenario but hello-sched's own greeting test. In the same workspace (the
 * kernel pipeline is shared), sidecar-x86, whose scheduler.yaml lists a
 * sidecar of its own (cpuacct_charge of kernel/sched/cpuacct.c): one more
 * boot, live-update and its cpuacct-own test, which sees the patched sidecar
 * while installed and the kernel's before and after, and sidecar-conflict (a
 * kprobe on the sidecar's kernel entry refuses the install) (the rest of its
 * scenarios run with nx run sidecar-x86:vm-test, not here: the suite's time
 * budget).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../support/workspace';

let ws: TempWorkspace;
const VARIANT = 'hello-sched';
const tests = () => join(ws.dir, 'schedulers', VARIANT, 'tests');
const out = (f: string) => join(ws.dir, 'dist', 'schedulers', VARIANT, f);
const SCENARIOS = '--scenarios=greeting,with-probe';
const SIDECAR = 'sidecar-x86';

const PROBE = `// SPDX-License-Identifier: GPL-2.0
/* policy: print this process's scheduling policy as the running scheduler reports it */
#include <sched.h>
#include <stdio.h>

int main(void)
{
	int p = sched_getscheduler(0);

	printf("policy: %s\\n", p == SCHED_OTHER ? "SCHED_OTHER" : "other");
	return p == SCHED_OTHER ? 0 : 1;
}
`;

/** The test: installs hello-sched, asks its guest program, rolls back; `extra` is one more check. */
const withProbe = (extra = '') => `# with-probe: the variant's guest program answers under the module
scenario_with_probe() {
	scenario_begin with-probe
	sched_install; rc=$?
	check install "$out" [ $rc = 0 ]
	p=$(policy)
	check probe-answers "$p" [ "$p" = "policy: SCHED_OTHER" ]
${extra}	sched_uninstall; rc=$?
	check uninstall "$out" [ $rc = 0 ]
	scenario_end
}
`;

beforeAll(() => {
  ws = tempWorkspace({ schedulers: [VARIANT, SIDECAR] });
  writeFileSync(join(tests(), 'policy.c'), PROBE);
  writeFileSync(join(tests(), 'with-probe.sh'), withProbe());
  const r = ws.nx(['run-many', '-t', 'build', '-p', VARIANT, SIDECAR, '--output-style=stream']);
  if (r.code !== 0) throw new Error(r.out);
}, 900_000);
afterAll(() => ws?.dispose());

const json = (variant = VARIANT) => JSON.parse(readFileSync(join(ws.dir, 'dist', 'schedulers', variant, 'vm-test.json'), 'utf8')) as { pass: boolean; reasons: string[]; scenarios: { name: string; status: string; checks: { name: string; pass: boolean; evidence: string }[] }[] };

describe("a variant's own VM tests", () => {
  it("pass: hello-sched's greeting test and a test with a guest program of its own, run by name", () => {
    const r = ws.nx(['run', `${VARIANT}:vm-test`, SCENARIOS, '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(r.out).toContain(`building the variant's guest programs for x86: schedulers/${VARIANT}/tests/policy.c`);
    const j = json();
    expect(j.scenarios.map((s) => [s.name, s.status])).toEqual([['greeting', 'pass'], ['with-probe', 'pass']]);
    const checks = (s: string) => j.scenarios.find((x) => x.name === s)?.checks ?? [];
    // the greeting: absent before, at the install and never again while installed, and the built-in scheduler is silent after
    expect(checks('greeting').map((c) => c.name)).toEqual(['feature-absent-before', 'kernel-default-before', 'install', 'greets-on-install', 'greets-only-then', 'feature-on-during', 'variant-default-during', 'uninstall', 'builtin-silent-after', 'feature-absent-after', 'kernel-default-after']);
    // a kernel feature with the variant's own default: NEXT_BUDDY on while hello-sched runs, the kernel's off around it
    expect(checks('greeting').find((c) => c.name === 'variant-default-during')?.evidence).toBe("the module's: NEXT_BUDDY");
    // printk_once is not atomic: each CPU entering the module's __schedule at the switch may greet
    expect(checks('greeting').find((c) => c.name === 'greets-on-install')?.evidence).toMatch(/^greetings: 0 before, [12] after the install \(2 cpus\)$/);
    expect(checks('with-probe').find((c) => c.name === 'probe-answers')?.evidence).toBe('policy: SCHED_OTHER');
  }, 600_000);

  it('fail: the same test changed to fail reruns vm-test, which fails with the check and its evidence', () => {
    writeFileSync(join(tests(), 'with-probe.sh'), withProbe('\tcheck policy-is-fifo "$p" [ "$p" = "policy: SCHED_FIFO" ]\n'));
    const r = ws.nx(['run', `${VARIANT}:vm-test`, SCENARIOS, '--output-style=stream']);
    expect(r.code).not.toBe(0);
    expect(r.out).not.toMatch(/hello-sched:vm-test[^\n]*\[local cache\]/);
    expect(r.out).toMatch(/vm-test of hello-sched failed: scenario with-probe failed: policy-is-fifo \(policy: SCHED_OTHER\)/);
    expect(r.out).toMatch(/FAIL policy-is-fifo: policy: SCHED_OTHER/);
    const j = json();
    expect(j.pass).toBe(false);
    expect(j.scenarios.map((s) => [s.name, s.status])).toEqual([['greeting', 'pass'], ['with-probe', 'fail']]);
  }, 600_000);

  describe('bad tests are named before the VM boots, and vm-test leaves no results', () => {
    const refused = (file: string, text: string, message: RegExp) => {
      writeFileSync(join(tests(), file), text);
      try {
        const r = ws.nx(['run', `${VARIANT}:vm-test`, SCENARIOS, '--output-style=stream']);
        expect(r.code).not.toBe(0);
        expect(r.out).toMatch(message);
        expect(r.out).not.toMatch(/booting .* in QEMU/);
        expect(existsSync(out('vm-test.json'))).toBe(false);
        expect(existsSync(out('vm-test.log'))).toBe(false);
      } finally {
        rmSync(join(tests(), file));
      }
    };
    it('a shell syntax error', () => {
      refused('20-broken.sh', 'scenario_broken() {\n\tif true; then\n\t\t:\n}\n', /schedulers\/hello-sched\/tests\/20-broken\.sh is not a valid script for the guest's shell: busybox sh -n says ".*line 4: syntax error: unexpected "}"/);
    }, 300_000);
    it('a C program that does not compile', () => {
      refused('broken.c', 'int main(void)\n{\n\treturn missing;\n}\n', /schedulers\/hello-sched\/tests\/broken\.c does not compile for the x86 guest \(gcc -static -O2 -pthread, as every guest program\): schedulers\/hello-sched\/tests\/broken\.c:3:\d+: error: .missing. undeclared/);
    }, 300_000);
    it("a scenario name the built-in scenarios have", () => {
      refused('90-features.sh', 'scenario_features() {\n\t:\n}\n', /schedulers\/hello-sched\/tests\/90-features\.sh is scenario "features", which is already the built-in scenario tools\/vm\/scenarios\/20-features\.sh/);
    }, 300_000);
    it('a scenario name twice in the variant', () => {
      refused('30-greeting.sh', 'scenario_greeting() {\n\t:\n}\n', /The variant's tests schedulers\/hello-sched\/tests\/10-greeting\.sh and schedulers\/hello-sched\/tests\/30-greeting\.sh are both scenario "greeting"/);
    }, 300_000);
  });
});

describe("a variant's own sidecar (sidecar-x86: cpuacct_charge, outside the kernel's boundary)", () => {
  it("is extracted into the variant's base only, redirected, and its patched body runs while installed and not before or after", () => {
    // the kernel's extracted scheduler does not redirect it; the variant's base does
    const kernelMod = readFileSync(join(ws.dir, 'dist', 'kernels', 'debian-6.1-cloud-amd64', 'mod', 'kernel', 'sched', 'cpuacct.c'), 'utf8');
    const variantSrc = readFileSync(join(ws.dir, 'dist', 'schedulers', SIDECAR, 'src', 'kernel', 'sched', 'cpuacct.c'), 'utf8');
    expect(kernelMod).not.toContain('__mod_cpuacct_charge');
    expect(variantSrc).toContain('PLUGSCHED_REDIRECT(__mod_cpuacct_charge, __orig_cpuacct_charge, "cpuacct_charge", 0)');
    expect(variantSrc).toContain('if (ca != &root_cpuacct)');
    const r = ws.nx(['run', `${SIDECAR}:vm-test`, '--scenarios=live-update,cpuacct-own,sidecar-conflict', '--output-style=stream']);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    const j = json(SIDECAR);
    expect(j.scenarios.map((s) => [s.name, s.status])).toEqual([['install', 'pass'], ['rollback', 'pass'], ['cpuacct-own', 'pass'], ['sidecar-conflict', 'pass']]);
    const checks = j.scenarios.find((x) => x.name === 'cpuacct-own')?.checks ?? [];
    expect(checks.map((c) => [c.name, c.pass])).toEqual([
      ['v1-cpuacct', true],
      ['hierarchical-before', true],
      ['install', true],
      ['child-counted-during', true],
      ['parent-own-only-during', true],
      ['root-counts-all-during', true],
      ['uninstall', true],
      ['hierarchical-after', true],
    ]);
    // while installed the parent group is charged nothing; before and after, its child's time
    expect(checks.find((c) => c.name === 'parent-own-only-during')?.evidence).toMatch(/^usage grew by: root [1-9]\d* ns, parent 0 ns, parent\/child [1-9]\d* ns/);
    expect(checks.find((c) => c.name === 'hierarchical-after')?.evidence).toMatch(/parent [1-9]\d* ns, parent\/child [1-9]\d* ns/);
    // its entry is checked like every other: a kprobe on the kernel's cpuacct_charge makes the install refuse, naming it
    const conflict = j.scenarios.find((x) => x.name === 'sidecar-conflict')?.checks ?? [];
    expect(conflict.map((c) => [c.name, c.pass])).toEqual([['refused', true], ['names-the-sidecar', true], ['nothing-left', true], ['installs-once-free', true], ['uninstall', true]]);
    expect(conflict.find((c) => c.name === 'names-the-sidecar')?.evidence).toMatch(/plugsched: cpuacct_charge,0: is traced/);
  }, 900_000);
});
