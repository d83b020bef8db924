import { describe, expect, it } from 'vitest';
import { STT_FUNC, STT_OBJECT, type ElfSymbol } from '../../plugins/plugsched/src/boundary/elf';
import { sharedVariablesList } from '../../plugins/plugsched/src/extract/extract-tree';
import { definedSharedVariables, readSharedVariables } from '../../plugins/plugsched/src/module/shared-variables';

const sym = (name: string, type: number, shndx: number): ElfSymbol => ({ index: 0, name, value: 0n, size: 8, bind: 1, type, shndx });

describe('variables the module shares with the kernel', () => {
  it('lists the shared ones, sorted, leaving out a name the module also keeps a copy of', () => {
    const text = sharedVariablesList(new Set(['sysctl_sched_latency', 'runqueues', 'cpu_idle']), new Set(['cpu_idle']));
    expect(readSharedVariables(text)).toEqual(['runqueues', 'sysctl_sched_latency']);
    expect(text.startsWith('# ')).toBe(true);
  });

  it('finds a shared variable the module defines, and only those', () => {
    const symbols = [sym('runqueues', STT_OBJECT, 0), sym('schedutil_gov', STT_OBJECT, 31), sym('schedutil_gov', STT_OBJECT, 31), sym('sysctl_sched_latency', STT_FUNC, 2), sym('own_counter', STT_OBJECT, 31)];
    expect(definedSharedVariables(symbols, ['runqueues', 'schedutil_gov', 'sysctl_sched_latency'])).toEqual(['schedutil_gov']);
    expect(definedSharedVariables(symbols.filter((s) => s.name !== 'schedutil_gov'), ['runqueues', 'schedutil_gov'])).toEqual([]);
  });
});
