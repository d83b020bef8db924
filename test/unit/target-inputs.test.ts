/**
 * The cache never lies: a mutation test of every target's inputs, in Nx's own
 * view (the files its hash plan covers, its runtime inputs, the dependency
 * outputs it hashes), against what each executor really uses:
 * - every plugin file Node loads when it requires the executor, and its
 *   options schema: changing one (a comment appended is enough) must change
 *   the hash of every target of that executor, because it is one of its inputs;
 * - every file of each tools/ directory that loaded code names (toolPath);
 * - the dist files an executor reads from its dependencies (store manifests,
 *   the boundary summary) as hashed dependency outputs;
 * - the compilers it invokes, through the kernel's compile-inputs command (collect), or the
 *   copy of its text that collect writes (module, build).
 * Files a target hashes that its executor does not use are reported
 * (over-invalidation), not failed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileInputsCommand } from '../../plugins/plugsched/src/plugin/code-inputs';
import { COMPILE_INPUTS_FILE } from '../../plugins/plugsched/src/plugin/print-runtime-input';

const ROOT = join(__dirname, '..', '..');

interface TaskView {
  executor: string;
  files: string[];
  runtime: string[];
  depOutputs: string[];
}

interface View {
  loaded: Record<string, string[]>;
  tasks: Record<string, TaskView>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : [relative(ROOT, p)];
  });
}

const TOOL_CALL = /\btoolPath\(\s*[^,()]+,\s*'([a-z0-9-]+)'/g;

/** tools/ files the given plugin files use: every file of each directory they name through toolPath. */
function toolFilesUsedBy(files: string[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) if (f.endsWith('.ts')) for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(TOOL_CALL)) dirs.add(m[1]);
  return [...dirs].flatMap((d) => walk(join(ROOT, 'tools', d)));
}

const kernels = readdirSync(join(ROOT, 'kernels')).filter((k) => statSync(join(ROOT, 'kernels', k)).isDirectory()).sort();
const schedulers = readdirSync(join(ROOT, 'schedulers'))
  .filter((s) => statSync(join(ROOT, 'schedulers', s)).isDirectory())
  .map((s) => ({ name: s, kernel: /^kernel:\s*(\S+)/m.exec(readFileSync(join(ROOT, 'schedulers', s, 'scheduler.yaml'), 'utf8'))?.[1] ?? '' }));

/** Dist files each task reads from its dependencies: it must hash them. */
function probes(): Record<string, string[]> {
  const p: Record<string, string[]> = {};
  const manifests = (k: string) => [`dist/kernels/${k}/source.json`, `dist/kernels/${k}/devel.json`];
  for (const k of kernels) {
    p[`${k}:collect`] = manifests(k);
    p[`${k}:analyze`] = [`dist/kernels/${k}/devel.json`, `dist/kernels/${k}/collect/kernel_sched_core.c.json`];
    p[`${k}:extract`] = [...manifests(k), `dist/kernels/${k}/boundary/boundary.json`, `dist/kernels/${k}/collect/kernel_sched_core.c.json`];
  }
  for (const s of schedulers) {
    // the variant's own sidecars are extracted in apply-patches (module/variant-sidecars.ts)
    p[`${s.name}:apply-patches`] = [`dist/kernels/${s.kernel}/source.json`, `dist/kernels/${s.kernel}/boundary/boundary.json`, `dist/kernels/${s.kernel}/boundary/vmlinux-facts.json`, `dist/kernels/${s.kernel}/collect/kernel_sched_core.c.json`];
    // the kernel's compilers: the copy of the runtime input its collect wrote
    p[`${s.name}:module`] = [`dist/kernels/${s.kernel}/devel.json`, `dist/schedulers/${s.name}/src/kernel/sched/core.c`, `dist/kernels/${s.kernel}/collect/${COMPILE_INPUTS_FILE}`];
    p[`${s.name}:build`] = [
      `dist/kernels/${s.kernel}/collect/${COMPILE_INPUTS_FILE}`,
      `dist/kernels/${s.kernel}/devel.json`,
      `dist/kernels/${s.kernel}/boundary/summary.md`,
      `dist/schedulers/${s.name}/scheduler.ko`,
    ];
  }
  return p;
}

let view: View;

beforeAll(() => {
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', 'test/support/task-inputs.ts', JSON.stringify(probes())], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false' },
    maxBuffer: 64 << 20,
  });
  view = JSON.parse(out) as View;
});

describe('target inputs (mutation test)', () => {
  it('finds the cacheable targets of every kernel and scheduler', () => {
    const ids = Object.keys(view.tasks);
    for (const k of kernels) for (const t of ['fetch', 'source', 'devel', 'collect', 'analyze', 'extract']) expect(ids).toContain(`${k}:${t}`);
    for (const s of schedulers) for (const t of ['apply-patches', 'module', 'build', 'vm-test']) expect(ids).toContain(`${s.name}:${t}`);
  });

  it('every plugin and tools/ file an executor uses is an input of each of its targets', () => {
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [id, task] of Object.entries(view.tasks)) {
      const used = new Set([...view.loaded[task.executor], ...toolFilesUsedBy(view.loaded[task.executor])]);
      const hashed = new Set(task.files);
      for (const f of used) if (!hashed.has(f)) missing.push(`${id}: ${f}`);
      for (const f of hashed) if ((f.startsWith('plugins/plugsched/src/') || f.startsWith('tools/')) && !used.has(f)) extra.push(`${id}: ${f}`);
    }
    if (extra.length > 0) console.log(`over-invalidation (hashed, not used by the executor), ${extra.length} pairs:\n  ${extra.join('\n  ')}`);
    expect(missing, 'a change of these files would be served a stale cache hit').toEqual([]);
  });

  it('plugin code reaches tools/ only through toolPath with a literal directory', () => {
    const offenders: string[] = [];
    for (const f of walk(join(ROOT, 'plugins', 'plugsched', 'src')).filter((x) => x.endsWith('.ts'))) {
      if (f.endsWith('util/tools.ts') || f.endsWith('util/code-closure.ts')) continue;
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const line of text.split('\n')) if (/['"`]tools['"`/]/.test(line) || /\btoolPath\(\s*[^,()]+,\s*[^'\s]/.test(line)) offenders.push(`${f}: ${line.trim()}`);
    }
    expect(offenders).toEqual([]);
  });

  it('targets hash the dist files they read from their dependencies', () => {
    const missing: string[] = [];
    for (const [id, paths] of Object.entries(probes())) {
      const task = view.tasks[id];
      if (task === undefined) continue;
      for (const p of paths) if (!task.depOutputs.includes(p)) missing.push(`${id}: ${p}`);
    }
    expect(missing).toEqual([]);
  });

  it('the compile steps hash the compilers they invoke, from the kernel, not a fixed command', () => {
    for (const k of kernels) expect(view.tasks[`${k}:collect`].runtime).toContain(compileInputsCommand(k));
    // module and build hash collect's copy of it (a dependency output, in the test above), and do
    // not run the command again: Nx runs a runtime input once per task it hashes
    for (const s of schedulers) {
      expect(view.tasks[`${s.name}:module`].depOutputs).toContain(`dist/kernels/${s.kernel}/collect/${COMPILE_INPUTS_FILE}`);
      expect(view.tasks[`${s.name}:build`].depOutputs).toContain(`dist/kernels/${s.kernel}/collect/${COMPILE_INPUTS_FILE}`);
      expect(view.tasks[`${s.name}:module`].runtime).not.toContain(compileInputsCommand(s.kernel));
    }
    for (const t of Object.values(view.tasks)) expect(t.runtime.filter((r) => /^gcc(-\d+)? --version/.test(r))).toEqual([]);
  });

  it("collect does not hash boundary.yaml (it needs only the units and file list, through the runtime input)", () => {
    for (const k of kernels) expect(view.tasks[`${k}:collect`].files.filter((f) => f.endsWith('boundary.yaml'))).toEqual([]);
  });

  it('store entries are keyed by the code that makes them, never by a hand-bumped number', () => {
    const bumped = walk(join(ROOT, 'plugins', 'plugsched', 'src'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => readFileSync(join(ROOT, f), 'utf8').split('\n').filter((l) => /\brecipe:\s*\d|_RECIPE\s*=\s*\d/.test(l)).map((l) => `${f}: ${l.trim()}`));
    expect(bumped).toEqual([]);
  });
});
