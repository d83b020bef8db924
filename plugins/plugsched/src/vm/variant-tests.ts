/**
 * A variant's own VM tests: schedulers/<name>/tests/[NN-]<name>.sh, scenario
 * functions written against tools/vm/lib.sh like the built-in ones, and
 * tests/<prog>.c, guest programs compiled static for the guest's
 * architecture (on the guest's PATH as /plugsched/tests/bin/<prog>). vm-test
 * runs the built-in scenarios, then the variant's. Everything here is checked
 * before the VM boots: file names, collisions with the built-in scenarios and
 * guest commands, shell syntax (busybox sh -n, the guest's shell), that each
 * script defines its function, and that each program compiles.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PlugschedError, isPlugschedError } from '../util/errors';
import { requireTool } from '../util/run';
import { guestCompiler } from '../toolchain/toolchain';
import type { KernelArch } from '../util/host-arch';
import { guestProgram, SCENARIO_PROGRAMS } from './helpers';
import { vmScenarios, type VmScenario } from './scenarios';

/** Where the variant's programs land in the guest (appended to PATH by the guest script). */
export const GUEST_TESTS_BIN = '/plugsched/tests/bin';

/** The programs vm-test itself puts in the guest's /bin: a variant's program may not take their names. */
export const GUEST_PROGRAMS = ['busybox', 'plugsched-install', 'symbol-resolve', ...SCENARIO_PROGRAMS].sort();

/** Names a scenario may not take: scenario_begin and scenario_end are tools/vm/lib.sh's. */
const LIB_FUNCTIONS = ['begin', 'end'];

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface VariantProbe {
  /** The program's name in the guest: the file name without .c. */
  name: string;
  /** The C file, workspace-relative (for messages). */
  file: string;
}

export interface VariantTestFiles {
  /** The variant's scenarios (src absolute, file workspace-relative), in file-name order. */
  scenarios: VmScenario[];
  probes: VariantProbe[];
}

/** What runLiveUpdate puts in the guest for a variant: its scenarios and its built programs. */
export interface VariantTests {
  /** The variant's name and version (the guest's $VARIANT, $VARIANT_VERSION). */
  variant: string;
  version: string;
  scenarios: VmScenario[];
  /** Built programs: name in the guest, binary on this machine. */
  probes: { name: string; bin: string }[];
}

/** The shell function vm-test calls for scenario `name`. */
export function scenarioFunction(name: string): string {
  return `scenario_${name.replace(/-/g, '_')}`;
}

/**
 * The variant's tests from the file names of its tests/ directory (`dir`, workspace-relative).
 * Pure. *.sh are scenarios ([NN-]<name>.sh: numbered ones in the full run, in file-name order;
 * <name>.sh only when named), *.c guest programs; other files are left alone.
 */
export function variantTestsOf(fileNames: string[], dir: string): VariantTestFiles {
  const scenarios: VmScenario[] = [];
  const probes: VariantProbe[] = [];
  for (const f of [...fileNames].sort()) {
    const file = `${dir}/${f}`;
    if (f.endsWith('.sh')) {
      const m = /^(\d+-)?(.+)\.sh$/.exec(f) as RegExpExecArray;
      const name = m[2];
      if (!NAME.test(name))
        throw new PlugschedError(`${file}: a test's file name is [NN-]<name>.sh, where <name> (the scenario's name, and its function scenario_<name>) has lower-case letters, digits and dashes only; "${name}" does not. Rename the file, e.g. ${m[1] ?? ''}${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '') || 'my-test'}.sh.`);
      if (LIB_FUNCTIONS.includes(name)) throw new PlugschedError(`${file}: the scenario name "${name}" would define ${scenarioFunction(name)}, which is tools/vm/lib.sh's own helper; rename the file (e.g. ${m[1] ?? ''}${name}-test.sh).`);
      scenarios.push({ name, file, inFullRun: m[1] !== undefined });
    } else if (f.endsWith('.c')) {
      const name = f.slice(0, -2);
      if (!NAME.test(name)) throw new PlugschedError(`${file}: a guest program's file name is <name>.c, where <name> (the command the tests run) has lower-case letters, digits and dashes only; rename the file.`);
      probes.push({ name, file });
    }
  }
  for (const s of scenarios) {
    const same = scenarios.filter((o) => o.name === s.name);
    if (same.length > 1) throw new PlugschedError(`The variant's tests ${same.map((o) => o.file).join(' and ')} are both scenario "${s.name}" (the file name without its NN- order and .sh); rename one of them.`);
  }
  return { scenarios, probes };
}

/** The built-in scenarios followed by the variant's; a name both have is an error naming both files. Pure. */
export function mergeScenarios(builtin: VmScenario[], variant: VmScenario[]): VmScenario[] {
  for (const v of variant) {
    const b = builtin.find((s) => s.name === v.name);
    if (b !== undefined) {
      const base = v.file.split('/').pop() as string;
      const renamed = `${v.file.slice(0, -base.length)}${/^\d+-/.exec(base)?.[0] ?? ''}${v.name}-variant.sh`;
      throw new PlugschedError(`${v.file} is scenario "${v.name}", which is already the built-in scenario tools/vm/scenarios/${b.file}; --scenarios could not tell them apart. Rename the test (e.g. ${renamed}, defining ${scenarioFunction(`${v.name}-variant`)}).`);
    }
  }
  return [...builtin, ...variant];
}

/** A guest program named like a command the guest already has would be shadowed or shadow it. Pure. */
export function checkProbeNames(probes: VariantProbe[], guestCommands: string[]): void {
  for (const p of probes) {
    if (guestCommands.includes(p.name))
      throw new PlugschedError(`${p.file} would be the guest command "${p.name}", which the guest already has (${GUEST_PROGRAMS.includes(p.name) ? "one of vm-test's own programs" : 'a busybox applet'}); rename the file (e.g. ${p.file.replace(/[^/]*$/, '')}${p.name}-probe.c) and call it by that name.`);
  }
}

/** Does the script define the shell function `fn` (name() { ... })? Pure. */
export function definesFunction(script: string, fn: string): boolean {
  return new RegExp(`^[ \\t]*${fn}[ \\t]*\\([ \\t]*\\)`, 'm').test(script);
}

/** The compiler's first errors, on one line, with the C file's absolute directory made workspace-relative. Pure. */
export function firstCompilerErrors(stderr: string, absDir: string, relDir: string, count = 3): string {
  const lines = stderr.split('\n').map((l) => l.split(`${absDir}/`).join(`${relDir}/`).trim()).filter(Boolean);
  const errors = lines.filter((l) => /\berror\b|undefined reference/.test(l));
  return (errors.length > 0 ? errors : lines).slice(0, count).join('; ');
}

/** The applets of this machine's busybox (the guest's is Debian's busybox-static too). */
function busyboxApplets(): string[] {
  const r = spawnSync('busybox', ['--list'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/**
 * The tests of the variant at `schedulerDir` (absolute; its tests/ may be absent), checked as far
 * as can be without compiling: names, collisions with the built-in scenarios and guest commands,
 * each script's syntax under busybox sh and its scenario function. Throws a PlugschedError naming
 * the file.
 */
export function collectVariantTests(workspaceRoot: string, schedulerDir: string): VariantTestFiles {
  const abs = join(schedulerDir, 'tests');
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return { scenarios: [], probes: [] };
  const rel = relative(workspaceRoot, abs);
  const found = variantTestsOf(readdirSync(abs).filter((f) => statSync(join(abs, f)).isFile()), rel);
  const scenarios = found.scenarios.map((s) => ({ ...s, src: join(workspaceRoot, s.file) }));
  mergeScenarios(vmScenarios(workspaceRoot), scenarios);
  if (scenarios.length > 0 || found.probes.length > 0) requireTool('busybox', 'busybox-static', "check the variant's tests with the guest's shell");
  checkProbeNames(found.probes, [...GUEST_PROGRAMS, ...busyboxApplets()]);
  for (const s of scenarios) {
    const r = spawnSync('busybox', ['sh', '-n', s.file], { cwd: workspaceRoot, encoding: 'utf8' });
    if (r.status !== 0) {
      const said = `${r.stderr}`.trim().split('\n').slice(0, 3).join('; ') || `exit status ${r.status}`;
      throw new PlugschedError(`${s.file} is not a valid script for the guest's shell: busybox sh -n says "${said}". Fix that line (guest scripts are busybox sh: POSIX sh, no bash-only syntax), then run vm-test again.`);
    }
    const fn = scenarioFunction(s.name);
    if (!definesFunction(readFileSync(s.src, 'utf8'), fn))
      throw new PlugschedError(`${s.file} does not define the function ${fn}, which vm-test calls for scenario "${s.name}" (the file's name). Define it (${fn}() { scenario_begin ${s.name}; check ...; scenario_end; }) or rename the file after the scenario it defines.`);
  }
  return { scenarios, probes: found.probes };
}

/** Compile the variant's programs static for the guest (cached in the store); a C file that does not compile is named with the compiler's first errors. */
export async function buildVariantProbes(workspaceRoot: string, probes: VariantProbe[], arch: KernelArch): Promise<VariantTests['probes']> {
  const built: VariantTests['probes'] = [];
  for (const p of probes) {
    const src = join(workspaceRoot, p.file);
    try {
      built.push({ name: p.name, bin: await guestProgram(src, arch) });
    } catch (e) {
      const m = isPlugschedError(e) ? /^Building the guest helper \S+ for \S+ failed: ([\s\S]*)$/.exec(e.message) : null;
      if (m === null) throw e;
      const dir = p.file.replace(/\/[^/]*$/, '');
      throw new PlugschedError(`${p.file} does not compile for the ${arch} guest (${guestCompiler(arch)} -static -O2 -pthread, as every guest program): ${firstCompilerErrors(m[1], join(workspaceRoot, dir), dir)}. Fix the C file (one self-contained file: the C library and the kernel's uapi headers), then run vm-test again.`);
    }
  }
  return built;
}
