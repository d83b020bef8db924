import { dirname, relative, resolve } from 'node:path';
import { PlugschedError } from '../util/errors';
import schema from './schemas/boundary.schema.json';
import { validateWithSchema } from './validate';
import { readYamlFile } from './yaml';

interface BoundaryYaml {
  files: { path: string; reason: string }[];
  outside?: { path: string; reason: string }[];
  interfaces?: { function: string; reason: string }[];
  excludeInterfaces?: { function: string; reason: string }[];
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
  /** Overrides: functions redirected although the analysis does not derive them, with the reason. */
  interfaces: { name: string; reason: string }[];
  /** Overrides: derived interfaces that stay the kernel's, with the reason. */
  excludedInterfaces: { name: string; reason: string }[];
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
const byName = (xs: { function: string; reason: string }[] | undefined) => (xs ?? []).map((k) => ({ name: k.function, reason: k.reason })).sort((a, b) => a.name.localeCompare(b.name));

/**
 * Takes the parsed YAML and the file's name; throws for the hand-listed
 * interface names of the format before interfaces were derived, saying how to
 * move to overrides (the schema's own message would only say "must be object").
 */
export function checkNotOldInterfaceList(data: unknown, file: string): void {
  const list = data !== null && typeof data === 'object' ? (data as Record<string, unknown>).interfaces : undefined;
  if (!Array.isArray(list) || !list.some((x) => typeof x === 'string')) return;
  throw new PlugschedError(
    `${file}: field "interfaces" lists bare function names (${list.filter((x) => typeof x === 'string').slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''}), the format from before interfaces were derived. The analysis now derives the interfaces from the kernel (calls and references from outside the boundary files, exports, static calls, syscalls); "interfaces" lists only the ones it cannot see, as { function, reason }, and "excludeInterfaces" the derived ones that stay the kernel's. Delete the names (run "nx run <kernel>:analyze" and compare dist/kernels/<kernel>/boundary/summary.md), and give a reason for each one you keep. See ${BOUNDARY_FORMAT_DOC}.`,
  );
}

export function loadBoundaryConfig(path: string, workspaceRoot: string): BoundaryConfig {
  const file = relative(workspaceRoot, resolve(workspaceRoot, path));
  const data = readYamlFile(resolve(workspaceRoot, path), file);
  checkNotOldInterfaceList(data, file);
  const y = validateWithSchema<BoundaryYaml>(schema, data, file, BOUNDARY_FORMAT_DOC);
  return {
    file,
    modFiles: sorted(y.files.map((f) => f.path)),
    outsideFiles: sorted(y.outside?.map((f) => f.path)),
    interfaces: byName(y.interfaces),
    excludedInterfaces: byName(y.excludeInterfaces),
    interfacePrefixes: sorted(y.interfacePrefixes),
    kernelFunctions: byName(y.kernelFunctions),
    sharedVars: sorted(y.sharedVariables),
    privateVars: sorted(y.privateVariables),
    sidecars: (y.sidecars ?? []).map((s) => ({ name: s.function, file: s.file })).sort((a, b) => a.name.localeCompare(b.name)),
    units: y.units ?? DEFAULT_UNITS,
    moduleCompat: y.moduleCompat === undefined ? null : resolve(dirname(resolve(workspaceRoot, path)), y.moduleCompat),
  };
}
