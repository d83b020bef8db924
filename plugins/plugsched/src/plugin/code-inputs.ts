/**
 * The code inputs of a target, from what its executor really runs: every
 * plugin file its implementation reaches through runtime imports (and its
 * options schema), every tools/ directory that code names through toolPath,
 * and the npm packages it imports. The mutation test
 * (test/unit/target-inputs.test.ts) checks these against the modules Node
 * really loads for each executor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { workspaceRoot, type TargetConfiguration } from '@nx/devkit';
import { codeClosure, PLUGIN_SRC } from '../util/code-closure';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

interface ExecutorEntry {
  implementation: string;
  schema: string;
}

const PLUGIN_ROOT = dirname(PLUGIN_SRC);
const cache = new Map<string, Input[]>();

function executorEntry(name: string): ExecutorEntry {
  const all = (JSON.parse(readFileSync(join(PLUGIN_ROOT, 'executors.json'), 'utf8')) as { executors: Record<string, ExecutorEntry> }).executors;
  const e = all[name];
  if (e === undefined) throw new Error(`@plugsched/nx has no executor "${name}" (executors.json)`);
  return e;
}

/**
 * The plugin's src/ relative to the workspace being built. Usually the
 * plugin lives in that workspace (plugins/plugsched); a workspace that links
 * the plugin from another one (node_modules symlink, as the tests' temporary
 * workspaces do) holds a copy of it at the same place as in its own workspace.
 */
function pluginSrcInWorkspace(): string {
  const inside = relative(workspaceRoot, PLUGIN_SRC);
  if (!inside.startsWith('..')) return inside;
  let home = dirname(PLUGIN_ROOT);
  while (!existsSync(join(home, 'nx.json')) && dirname(home) !== home) home = dirname(home);
  return relative(home, PLUGIN_SRC);
}

/** Plugin-relative "./src/executors/x/executor" -> "executors/x/executor.ts" (relative to src/). */
function srcRelative(pluginPath: string, ext: string): string {
  const p = relative(PLUGIN_SRC, join(PLUGIN_ROOT, pluginPath));
  return p.endsWith(ext) ? p : `${p}${ext}`;
}

/** The code inputs of executor `name`, as Nx input definitions (sorted, deterministic). */
export function executorCodeInputs(name: string): Input[] {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const entry = executorEntry(name);
  const closure = codeClosure(PLUGIN_SRC, [srcRelative(entry.implementation, '.ts')]);
  const srcDir = pluginSrcInWorkspace();
  const files = [...new Set([...closure.files, srcRelative(entry.schema, '')])].sort();
  const inputs: Input[] = [
    ...files.map((f) => `{workspaceRoot}/${srcDir}/${f}`),
    ...closure.tools.map((t) => `{workspaceRoot}/tools/${t}/**/*`),
    { externalDependencies: ['nx', ...closure.packages.filter((p) => p !== 'nx')].sort() },
  ];
  cache.set(name, inputs);
  return inputs;
}

/**
 * The runtime input that stands for kernel `kernelId`'s compilers and the
 * units its collector compiles (print-runtime-input.ts, run by Nx from the
 * workspace root when it hashes collect and module).
 */
export function compileInputsCommand(kernelId: string): string {
  return `node -r @swc-node/register ${pluginSrcInWorkspace()}/plugin/print-runtime-input.ts ${kernelId}`;
}
