import { existsSync, readFileSync } from 'node:fs';
import { logger, type ExecutorContext } from '@nx/devkit';
import type { BoundaryAnalysis } from '../../boundary/analyze';
import { nearMatches } from '../../boundary/analyze';
import { kernelDist } from '../../boundary/pipeline';
import { PlugschedError } from '../../util/errors';
import { reportFailure, type ExecutorResult } from '../kernel-step';

export interface ExplainOptions {
  fn?: string;
}

/** Lines saying a function's class and why, from boundary.json. Pure. */
export function explainFunction(boundary: { classes: BoundaryAnalysis['classes']; reasons: BoundaryAnalysis['reasons'] }, fn: string): string[] {
  const lines: string[] = [];
  for (const [cls, entries] of Object.entries(boundary.classes)) {
    if (cls === 'tainted' || cls === 'undefined') continue;
    for (const e of entries.filter((x) => x.name === fn)) {
      const key = `${e.name} (${e.file})`;
      lines.push(`${key}: ${cls}${e.sympos ? ` (sympos ${e.sympos})` : ''}`);
      const why = boundary.reasons[key] ?? (cls === 'insider' ? ['reached only through interfaces and callbacks: the module owns it and it may be changed'] : []);
      for (const w of why) lines.push(`  because ${w}`);
    }
  }
  return lines;
}

/** nx run <kernel>:explain --fn NAME */
export default async function explainExecutor(options: ExplainOptions, context: ExecutorContext): Promise<ExecutorResult> {
  try {
    const name = context.projectName as string;
    const file = kernelDist(context.root, name, 'boundary', 'boundary.json');
    if (!existsSync(file)) throw new PlugschedError(`The boundary of ${name} has not been computed yet. Run "nx run ${name}:analyze" first.`);
    if (!options.fn) throw new PlugschedError(`Say which function to explain: nx run ${name}:explain --fn=NAME`);
    const boundary = JSON.parse(readFileSync(file, 'utf8'));
    const lines = explainFunction(boundary, options.fn);
    if (lines.length === 0) {
      const all = new Set<string>(Object.values(boundary.classes as BoundaryAnalysis['classes']).flat().map((e) => e.name));
      const near = nearMatches(options.fn, all);
      throw new PlugschedError(`${options.fn} is not a function of the scheduler boundary of ${name}${near.length ? `; did you mean ${near.join(', ')}?` : '.'}`);
    }
    for (const l of lines) logger.info(l);
    return { success: true };
  } catch (e) {
    return reportFailure(e);
  }
}
