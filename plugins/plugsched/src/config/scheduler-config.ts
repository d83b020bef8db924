import { basename, dirname, join, relative, resolve } from 'node:path';
import schema from './schemas/scheduler.schema.json';
import { diskFiles, type ConfigFiles } from './config-files';
import { validateWithSchema } from './validate';
import { readYamlFile } from './yaml';

interface SchedulerYaml {
  kernel: string;
  version: string;
  description?: string;
  marker?: string;
  sidecars?: { function: string; file: string }[];
}

export interface SchedulerConfig {
  /** Project name: the folder name under schedulers/. */
  name: string;
  dir: string;
  /** scheduler.yaml relative to the workspace, for messages. */
  file: string;
  kernel: string;
  version: string;
  description: string;
  marker: string | null;
  /** The variant's own sidecars (functions outside the boundary files it redirects too), in the order listed. */
  sidecars: { name: string; file: string }[];
  /** patches/*.patch, absolute, in the order they apply (sorted by name). */
  patches: string[];
}

export const SCHEDULER_FORMAT_DOC = 'plugins/plugsched/docs/scheduler-yaml.md';

export function listPatches(dir: string, files: ConfigFiles = diskFiles): string[] {
  const pdir = join(dir, 'patches');
  return files.list(pdir).filter((f) => f.endsWith('.patch')).sort().map((f) => join(pdir, f));
}

/** Parse and validate schedulers/<name>/scheduler.yaml (from the disk, or the `files` a generator sees). */
export function loadSchedulerConfig(path: string, workspaceRoot: string, files: ConfigFiles = diskFiles): SchedulerConfig {
  const abs = resolve(workspaceRoot, path);
  const file = relative(workspaceRoot, abs);
  const y = validateWithSchema<SchedulerYaml>(schema, readYamlFile(abs, file, files), file, SCHEDULER_FORMAT_DOC);
  const dir = dirname(abs);
  return { name: basename(dir), dir, file, kernel: y.kernel, version: y.version, description: y.description ?? '', marker: y.marker ?? null, sidecars: (y.sidecars ?? []).map((s) => ({ name: s.function, file: s.file })), patches: listPatches(dir, files) };
}
