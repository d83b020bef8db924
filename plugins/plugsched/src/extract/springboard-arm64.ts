/**
 * The __schedule springboard's contract with the kernel (arm64).
 *
 * Same idea as on x86-64 (springboard.ts): the module's context_switch()
 * sets sp as the kernel's __schedule has it at its "bl __switch_to" and
 * branches to that instruction, so every task sleeps in, and resumes from,
 * the kernel's __schedule. The kernel's tail after the call then restores
 * the callee-saved registers and x29/x30 from their slots, checks the stack
 * canary and returns.
 *
 * Unlike x86-64, the module's __schedule does not have to share the kernel's
 * frame layout (compilers differ: GCC's CVE-2023-4039 fix moved arm64's
 * saved registers above the locals, and Debian's kernel was built after it
 * while bookworm's cross compiler predates it). The kernel's __schedule is
 * entered through a small entry routine generated here from the kernel's
 * own prologue: it builds exactly the kernel's frame (signed LR, saved
 * registers, canary) and calls the module's C body. At the switch the body
 * follows its frame record to that frame ("ldr x29, [x29]"), sets sp below
 * it as the kernel has it, and branches. Slots are counted from the stack
 * pointer at entry (the CFA). Pure functions over objdump text
 * (aarch64-linux-gnu-objdump -d --no-show-raw-insn).
 */
import { PlugschedError } from '../util/errors';
import { parseObjdump } from './springboard';

export interface Arm64ScheduleFrame {
  /** Offset of "bl __switch_to" from the start of __schedule. */
  switchOffset: number;
  /** sp at the switch point, as an offset from the CFA (negative). */
  spAtSwitch: number;
  /** x29 after the prologue, as an offset from the CFA (negative). */
  fp: number;
  /** Saved register -> its slot, as an offset from the CFA; x29 and x30 included. */
  slots: Record<string, number>;
  /** The canary's slot as an offset from the CFA, or null without a canary. */
  canary: number | null;
  /** Where the canary comes from: its offset in task_struct (per-task canary, read through sp_el0), or null for the global __stack_chk_guard. */
  canaryTaskOffset: number | null;
  /** The prologue signs the return address (paciasp): the epilogue authenticates it. */
  pac: boolean;
}

const imm = (s: string) => (s.startsWith('#-') ? -Number(s.slice(2)) : Number(s.slice(1)));
const clean = (t: string) => t.replace(/\s*\/\/.*$/, '').trim();

/** The prologue of an arm64 frame-record function: saved-register slots, x29 and the canary's slot. */
export function parseArm64Prologue(disasm: string, what: string): Omit<Arm64ScheduleFrame, 'switchOffset'> {
  const insns = parseObjdump(disasm).map((x) => ({ ...x, text: clean(x.text) }));
  let sp = 0;
  let fp: number | null = null;
  const slots: Record<string, number> = {};
  let canary: number | null = null;
  let canaryReg: string | null = null;
  let canaryTaskOffset: number | null = null;
  let currentReg: string | null = null;
  let pac = false;
  for (let i = 0; i < insns.length && i < 64; i++) {
    const t = insns[i].text;
    let m: RegExpExecArray | null;
    if (t === 'paciasp') pac = true;
    if (t === 'paciasp' || t === 'bti c' || t === 'nop') continue;
    if ((m = /^sub sp, sp, #(0x[0-9a-f]+|\d+)$/.exec(t))) {
      sp -= Number(m[1]);
      continue;
    }
    if ((m = /^stp (x\d+), (x\d+), \[sp, (#-?\d+)\]!$/.exec(t))) {
      sp += imm(m[3]);
      slots[m[1]] = sp;
      slots[m[2]] = sp + 8;
      continue;
    }
    if ((m = /^stp (x\d+), (x\d+), \[sp(?:, (#-?\d+))?\]$/.exec(t))) {
      const at = sp + (m[3] ? imm(m[3]) : 0);
      slots[m[1]] = at;
      slots[m[2]] = at + 8;
      continue;
    }
    if ((m = /^str (x(?:19|2\d|30)), \[sp(?:, (#-?\d+))?\]$/.exec(t))) {
      slots[m[1]] = sp + (m[2] ? imm(m[2]) : 0);
      continue;
    }
    if (t === 'mov x29, sp') {
      fp = sp;
      continue;
    }
    if ((m = /^add x29, sp, #(0x[0-9a-f]+|\d+)$/.exec(t))) {
      fp = sp + Number(m[1]);
      continue;
    }
    if ((m = /^mrs (x\d+), sp_el0$/.exec(t))) {
      currentReg = m[1];
      continue;
    }
    // per-task canary (STACKPROTECTOR_PER_TASK): ldr xN, [current, #offset]; global: adrp/ldr of __stack_chk_guard
    if ((m = /^ldr (x\d+), \[(x\d+), #(\d+)\]$/.exec(t)) && (m[2] === currentReg || /__stack_chk_guard/.test(insns[i - 1]?.text ?? ''))) {
      canaryReg = m[1];
      canaryTaskOffset = m[2] === currentReg ? Number(m[3]) : null;
      continue;
    }
    if (canaryReg !== null && canary === null && (m = /^stu?r (x\d+), \[(x29|sp), (#-?\d+)\]$/.exec(t)) && m[1] === canaryReg && (m[2] === 'sp' || fp !== null)) {
      canary = (m[2] === 'x29' ? (fp as number) : sp) + imm(m[3]);
      continue;
    }
    // the prologue ends where control flow starts
    if (/^(b|bl|blr|br|ret|cbn?z|tbn?z|b\.\w+)( |$)/.test(t)) break;
  }
  if (fp === null) throw new PlugschedError(`${what} sets up no frame record (x29) in its prologue: the springboard needs __schedule built with a frame pointer.`);
  if (slots.x29 !== fp || slots.x30 !== fp + 8) throw new PlugschedError(`${what}: its frame record (x29, x30) is not where x29 points; cannot tell the frame's layout.`);
  return { spAtSwitch: sp, fp, slots, canary, canaryTaskOffset: canary === null ? null : canaryTaskOffset, pac };
}

/** The kernel's __schedule: its frame, its switch point, and a tail the springboard can serve. */
export function parseArm64KernelSchedule(disasm: string): Arm64ScheduleFrame {
  const what = "The kernel's __schedule";
  const prologue = parseArm64Prologue(disasm, what);
  const insns = parseObjdump(disasm).map((x) => ({ ...x, text: clean(x.text) }));
  const calls = insns.filter((x) => /^bl [0-9a-f]+ <__switch_to>$/.test(x.text));
  if (calls.length !== 1) throw new PlugschedError(`${what} calls __switch_to ${calls.length} times; the springboard needs exactly one direct "bl __switch_to".`);
  const call = insns.indexOf(calls[0]);
  const restored = new Set<string>();
  let sp = prologue.spAtSwitch;
  let current: string | null = null;
  for (let k = call + 1; k < insns.length; k++) {
    const t = insns[k].text;
    let m: RegExpExecArray | null;
    if ((m = /^mrs (x\d+), sp_el0$/.exec(t))) {
      current = m[1];
      continue;
    }
    if (/^bl [0-9a-f]+ <finish_task_switch[.\w]*>$/.test(t) || /^subs x\d+, x\d+, x\d+$/.test(t) || /^mov x\d+, #0x0$/.test(t) || /^b\.ne [0-9a-f]+ <__schedule\+0x[0-9a-f]+>$/.test(t) || t === 'autiasp') continue;
    if ((m = /^ldu?r x\d+, \[(x\d+), (#-?\d+)\]$/.exec(t))) {
      // the canary: from its slot, and the task's own (per-task canary, from current) to compare with
      if ((m[1] === 'x29' && prologue.canary === prologue.fp + imm(m[2])) || m[1] === current) continue;
    }
    if ((m = /^ldp (x\d+), (x\d+), \[sp(?:, (#-?\d+))?\]$/.exec(t))) {
      const at = sp + (m[3] ? imm(m[3]) : 0);
      if (prologue.slots[m[1]] === at && prologue.slots[m[2]] === at + 8) {
        restored.add(m[1]).add(m[2]);
        continue;
      }
    }
    if ((m = /^ldp (x\d+), (x\d+), \[sp\], (#\d+)$/.exec(t)) && prologue.slots[m[1]] === sp && prologue.slots[m[2]] === sp + 8) {
      restored.add(m[1]).add(m[2]);
      sp += imm(m[3]);
      continue;
    }
    if ((m = /^add sp, sp, #(0x[0-9a-f]+|\d+)$/.exec(t))) {
      sp += Number(m[1]);
      continue;
    }
    if (t === 'ret') {
      const missing = Object.keys(prologue.slots).filter((r) => !restored.has(r));
      if (missing.length > 0 || sp !== 0) break;
      return { switchOffset: insns[call].addr - insns[0].addr, ...prologue };
    }
    throw new PlugschedError(`${what}: after its switch point it runs "${t}", which uses state the springboard does not set up; this kernel needs a springboard of its own.`);
  }
  throw new PlugschedError(`${what}: the code after its switch point does not restore every register its prologue saved (${Object.keys(prologue.slots).sort().join(', ')}).`);
}

const HEADER_SLOTS = 'PLUGSCHED_SCHEDULE_SLOTS';
const HEADER_CANARY = 'PLUGSCHED_CANARY_SLOT';

const slotList = (slots: Record<string, number>) =>
  Object.entries(slots)
    .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
    .map(([r, at]) => `${r}@${at}`)
    .join(' ');

/**
 * The entry routine of the module's __schedule, as instructions: the kernel's frame built
 * exactly (signed LR, every saved register in its slot, x29, the canary), the module's C body
 * called, and, when the body returns without switching, the frame taken down as the kernel's
 * epilogue does. x16/x17 (IP0/IP1) are free at a function's entry.
 */
export function arm64ScheduleEntry(f: Arm64ScheduleFrame, body: string): string[] {
  const at = (cfa: number) => cfa - f.spAtSwitch; // slot offset from sp
  const saved = Object.entries(f.slots).sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)));
  const out: string[] = [];
  if (f.pac) out.push('paciasp');
  out.push(`sub sp, sp, #${-f.spAtSwitch}`);
  for (const [reg, cfa] of saved) out.push(`str ${reg}, [sp, #${at(cfa)}]`);
  out.push(`add x29, sp, #${at(f.fp)}`);
  if (f.canary !== null) {
    if (f.canaryTaskOffset !== null) out.push('mrs x16, sp_el0', `ldr x17, [x16, #${f.canaryTaskOffset}]`);
    else out.push('adrp x16, __stack_chk_guard', 'ldr x17, [x16, :lo12:__stack_chk_guard]');
    out.push(`str x17, [sp, #${at(f.canary)}]`);
  }
  out.push(`bl ${body}`);
  for (const [reg, cfa] of saved) out.push(`ldr ${reg}, [sp, #${at(cfa)}]`);
  out.push(`add sp, sp, #${-f.spAtSwitch}`);
  if (f.pac) out.push('autiasp');
  out.push('ret');
  return out;
}

export function arm64SpringboardLayoutHeader(f: Arm64ScheduleFrame): string {
  return [
    "/* Generated by plugsched-nx extraction from the kernel's vmlinux: the frame of __schedule (arm64). */",
    '#ifndef PLUGSCHED_SPRINGBOARD_LAYOUT_H',
    '#define PLUGSCHED_SPRINGBOARD_LAYOUT_H',
    `#define PLUGSCHED_SWITCH_OFFSET 0x${f.switchOffset.toString(16)}`,
    `#define PLUGSCHED_FRAME_BELOW_FP 0x${(f.fp - f.spAtSwitch).toString(16)}`,
    "/* The entry of the module's __schedule (springboard.h): the kernel's frame, then the C body. */",
    '#define PLUGSCHED_SCHEDULE_ENTRY_ASM \\',
    ...arm64ScheduleEntry(f, '__mod___schedule').map((insn) => `\t"${insn}\\n\\t" \\`),
    '\t/* end */',
    '/* checked against the built entry routine; offsets from the stack pointer at entry */',
    `#define ${HEADER_SLOTS} "${slotList(f.slots)}"`,
    `#define ${HEADER_CANARY} ${f.canary === null ? 'none' : String(f.canary)}`,
    '#endif',
    '',
  ].join('\n');
}

export function readArm64LayoutHeader(text: string): { slots: Record<string, number>; canary: number | null } | null {
  const slots = new RegExp(`#define ${HEADER_SLOTS} "([^"]*)"`).exec(text);
  const canary = new RegExp(`#define ${HEADER_CANARY} (none|-?\\d+)`).exec(text);
  if (!slots || !canary) return null;
  const out: Record<string, number> = {};
  for (const pair of slots[1].split(' ').filter(Boolean)) {
    const [r, at] = pair.split('@');
    out[r] = Number(at);
  }
  return { slots: out, canary: canary[1] === 'none' ? null : Number(canary[1]) };
}

/**
 * Problems that would make the springboard unsound (empty when sound): the frame the module's
 * entry routine for __schedule (__plugsched_schedule_entry) builds must be the kernel's.
 */
export function checkArm64ModuleSchedule(kernel: { slots: Record<string, number>; canary: number | null }, entryDisasm: string): string[] {
  const m = parseArm64Prologue(entryDisasm, "The module's __schedule entry routine (__plugsched_schedule_entry)");
  const problems: string[] = [];
  if (slotList(m.slots) !== slotList(kernel.slots)) problems.push(`it saves ${slotList(m.slots) || 'no registers'} where the kernel's __schedule saves ${slotList(kernel.slots)} (register@offset from the entry sp)`);
  if (m.canary !== kernel.canary) problems.push(`its stack canary is at ${m.canary ?? 'no slot'} where the kernel's tail checks ${kernel.canary ?? 'none'} (offset from the entry sp)`);
  return problems;
}
