/**
 * The boundary pipeline of one kernel, step by step: collect (compiler facts),
 * analyze (classes), extract (the module code base). Each step reads what the
 * previous one wrote under dist/kernels/<id>/ and writes its own output
 * atomically, so the Nx targets stay thin and cacheable.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { loadBoundaryConfig, type BoundaryConfig } from '../config/boundary-config';
import type { KernelConfig } from '../config/kernel-config';
import { ensureDevel } from '../kernel/devel';
import { ensureSource } from '../kernel/source';
import { disassembleFunction, parseKernelSchedule, springboardLayoutHeader } from '../extract/springboard';
import { arm64SpringboardLayoutHeader, parseArm64KernelSchedule } from '../extract/springboard-arm64';
import { extractTree } from '../extract/extract-tree';
import { PlugschedError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs-atomic';
import type { Logger } from '../util/progress';
import { analyzeBoundary, boundaryNameErrors, type BoundaryAnalysis } from './analyze';
import { buildCollector, runCollector, toolchainFor } from './collect';
import type { CollectedUnit } from './collector-format';
import { readVmlinuxFacts, type VmlinuxFacts, type VmlinuxQuery } from './vmlinux';

export function kernelDist(workspaceRoot: string, kernelId: string, ...parts: string[]): string {
  return join(workspaceRoot, 'dist', 'kernels', kernelId, ...parts);
}

export function boundaryConfigOf(workspaceRoot: string, kernel: KernelConfig): BoundaryConfig {
  if (!existsSync(kernel.boundary))
    throw new PlugschedError(`${kernel.file}: field "boundary" names ${kernel.boundary.slice(workspaceRoot.length + 1)}, which does not exist. Write the boundary config of this kernel line (see plugins/plugsched/docs/boundary-yaml.md) or point "boundary" at an existing one.`);
  return loadBoundaryConfig(kernel.boundary, workspaceRoot);
}

/** Build a directory in a sibling temp dir and swap it in, so a failure never leaves half an output. */
export function replaceDir(dest: string, fill: (tmp: string) => void): void {
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const unitFile = (unit: string) => `${unit.replace(/\//g, '_')}.json`;

/** Every file and unit the boundary names must exist in the kernel tree. */
export function checkLayout(tree: string, boundary: BoundaryConfig, kernelId: string): void {
  const missing = [...boundary.units, ...boundary.modFiles, ...boundary.sidecars.map((s) => s.file)].filter((f) => !existsSync(join(tree, f)));
  if (missing.length > 0)
    throw new PlugschedError(`${boundary.file} does not match the source of ${kernelId}: ${[...new Set(missing)].join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in its tree. Correct the paths (relative to the kernel tree, e.g. kernel/sched/rt.c), or give this kernel a boundary config of its own line.`);
}

/** collect: the compiler's facts about the scheduler units, one JSON per unit. */
export async function collectStep(workspaceRoot: string, kernel: KernelConfig, log: Logger): Promise<CollectedUnit[]> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const src = await ensureSource(kernel, log);
  checkLayout(src.tree, boundary, kernel.id);
  const devel = await ensureDevel(kernel, log);
  const toolchain = await toolchainFor(devel.config, kernel.kernelArch);
  const pluginSo = await buildCollector(workspaceRoot, toolchain, log);
  const units = await runCollector({ workspaceRoot, sourceTree: src.tree, sourceKey: src.manifest.store ?? src.tree, kernelConfig: devel.config, toolchain, pluginSo, units: boundary.units, log });
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'collect'), (tmp) => {
    for (const u of units) writeJsonAtomic(join(tmp, unitFile(u.unit)), u);
  });
  return units;
}

export function readCollected(workspaceRoot: string, kernel: KernelConfig): CollectedUnit[] {
  const dir = kernelDist(workspaceRoot, kernel.id, 'collect');
  if (!existsSync(dir)) throw new PlugschedError(`The collector's facts for ${kernel.id} are missing (dist/kernels/${kernel.id}/collect). Run "nx run ${kernel.id}:collect".`);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CollectedUnit);
}

/** What to ask the debug vmlinux about, from the collector's facts. */
export function vmlinuxQuery(units: CollectedUnit[]): VmlinuxQuery {
  const unitStatics: Record<string, string[]> = {};
  const unitGlobals: Record<string, string[]> = {};
  const fns = new Set<string>();
  const vars = new Set<string>();
  for (const u of units) {
    unitStatics[u.unit] = [...new Set(u.functions.filter((f) => f.linkage === 'static').map((f) => f.name))].sort();
    unitGlobals[u.unit] = [...new Set([...u.functions, ...u.variables.filter((v) => v.defined)].filter((f) => f.linkage === 'global').map((f) => f.name))].sort();
    for (const f of u.functions) if (f.file.startsWith('kernel/sched/')) fns.add(f.name);
    for (const v of u.variables) if (v.file.startsWith('kernel/sched/')) vars.add(v.name);
  }
  return { units: units.map((u) => u.unit), unitStatics, unitGlobals, functionNames: [...fns].sort(), variableNames: [...vars].sort() };
}

export interface AnalyzeOutput {
  analysis: BoundaryAnalysis;
  facts: VmlinuxFacts;
}

/** Markdown summary with the counts per class. */
export function summaryMarkdown(kernelId: string, boundary: BoundaryConfig, a: BoundaryAnalysis): string {
  const rows = Object.entries(a.classes).map(([k, v]) => `| ${k} | ${v.length} |`);
  return [
    `# Scheduler boundary of ${kernelId}`,
    '',
    `Boundary config: \`${boundary.file}\` (${boundary.modFiles.length} files, ${boundary.interfaces.length} listed interfaces).`,
    '',
    '| class | functions |',
    '|---|---|',
    ...rows,
    '',
    `Modifiable (insider) functions: ${a.classes.insider.length}. Structs with fields shared with the kernel: ${Object.values(a.structs).filter((s) => s.shared.length > 0).length}.`,
    ...(a.warnings.length > 0 ? ['', '## Warnings', '', ...a.warnings.map((w) => `- ${w}`)] : []),
    '',
  ].join('\n');
}

/** analyze: the boundary classes, reasons and struct ownership. */
function boundaryConfigError(file: string, errors: string[]): PlugschedError {
  return new PlugschedError(`${file}: the boundary cannot be used as configured: ${errors.map((e, i) => `(${i + 1}) ${e}`).join(' ')}`);
}

export async function analyzeStep(workspaceRoot: string, kernel: KernelConfig, log: Logger): Promise<AnalyzeOutput> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const units = readCollected(workspaceRoot, kernel);
  const badNames = boundaryNameErrors(units, boundary);
  if (badNames.length > 0) throw boundaryConfigError(boundary.file, badNames);
  const devel = await ensureDevel(kernel, log);
  log(`analyze: reading ${devel.manifest.vmlinux.split('/').pop()} (symbols, exports, relocations)`);
  const facts = readVmlinuxFacts(devel.vmlinux, vmlinuxQuery(units));
  const analysis = analyzeBoundary(units, facts, boundary);
  if (analysis.errors.length > 0) throw boundaryConfigError(boundary.file, analysis.errors);
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'boundary'), (tmp) => {
    writeJsonAtomic(join(tmp, 'boundary.json'), { kernel: kernel.id, classes: analysis.classes, reasons: analysis.reasons, warnings: analysis.warnings });
    writeFileAtomic(join(tmp, 'boundary-doc.yaml'), yaml.dump({ kernel: kernel.id, structs: analysis.structs }, { sortKeys: true, lineWidth: 120 }));
    writeFileAtomic(join(tmp, 'summary.md'), summaryMarkdown(kernel.id, boundary, analysis));
    writeJsonAtomic(join(tmp, 'vmlinux-facts.json'), facts);
  });
  log(`analyze: ${analysis.classes.interface.length} interfaces, ${analysis.classes.callback.length} callbacks, ${analysis.classes.insider.length} insiders`);
  return { analysis, facts };
}

/** extract: the module code base in dist/kernels/<id>/mod. */
export async function extractStep(workspaceRoot: string, kernel: KernelConfig, log: Logger, runtimeDir: string | null): Promise<string[]> {
  const boundary = boundaryConfigOf(workspaceRoot, kernel);
  const units = readCollected(workspaceRoot, kernel);
  const dir = kernelDist(workspaceRoot, kernel.id, 'boundary');
  if (!existsSync(join(dir, 'boundary.json'))) throw new PlugschedError(`The boundary of ${kernel.id} is missing (dist/kernels/${kernel.id}/boundary/boundary.json). Run "nx run ${kernel.id}:analyze".`);
  const classes = (JSON.parse(readFileSync(join(dir, 'boundary.json'), 'utf8')) as { classes: BoundaryAnalysis['classes'] }).classes;
  const facts = JSON.parse(readFileSync(join(dir, 'vmlinux-facts.json'), 'utf8')) as VmlinuxFacts;
  const present = new Set([...facts.functions.map((f) => f.name), ...facts.objects.map((o) => o.name)]);
  const src = await ensureSource(kernel, log);
  let springboardLayout: string | null = null;
  if (runtimeDir !== null && existsSync(runtimeDir)) {
    const devel = await ensureDevel(kernel, log);
    log("extract: reading the kernel's __schedule frame for the springboard");
    const schedule = disassembleFunction(devel.vmlinux, '__schedule');
    springboardLayout = kernel.kernelArch === 'arm64' ? arm64SpringboardLayoutHeader(parseArm64KernelSchedule(schedule)) : springboardLayoutHeader(parseKernelSchedule(schedule));
  }
  let files: string[] = [];
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'mod'), (tmp) => {
    const r = extractTree({ sourceTree: src.tree, outDir: tmp, units, classes, config: boundary, inVmlinux: (name) => present.has(name), runtimeDir, springboardLayout });
    if (r.problems.length > 0) throw new PlugschedError(`Extraction of ${kernel.id} cannot be done as configured by ${boundary.file}: ${r.problems.join(' ')}`);
    files = r.files;
  });
  log(`extract: ${files.length} files in dist/kernels/${kernel.id}/mod`);
  return files;
}
