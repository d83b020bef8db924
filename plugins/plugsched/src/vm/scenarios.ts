/**
 * The VM scenarios: the scripts of tools/vm/scenarios, one shell function
 * each (scenario_<name>, helpers in tools/vm/lib.sh). The directory is the one
 * list of them. NN-<name>.sh is part of the full run, which takes them in
 * file-name order (live-update first: its checks see the first install);
 * <name>.sh runs only when named (downtime, the benchmark's). A variant adds
 * its own from schedulers/<name>/tests (variant-tests.ts).
 */
import { readdirSync } from 'node:fs';
import { PlugschedError } from '../util/errors';
import { toolPath } from '../util/tools';

export interface VmScenario {
  /** What --scenarios and the guest call it: the file name without its order and .sh. */
  name: string;
  /** The script's file name in tools/vm/scenarios. */
  file: string;
  /** Numbered: part of the full run. */
  inFullRun: boolean;
  /** The script, absolute, when it is not tools/vm/scenarios/<file> (a variant's test). */
  src?: string;
}

/** The scenarios a directory's file names make, in file-name order. */
export function scenariosOf(fileNames: string[]): VmScenario[] {
  const scenarios = fileNames
    .filter((f) => f.endsWith('.sh'))
    .sort()
    .map((file) => {
      const m = /^(\d+-)?(.+)\.sh$/.exec(file) as RegExpExecArray;
      return { name: m[2], file, inFullRun: m[1] !== undefined };
    });
  for (const s of scenarios) {
    const same = scenarios.filter((o) => o.name === s.name);
    if (same.length > 1) throw new PlugschedError(`The VM scenario scripts ${same.map((o) => o.file).join(' and ')} (tools/vm/scenarios) are both scenario "${s.name}"; rename one of them.`);
  }
  return scenarios;
}

/** The scenarios of a workspace's tools/vm/scenarios. */
export function vmScenarios(workspaceRoot: string): VmScenario[] {
  return scenariosOf(readdirSync(toolPath(workspaceRoot, 'vm', 'scenarios')));
}

/** The names of the full run, in its order: what vm-test runs unless told otherwise. */
export function fullRunScenarios(workspaceRoot: string): string[] {
  return vmScenarios(workspaceRoot)
    .filter((s) => s.inFullRun)
    .map((s) => s.name);
}

/** The scenarios named, in the order named; an unknown name is an error listing the choices. */
export function pickScenarios(names: string[], available: VmScenario[]): VmScenario[] {
  return names.map((n) => {
    const s = available.find((a) => a.name === n);
    if (s === undefined) throw new PlugschedError(`Unknown VM scenario "${n}": the scenarios are ${available.map((a) => a.name).join(', ')} (built in: tools/vm/scenarios/[NN-]<name>.sh; a variant's own: schedulers/<variant>/tests/[NN-]<name>.sh). Pass names from that list to --scenarios.`);
    return s;
  });
}
