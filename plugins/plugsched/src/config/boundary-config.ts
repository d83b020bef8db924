import { dirname, relative, resolve } from 'node:path';
import schema from './schemas/boundary.schema.json';
import { validateWithSchema } from './validate';
import { readYamlFile } from './yaml';

interface BoundaryYaml {
  files: { path: string; reason: string }[];
  outside?: { path: string; reason: string }[];
  interfaces: string[];
  interfacePrefixes?: string[];
  kernelFunctions?: { function: string; reason: string }[];
  sharedVariables?: string[];
  privateVariables?: string[];
  sidecars?: { function: string; file: string }[];
  moduleCompat?: string;
  units?: string[];
}

/** The boundary config in the shape the analysis consumes (sorted, defaults filled in). */
export interface BoundaryConfig {
  /** boundary.yaml path relative to the workspace, for messages. */
  file: string;
  modFiles: string[];
  outsideFiles: string[];
  interfaces: string[];
  interfacePrefixes: string[];
  /** Boundary-file functions that stay in the kernel, with the reason. */
  kernelFunctions: { name: string; reason: string }[];
  sharedVars: string[];
  privateVars: string[];
  sidecars: { name: string; file: string }[];
  /** The translation units the collector compiles. */
  units: string[];
  /** Absolute path of the header forced into every module object, or null. */
  moduleCompat: string | null;
}

/** The scheduler's translation units since Linux 5.18 (unity builds). */
export const DEFAULT_UNITS = ['kernel/sched/core.c', 'kernel/sched/fair.c', 'kernel/sched/build_policy.c', 'kernel/sched/build_utility.c'];

export const BOUNDARY_FORMAT_DOC = 'plugins/plugsched/docs/boundary-yaml.md';

const sorted = (xs: string[] | undefined) => [...new Set(xs ?? [])].sort();

export function loadBoundaryConfig(path: string, workspaceRoot: string): BoundaryConfig {
  const file = relative(workspaceRoot, resolve(workspaceRoot, path));
  const y = validateWithSchema<BoundaryYaml>(schema, readYamlFile(resolve(workspaceRoot, path), file), file, BOUNDARY_FORMAT_DOC);
  return {
    file,
    modFiles: sorted(y.files.map((f) => f.path)),
    outsideFiles: sorted(y.outside?.map((f) => f.path)),
    interfaces: sorted(y.interfaces),
    interfacePrefixes: sorted(y.interfacePrefixes),
    kernelFunctions: (y.kernelFunctions ?? []).map((k) => ({ name: k.function, reason: k.reason })).sort((a, b) => a.name.localeCompare(b.name)),
    sharedVars: sorted(y.sharedVariables),
    privateVars: sorted(y.privateVariables),
    sidecars: (y.sidecars ?? []).map((s) => ({ name: s.function, file: s.file })).sort((a, b) => a.name.localeCompare(b.name)),
    units: y.units ?? DEFAULT_UNITS,
    moduleCompat: y.moduleCompat === undefined ? null : resolve(dirname(resolve(workspaceRoot, path)), y.moduleCompat),
  };
}
