/**
 * Benchmarks of plugsched-nx on this machine: medians of repeated runs,
 * written to BENCHMARKS.md with the command and machine they came from.
 *
 *   npm run bench                 every scenario
 *   npm run bench -- boundary     only the boundary pipeline
 *   npm run bench -- runtime      only the runtime's downtime in the VM
 *
 * Timings come from here, never from timed assertions in tests.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runtimeDowntime } from './runtime-downtime';

const ROOT = resolve(__dirname, '..', '..');
const KERNEL = 'debian-6.1-cloud-amd64';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Row {
  scenario: string;
  what: string;
  seconds: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plugsched-bench-'));
  for (const f of ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json']) cpSync(join(ROOT, f), join(dir, f));
  for (const d of ['plugins', 'tools', 'kernels', 'schedulers']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function timeNx(dir: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), args, { cwd: dir, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env }, encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return secs;
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
  if (!only || only === 'runtime') {
    const table = await runtimeDowntime(ROOT, RUNS);
    text = mergeSection(text, 'runtime', [
      '## Runtime downtime',
      '',
      `Command: \`npm run bench -- runtime\` (tools/bench/runtime-downtime.ts): scheduler-x86 installed and rolled back ${RUNS} times per VM under`,
      `the given number of threads; the runtime's own timing lines, medians. QEMU TCG (no KVM here) on ${machine()}:`,
      'emulation makes every number several times larger than on hardware.',
      '',
      ...table,
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
