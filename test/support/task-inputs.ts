/**
 * Run as `node -r @swc-node/register test/support/task-inputs.ts` in a
 * workspace: prints JSON with, for every cacheable task, its executor and Nx's
 * own view of its inputs (the files it hashes, its runtime inputs, and which
 * of the given probe paths match a dependentTasksOutputFiles input), and, for
 * every executor of @plugsched/nx, the plugin files Node really loads for it.
 *
 * Probe paths (dist files a task reads from its dependencies) come as JSON in
 * argv[2]: { "<project>:<target>": ["dist/...", ...] }.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { readNxJson } from 'nx/src/config/nx-json';
import { checkFilesAreInputs, getTaskRawInputs } from 'nx/src/hasher/check-task-files';

const ROOT = process.cwd();
const PLUGIN = join(ROOT, 'plugins', 'plugsched');

/** The plugin files (relative to the workspace) that requiring one executor loads. */
function loadedBy(implementation: string): string[] {
  for (const k of Object.keys(require.cache)) if (k.startsWith(`${PLUGIN}/`)) delete require.cache[k];
  require(join(PLUGIN, implementation));
  return Object.keys(require.cache)
    .filter((k) => k.startsWith(`${PLUGIN}/src/`))
    .map((k) => relative(ROOT, k))
    .sort();
}

async function main(): Promise<void> {
  const probes = JSON.parse(process.argv[2] ?? '{}') as Record<string, string[]>;
  const executors = (JSON.parse(readFileSync(join(PLUGIN, 'executors.json'), 'utf8')) as { executors: Record<string, { implementation: string; schema: string }> }).executors;
  const loaded: Record<string, string[]> = {};
  for (const [name, e] of Object.entries(executors)) loaded[name] = [...loadedBy(e.implementation), relative(ROOT, join(PLUGIN, e.schema))].sort();

  const projectGraph = await createProjectGraphAsync({ exitOnError: true });
  const nxJson = readNxJson(ROOT);
  const tasks: Record<string, { executor: string; files: string[]; runtime: string[]; depOutputs: string[] }> = {};
  for (const [project, node] of Object.entries(projectGraph.nodes)) {
    for (const [target, config] of Object.entries(node.data.targets ?? {})) {
      if (config.cache !== true || !config.executor?.startsWith('@plugsched/nx:')) continue;
      const id = `${project}:${target}`;
      const raw = await getTaskRawInputs(id, { projectGraph, nxJson });
      if (!raw) throw new Error(`Nx has no hash plan for ${id}`);
      const probe = probes[id] ?? [];
      const { categories } = await checkFilesAreInputs(id, probe);
      tasks[id] = {
        executor: config.executor.slice('@plugsched/nx:'.length),
        files: [...raw.files].sort(),
        runtime: [...raw.runtime].sort(),
        // 'depOutputs' when the file exists (a dependency's output on disk), 'dependentTasksOutputFiles' when it only matches the glob
        depOutputs: probe.filter((p) => ['depOutputs', 'dependentTasksOutputFiles'].includes(String(categories.get(p)))),
      };
    }
  }
  process.stdout.write(JSON.stringify({ loaded, tasks }));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
