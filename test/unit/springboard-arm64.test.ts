import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  arm64ScheduleEntry,
  arm64SpringboardLayoutHeader,
  checkArm64ModuleSchedule,
  parseArm64KernelSchedule,
  readArm64LayoutHeader,
} from '../../plugins/plugsched/src/extract/springboard-arm64';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'arm64', name), 'utf8');
const KERNEL = fixture('kernel-schedule.txt');
const OLD_LAYOUT_MODULE = fixture('module-schedule-old-layout.txt');

describe('arm64 __schedule springboard', () => {
  it("reads the kernel's frame: the switch point, x29, every saved register's slot and the canary (offsets from the entry sp)", () => {
    const f = parseArm64KernelSchedule(KERNEL);
    expect(f.switchOffset).toBe(0x33c);
    expect(f.spAtSwitch).toBe(-128);
    expect(f.fp).toBe(-96);
    expect(f.canary).toBe(-104);
    expect(f.slots).toEqual({ x29: -96, x30: -88, x19: -80, x20: -72, x21: -64, x22: -56, x23: -48, x24: -40, x25: -32, x26: -24, x27: -16, x28: -8 });
    const header = arm64SpringboardLayoutHeader(f);
    expect(header).toContain('#define PLUGSCHED_SWITCH_OFFSET 0x33c');
    expect(header).toContain('#define PLUGSCHED_FRAME_BELOW_FP 0x20');
    expect(readArm64LayoutHeader(header)).toEqual({ slots: f.slots, canary: -104 });
  });

  it('accepts a frame like the kernel\'s and names every difference of one unlike it (a module __schedule from the older cross compiler)', () => {
    const layout = readArm64LayoutHeader(arm64SpringboardLayoutHeader(parseArm64KernelSchedule(KERNEL)));
    if (layout === null) throw new Error('no layout');
    expect(checkArm64ModuleSchedule(layout, KERNEL)).toEqual([]);
    const problems = checkArm64ModuleSchedule(layout, OLD_LAYOUT_MODULE);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/saves x19@-112 .* x29@-128 x30@-120 where the kernel's __schedule saves x19@-80 /);
    expect(problems[1]).toMatch(/canary is at -8 where the kernel's tail checks -104/);
  });

  it("generates an entry routine that builds exactly the kernel's frame (its own prologue parses back to the kernel's slots), then calls the body", () => {
    const f = parseArm64KernelSchedule(KERNEL);
    const entry = arm64ScheduleEntry(f, '__mod___schedule');
    expect(entry[0]).toBe('paciasp');
    expect(entry.at(-2)).toBe('autiasp');
    expect(entry).toContain('ldr x17, [x16, #1360]'); // the per-task canary, as the kernel reads it
    const asObjdump = entry.map((insn, i) => `${(0x1000 + 4 * i).toString(16)}:\t${insn.replace(' ', '\t')}`).join('\n');
    const layout = readArm64LayoutHeader(arm64SpringboardLayoutHeader(f));
    if (layout === null) throw new Error('no layout');
    expect(checkArm64ModuleSchedule(layout, asObjdump)).toEqual([]);
  });

  it('refuses a kernel whose tail uses a register value from before the switch', () => {
    const broken = KERNEL.replace(/(\tbl\t[0-9a-f]+ <finish_task_switch\.isra\.0>\n)/, '$1ffff800008bb55c2:\tldr\tx0, [x19, #8]\n');
    expect(() => parseArm64KernelSchedule(broken)).toThrow(/after its switch point it runs "ldr x0, \[x19, #8\]"/);
  });

  it('refuses a kernel with no single direct call of __switch_to', () => {
    expect(() => parseArm64KernelSchedule(KERNEL.replace('<__switch_to>', '<__other>'))).toThrow(/calls __switch_to 0 times/);
  });
});
