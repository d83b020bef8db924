import { describe, expect, it } from 'vitest';
import { linkAddressLines, parseSympos } from '../../plugins/plugsched/src/module/link-addresses';

const KERNEL = [
  { name: '_text', addr: 0xffff800008000000n },
  { name: '_stext', addr: 0xffff800008010000n },
  { name: 'runqueues', addr: 0xffff8000094e0a40n },
  { name: 'print_cpu', addr: 0xffff8000080f2000n },
  { name: 'print_cpu', addr: 0xffff8000080a1000n },
  { name: 'dup_var', addr: 0xffff800009000000n },
  { name: 'dup_var', addr: 0xffff800009000100n },
];

describe('linkAddressLines', () => {
  it('lists every undefined name the kernel defines, __orig_ stripped, _text always, duplicates by sympos in address order', () => {
    const lines = linkAddressLines(['runqueues', '__orig_print_cpu', 'dup_var', 'printk', ''], KERNEL, parseSympos('print_cpu 2\n'));
    expect(lines).toEqual(['_stext ffff800008010000', '_text ffff800008000000', 'print_cpu ffff8000080f2000', 'runqueues ffff8000094e0a40']);
  });

  it('leaves out a duplicated name the module gives no position for', () => {
    expect(linkAddressLines(['dup_var'], KERNEL, new Map()).map((l) => l.split(' ')[0])).toEqual(['_stext', '_text']);
    expect(linkAddressLines(['dup_var'], KERNEL, new Map([['dup_var', 1]]))).toContain('dup_var ffff800009000000');
  });
});
