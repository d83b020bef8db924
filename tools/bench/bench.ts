/**
 * Benchmarks of plugsched-nx on this machine: medians of repeated runs,
 * written to BENCHMARKS.md with the command and machine they came from.
 *
 *   npm run bench                 every scenario
 *   npm run bench -- build        only nx build scheduler-x86: cold, warm, patch change, kernel bump
 *   npm run bench -- boundary     only the boundary pipeline
 *   npm run bench -- baseline     only the original method's whole-kernel collect (measured subset, extrapolated)
 *   npm run bench -- runtime      only the runtime's downtime in the VM
 *
 * Timings come from here, never from timed assertions in tests.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { debianKernelYaml } from '../../plugins/plugsched/src/generators/kernel/kernel-yaml';
import { aptCacheFacts } from '../../plugins/plugsched/src/kernel/apt-cache';
import { resolveDebianKernel } from '../../plugins/plugsched/src/kernel/debian-release';
import { kernelBaseline, type BaselineRun } from './kernel-baseline';
import { runtimeDowntime } from './runtime-downtime';

const ROOT = resolve(__dirname, '..', '..');
const KERNEL = 'debian-6.1-cloud-amd64';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Row {
  scenario: string;
  what: string;
  /** Per task that ran, its seconds in each run. */
  tasks?: Record<string, number[]>;
  seconds: number[];
  /** CPU seconds of each run (build rows). */
  cpu?: number[];
  /** The machine's 1-minute load average before each run (build rows). */
  load?: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plugsched-bench-'));
  for (const f of ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', '.gitignore', '.env']) cpSync(join(ROOT, f), join(dir, f));
  for (const d of ['plugins', 'tools', 'kernels', 'schedulers']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** GNU time, for the CPU seconds of a command and everything it waited for. */
const GNU_TIME = '/usr/bin/time';

interface Timed {
  seconds: number;
  /** User + system CPU seconds of nx and every process it waited for (NaN without GNU time). */
  cpu: number;
  ran: string[];
  tasks: Record<string, number>;
}

/**
 * One nx call: wall time, CPU time, the tasks that really ran, and each one's time (Nx's own task
 * profile, NX_PROFILE). The CPU time is what compares between runs on a shared machine: wall time
 * here moves by a factor of two with what else runs (QEMU guests of other work).
 */
function nxTimed(dir: string, args: string[], env: NodeJS.ProcessEnv): Timed {
  const profile = 'nx-task-profile.json'; // relative: Nx writes it under the command's cwd
  rmSync(join(dir, profile), { force: true });
  const cpuFile = join(dir, '.bench-cpu');
  rmSync(cpuFile, { force: true });
  const nx = join(ROOT, 'node_modules', '.bin', 'nx');
  const nxArgs = [...args, '--outputStyle=static'];
  const [cmd, cmdArgs] = existsSync(GNU_TIME) ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, nx, ...nxArgs]] : [nx, nxArgs];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, cmdArgs, { cwd: dir, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', NX_PROFILE: profile, ...env }, encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  let cpu = Number.NaN;
  try {
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    if (Number.isFinite(user) && Number.isFinite(sys)) cpu = user + sys;
  } catch {
    // no GNU time: wall time only
  }
  // tasks that really ran: not "[local cache]", "[remote cache]", nor (with the daemon, outputs already
  // in place) "[existing outputs match the cache, left as is]"
  const ran = [...new Set([...r.stdout.matchAll(/^> nx run (\S+)(.*)$/gm)].filter((m) => !/\[[^\]]*cache[^\]]*\]/.test(m[2])).map((m) => m[1]))].sort();
  return { seconds, cpu, ran, tasks: taskSeconds(join(dir, profile), ran) };
}

/** Seconds of each task in `ran`, from Nx's task profile (Chrome trace events, ph "X", dur in µs). */
function taskSeconds(profileFile: string, ran: string[]): Record<string, number> {
  let events: { name?: string; ph?: string; dur?: number }[] = [];
  try {
    events = JSON.parse(readFileSync(profileFile, 'utf8')) as typeof events;
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const e of events) if (e.ph === 'X' && e.name !== undefined && ran.includes(e.name) && typeof e.dur === 'number') out[e.name] = e.dur / 1e6;
  return out;
}

function timeNx(dir: string, args: string[], env: NodeJS.ProcessEnv): number {
  return nxTimed(dir, args, env).seconds;
}

/** kernel.yaml of the default kernel moved to `version`, from apt's metadata (what the bump generator writes). */
function bumpedKernelYaml(version: string): string {
  const k = resolveDebianKernel({ version, flavour: 'cloud-amd64', arch: 'amd64', line: '6.1' }, aptCacheFacts('amd64'));
  return debianKernelYaml(k);
}

const BUMP_TO = '6.1.190-1';

/**
 * nx build scheduler-x86: cold (empty Nx cache and store, packages present),
 * warm (nothing changed), one-line patch change, kernel bump; each run in a
 * fresh workspace and store. Also records which tasks really ran.
 */
function builds(): Row[] {
  const rows: Record<string, Row & { ran: string[]; tasks: Record<string, number[]>; cpu: number[]; load: number[] }> = {};
  let loadBefore = loadavg()[0];
  const add = (scenario: string, what: string, r: Timed) => {
    rows[scenario] ??= { scenario, what, seconds: [], cpu: [], load: [], ran: r.ran, tasks: {} };
    rows[scenario].seconds.push(r.seconds);
    rows[scenario].cpu.push(r.cpu);
    rows[scenario].load.push(loadBefore);
    loadBefore = loadavg()[0];
    for (const [task, sec] of Object.entries(r.tasks)) (rows[scenario].tasks[task] ??= []).push(sec);
  };
  const bumped = bumpedKernelYaml(BUMP_TO);
  for (let i = 0; i < RUNS; i++) {
    const dir = workspace();
    const store = mkdtempSync(join(tmpdir(), 'plugsched-bench-store-'));
    const env = { NX_CACHE_DIRECTORY: join(dir, '.nx-cache'), PLUGSCHED_STORE: store };
    try {
      if (i === 0) {
        // the bumped kernel's packages into the package dir once, so no run times a download
        const probe = workspace();
        writeFileSync(join(probe, 'kernels', KERNEL, 'kernel.yaml'), bumped);
        nxTimed(probe, ['run', `${KERNEL}:fetch`], { NX_CACHE_DIRECTORY: join(probe, '.nx-cache') });
        rmSync(probe, { recursive: true, force: true });
      }
      add('build, cold', 'nx build scheduler-x86: empty Nx cache, empty store, kernel packages in the package dir', nxTimed(dir, ['build', 'scheduler-x86'], env));
      add('build, warm', 'the same again, nothing changed (no Nx daemon, as in CI)', nxTimed(dir, ['build', 'scheduler-x86'], env));
      // with the daemon, as on a developer's machine: the first call starts it, the second is measured
      const daemon = { ...env, NX_DAEMON: 'true' };
      nxTimed(dir, ['build', 'scheduler-x86'], daemon);
      add('build, warm, Nx daemon', 'the same with the Nx daemon running (a developer machine)', nxTimed(dir, ['build', 'scheduler-x86'], daemon));
      spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['daemon', '--stop'], { cwd: dir, env: { ...process.env, ...daemon } });
      const patch = join(dir, 'schedulers', 'scheduler-x86', 'patches', '0001-example-sched-feature.patch');
      writeFileSync(patch, readFileSync(patch, 'utf8').replace('scheduler-x86: new task', `scheduler-x86: new task (run ${i})`));
      add('build, one-line patch change', "a line of scheduler-x86's patch changed", nxTimed(dir, ['build', 'scheduler-x86'], env));
      writeFileSync(join(dir, 'kernels', KERNEL, 'kernel.yaml'), bumped);
      add('build, kernel bump', `kernel.yaml moved to ${BUMP_TO} (what nx g @plugsched/nx:bump writes), then nx build scheduler-x86; packages in the package dir`, nxTimed(dir, ['build', 'scheduler-x86'], env));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(store, { recursive: true, force: true });
    }
  }
  return Object.values(rows).map((r) => ({ ...r, what: `${r.what}; ran: ${r.ran.length === 0 ? 'nothing (all cache hits)' : r.ran.join(', ')}` }));
}

/** collect + analyze + extract with an empty Nx cache; `coldStore` also empties the store (packages stay). */
function boundary(coldStore: boolean): Row {
  const seconds: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = workspace();
    const store = coldStore ? mkdtempSync(join(tmpdir(), 'plugsched-bench-store-')) : undefined;
    try {
      // source and devel first when the store is cold: they are acquisition, not the boundary pipeline
      const env = { NX_CACHE_DIRECTORY: join(dir, '.nx-cache'), ...(store ? { PLUGSCHED_STORE: store } : {}) };
      if (store) timeNx(dir, ['run-many', '-t', 'source', 'devel', '-p', KERNEL], env);
      seconds.push(timeNx(dir, ['run', `${KERNEL}:extract`], env));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (store) rmSync(store, { recursive: true, force: true });
    }
  }
  return {
    scenario: coldStore ? 'boundary, cold' : 'boundary, warm store',
    what: coldStore
      ? 'collect + analyze + extract: empty Nx cache, empty store except the unpacked kernel (kbuild prepare and collector plugin built from scratch)'
      : 'collect + analyze + extract: empty Nx cache; prepared kbuild dir and collector plugin already in the store',
    seconds,
  };
}

const TARGETS: Record<string, string> = { 'build, cold': '≤ 60', 'build, warm': '≤ 2', 'build, warm, Nx daemon': '≤ 2', 'build, one-line patch change': '≤ 8' };

/** Median seconds of each task in the cold and the one-line rows: where the time goes. */
function taskLines(rows: Row[]): string[] {
  const picked = rows.filter((r) => r.scenario === 'build, cold' || r.scenario === 'build, one-line patch change');
  const tasks = [...new Set(picked.flatMap((r) => Object.keys(r.tasks ?? {})))];
  const order = (t: string) => ['fetch', 'source', 'devel', 'collect', 'analyze', 'extract', 'apply-patches', 'module', 'build'].indexOf(t.split(':')[1]);
  tasks.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return [
    '| task | ' + picked.map((r) => `${r.scenario}, median s`).join(' | ') + ' |',
    '|---|' + picked.map(() => '---|').join(''),
    ...tasks.map((t) => `| ${t} | ${picked.map((r) => (r.tasks?.[t] ? median(r.tasks[t]).toFixed(1) : '')).join(' | ')} |`),
  ];
}

function cpuText(cpu: number[]): string {
  const known = cpu.filter((x) => Number.isFinite(x));
  return known.length === 0 ? '' : median(known).toFixed(1);
}

function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** Replace (or add) the section between <!-- bench:NAME --> markers. */
function mergeSection(old: string, name: string, body: string[]): string {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = [begin, ...body, end].join('\n');
  const i = old.indexOf(begin);
  const j = old.indexOf(end);
  if (i >= 0 && j > i) return `${old.slice(0, i)}${block}${old.slice(j + end.length)}`;
  return `${old.trimEnd()}\n\n${block}\n`;
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const file = join(ROOT, 'BENCHMARKS.md');
  let text = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '# Benchmarks\n';
    }
  })();
  if (!only || only === 'build') {
    const rows = builds();
    text = mergeSection(text, 'build', [
      '## nx build scheduler-x86',
      '',
      `Command: \`npm run bench -- build\` (tools/bench/bench.ts), ${RUNS} runs each in a fresh workspace and store, medians. Machine: ${machine()}.`,
      '',
      'Wall time moves with what else runs on this shared machine; the CPU seconds (user + system of nx and every process',
      'it waited for, GNU time) and the load average before each run say how busy it was.',
      '',
      '| scenario | median s | runs (s) | target | median CPU s | CPU runs (s) | load before | what |',
      '|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.scenario} | ${median(r.seconds).toFixed(1)} | ${r.seconds.map((x) => x.toFixed(1)).join(', ')} | ${TARGETS[r.scenario] ?? ''} | ${cpuText(r.cpu ?? [])} | ${(r.cpu ?? []).map((x) => x.toFixed(1)).join(', ')} | ${(r.load ?? []).map((x) => x.toFixed(1)).join(', ')} | ${r.what} |`),
      '',
      "Where the time goes: each task's own time from Nx's task profile (NX_PROFILE), medians; source and devel run side by side.",
      '',
      ...taskLines(rows),
      '',
      'A bump reruns the whole pipeline of that kernel (new source, devel tree, collect, analyze, extract) and',
      "its variants' module and packages; variants of other kernels stay cached (see test/integration/kernel-bump.test.ts).",
    ]);
  }
  if (!only || only === 'boundary') {
    const rows = [boundary(true), boundary(false)];
    text = mergeSection(text, 'boundary', [
      '## Boundary pipeline',
      '',
      `Command: \`npm run bench -- boundary\` (tools/bench/bench.ts), ${RUNS} runs each, medians. Machine: ${machine()}.`,
      '',
      '| scenario | median s | runs (s) | what |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.scenario} | ${median(r.seconds).toFixed(1)} | ${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${r.what} |`),
      '',
      'Target: cold within 2 minutes. The original plugsched method recompiles the whole kernel with a GCC plugin',
      'for its collect step (about 40 minutes reported by its users).',
    ]);
  }
  if (!only || only === 'baseline') {
    const runs: BaselineRun[] = await kernelBaseline(ROOT, KERNEL, RUNS);
    const m = (f: (r: BaselineRun) => number) => median(runs.map(f));
    text = mergeSection(text, 'baseline', [
      "## Baseline: the original method's whole-kernel collect",
      '',
      `Command: \`npm run bench -- baseline\` (tools/bench/kernel-baseline.ts), ${RUNS} runs of the kernel/ sample after one preparation, medians. Machine: ${machine()}.`,
      '',
      'A measured subset, extrapolated: the kernel configured with its own .config and prepared (`olddefconfig prepare`),',
      `then every object under \`kernel/\` compiled with a no-op GCC plugin loaded (${runs[0].sampleUnits} translation units); the time per unit`,
      `scaled to the ${runs[0].vmlinuxUnits} compilation units of the real vmlinux (its .debug_aranges tables), plus the preparation.`,
      'kernel/ is not an average directory (drivers/ and fs/ units are often larger), so read the estimate as an order of magnitude.',
      '',
      '| prepare s | kernel/ s | units | s per unit | vmlinux units | estimated whole-kernel collect |',
      '|---|---|---|---|---|---|',
      `| ${m((r) => r.prepareSeconds).toFixed(1)} | ${m((r) => r.sampleSeconds).toFixed(1)} | ${runs[0].sampleUnits} | ${m((r) => r.sampleSeconds / r.sampleUnits).toFixed(2)} | ${runs[0].vmlinuxUnits} | ${(m((r) => r.estimateSeconds) / 60).toFixed(0)} min |`,
      '',
      'plugsched-nx compiles only the four scheduler translation units with its collector and reads the rest of the',
      'kernel from the debug vmlinux (see the boundary pipeline section for its time).',
    ]);
  }
  if (!only || only === 'runtime') {
    const chart = join(ROOT, 'tools', 'bench', 'runtime-downtime.svg');
    const table = await runtimeDowntime(ROOT, RUNS, chart);
    text = mergeSection(text, 'runtime', [
      '## Runtime downtime',
      '',
      `Command: \`npm run bench -- runtime\` (tools/bench/runtime-downtime.ts): scheduler-x86 installed and rolled back ${RUNS} times per VM under`,
      `the given number of threads; the runtime's own timing lines, medians. QEMU TCG (no KVM here) on ${machine()}:`,
      'emulation makes every number several times larger than on hardware.',
      '',
      ...table,
      '',
      '![Downtime against threads](tools/bench/runtime-downtime.svg)',
      '',
      "The original plugsched reports under 10 ms with 10 000+ processes on 104 CPUs (on hardware).",
    ]);
  }
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  process.stdout.write(text);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
