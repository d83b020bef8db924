import { basename, dirname, join, relative, resolve } from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import schema from './schemas/scheduler.schema.json';
import { validateWithSchema } from './validate';
import { readYamlFile } from './yaml';

interface SchedulerYaml {
  kernel: string;
  version: string;
  description?: string;
  marker?: string;
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
  /** patches/*.patch, absolute, in the order they apply (sorted by name). */
  patches: string[];
}

export const SCHEDULER_FORMAT_DOC = 'plugins/plugsched/docs/scheduler-yaml.md';

export function listPatches(dir: string): string[] {
  const pdir = join(dir, 'patches');
  if (!existsSync(pdir)) return [];
  return readdirSync(pdir).filter((f) => f.endsWith('.patch')).sort().map((f) => join(pdir, f));
}

export function loadSchedulerConfig(path: string, workspaceRoot: string): SchedulerConfig {
  const abs = resolve(workspaceRoot, path);
  const file = relative(workspaceRoot, abs);
  const y = validateWithSchema<SchedulerYaml>(schema, readYamlFile(abs, file), file, SCHEDULER_FORMAT_DOC);
  const dir = dirname(abs);
  return { name: basename(dir), dir, file, kernel: y.kernel, version: y.version, description: y.description ?? '', marker: y.marker ?? null, patches: listPatches(dir) };
}
