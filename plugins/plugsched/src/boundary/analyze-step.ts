/** analyze: the boundary classes, reasons and struct ownership in dist/kernels/<id>/boundary. */
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { BoundaryConfig } from '../config/boundary-config';
import type { KernelConfig } from '../config/kernel-config';
import { ensureDevel } from '../kernel/devel';
import { PlugschedError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs-atomic';
import type { Logger } from '../util/progress';
import { analyzeBoundary, boundaryNameErrors, type BoundaryAnalysis } from './analyze';
import type { CollectedUnit } from './collector-format';
import { boundaryConfigOf, kernelDist, readCollected, replaceDir } from './pipeline';
import { resolveSidecars, sidecarReasons, withSidecars } from './sidecars';
import { readVmlinuxFacts, type VmlinuxFacts, type VmlinuxQuery } from './vmlinux';

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

/** Takes a list of "name (file)" keys; gives them as a comma-separated list of code spans. */
const codeList = (keys: string[]) => (keys.length === 0 ? 'none' : keys.map((k) => `\`${k.replace(/ \(.*\)$/, '')}\``).join(', '));

/**
 * Markdown summary: the counts per class, then the interfaces by origin
 * (derived from the kernel, syscalls, callees of kernelFunctions, overrides)
 * with the reason of every override, so a reviewer sees what boundary.yaml
 * decided by hand and what the kernel decided.
 */
export function summaryMarkdown(kernelId: string, boundary: BoundaryConfig, a: BoundaryAnalysis): string {
  const rows = Object.entries(a.classes).map(([k, v]) => `| ${k} | ${v.length} |`);
  const by = (o: string) => Object.entries(a.interfaces.origins).filter(([, v]) => v === o).map(([k]) => k);
  const derived = by('derived');
  const first = (key: string) => (a.reasons[key]?.[0] ?? '').replace(/^derived: /, '');
  return [
    `# Scheduler boundary of ${kernelId}`,
    '',
    `Boundary config: \`${boundary.file}\` (${boundary.modFiles.length} files; overrides: ${boundary.interfaces.length} added, ${boundary.excludedInterfaces.length} excluded interfaces).`,
    '',
    '| class | functions |',
    '|---|---|',
    ...rows,
    '',
    `Modifiable (insider) functions: ${a.classes.insider.length}. Structs with fields shared with the kernel: ${Object.values(a.structs).filter((s) => s.shared.length > 0).length}.`,
    '',
    '## Interfaces',
    '',
    `Derived from the kernel (entered from outside the boundary files: calls and address loads from the rest of vmlinux, from the other files of the scheduler's units, static calls, exports), ${derived.length}:`,
    '',
    '| interface | entered by |',
    '|---|---|',
    ...derived.map((k) => `| \`${k}\` | ${first(k).replace(/\|/g, '\\|')} |`),
    '',
    `Syscall entries (interfacePrefixes), ${by('syscall').length}: ${codeList(by('syscall'))}.`,
    '',
    `Called by functions that stay in the kernel (kernelFunctions), ${by('kernel-function callee').length}: ${codeList(by('kernel-function callee'))}.`,
    '',
    `Added by an override (\`interfaces\` in ${boundary.file}), ${by('override').length}:`,
    '',
    ...(by('override').length === 0 ? ['none'] : by('override').map((k) => `- \`${k}\`: ${(a.reasons[k]?.[0] ?? '').replace(/^added as an interface in [^:]*: /, '')}`)),
    '',
    `Derived but kept in the kernel (an \`excludeInterfaces\` override, or a lock guard of the same name; the kernel's copy is used), ${a.interfaces.excluded.length}:`,
    '',
    ...(a.interfaces.excluded.length === 0 ? ['none'] : a.interfaces.excluded.map((x) => `- \`${x.key}\`: ${x.reason} (${x.entries[0] ?? 'a kernelFunctions callee'})`)),
    ...(a.warnings.length > 0 ? ['', '## Warnings', '', ...a.warnings.map((w) => `- ${w}`)] : []),
    '',
  ].join('\n');
}

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
  // sidecars (sidecars.ts): functions outside the boundary files, redirected too
  const sidecars = resolveSidecars(units, facts, boundary.sidecars, boundary.modFiles, { file: boundary.file, field: 'sidecars' });
  if (sidecars.errors.length > 0) throw boundaryConfigError(boundary.file, sidecars.errors);
  const classes = withSidecars(analysis.classes, sidecars);
  const reasons = { ...analysis.reasons, ...sidecarReasons(sidecars.entries, { file: boundary.file, field: 'sidecars' }) };
  replaceDir(kernelDist(workspaceRoot, kernel.id, 'boundary'), (tmp) => {
    writeJsonAtomic(join(tmp, 'boundary.json'), { kernel: kernel.id, classes, interfaces: analysis.interfaces, reasons, warnings: analysis.warnings });
    writeFileAtomic(join(tmp, 'boundary-doc.yaml'), yaml.dump({ kernel: kernel.id, structs: analysis.structs }, { sortKeys: true, lineWidth: 120 }));
    writeFileAtomic(join(tmp, 'summary.md'), summaryMarkdown(kernel.id, boundary, { ...analysis, classes }));
    writeJsonAtomic(join(tmp, 'vmlinux-facts.json'), facts);
  });
  log(`analyze: ${analysis.classes.interface.length} interfaces, ${analysis.classes.callback.length} callbacks, ${analysis.classes.insider.length} insiders`);
  return { analysis, facts };
}
