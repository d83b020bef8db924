/**
 * The build-time half of the rule that the module and the kernel share one copy of each variable
 * the boundary shares: every such variable is an undefined symbol of scheduler.ko, resolved to
 * the kernel's at load. A definition of one of them in the module (a patch that turns the
 * extracted `extern` back into a definition, or an extraction gone wrong) would give the module
 * a second copy: the two schedulers would each see their own and the state would split silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfFile, STT_OBJECT, type ElfSymbol } from '../boundary/elf';
import { PlugschedError } from '../util/errors';

const SHN_UNDEF = 0;

/** The names of plugsched/shared-variables.txt (extract-tree.ts sharedVariablesList). */
export function readSharedVariables(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Shared variables that `symbols` (a module's symbol table) defines, sorted. */
export function definedSharedVariables(symbols: ElfSymbol[], shared: string[]): string[] {
  const wanted = new Set(shared);
  const hits = symbols.filter((s) => s.type === STT_OBJECT && s.shndx !== SHN_UNDEF && wanted.has(s.name)).map((s) => s.name);
  return [...new Set(hits)].sort();
}

/** Refuse a scheduler.ko that defines a variable it must share with the kernel. */
export function checkSharedVariables(dir: string, ko: string, scheduler: string): void {
  const list = join(dir, 'plugsched', 'shared-variables.txt');
  if (!existsSync(list)) return;
  const shared = readSharedVariables(readFileSync(list, 'utf8'));
  const elf = new ElfFile(ko);
  let defined: string[];
  try {
    defined = definedSharedVariables(elf.symbols(), shared);
  } finally {
    elf.close();
  }
  if (defined.length > 0)
    throw new PlugschedError(
      `The scheduler ${scheduler} defines ${defined.length === 1 ? 'a variable' : `${defined.length} variables`} it must share with the kernel: ${defined.join(', ')}. ` +
        `The module would keep a copy of its own that the kernel never sees (kernel/sched/plugsched/shared-variables.txt lists what is shared). ` +
        `Keep the extracted "extern" declaration in the variant's patches; to give the module a variable of its own, use a new name.`,
    );
}
