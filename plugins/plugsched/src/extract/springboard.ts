/**
 * The __schedule springboard's contract with the kernel (x86-64).
 *
 * The module's context_switch() jumps into the kernel's __schedule at its
 * "call __switch_to_asm", with %rsp set below the module's own __schedule
 * frame as the kernel's frame would be. That is sound when the kernel's
 * tail after the call uses nothing but the frame: the returned prev (%rax),
 * the stack canary, and the callee-saved registers pushed by the prologue.
 * This file reads that layout from objdump output (pure functions), writes it
 * as springboard-layout.h, and checks a built module's __schedule against it.
 */
import { execFileSync } from 'node:child_process';
import { EM_AARCH64, ElfFile, STT_FUNC } from '../boundary/elf';
import { isHostArch } from '../util/host-arch';
import { requireTool } from '../util/run';
import { PlugschedError } from '../util/errors';

export interface ScheduleFrame {
  /** Offset of "call __switch_to_asm" from the start of __schedule. */
  switchOffset: number;
  /** Callee-saved registers pushed after %rbp, in order. */
  pushes: string[];
  /** Bytes the prologue subtracts from %rsp after the pushes. */
  localSize: number;
  /** Where the canary lives, relative to %rbp (negative), or null without a canary. */
  canaryOffset: number | null;
  /**
   * A prologue without pushes (gcc 16, Debian's 7.2): the callee-saved registers live in frame
   * slots, register -> offset from %rbp (negative), as the tail after the switch restores them.
   */
  saves?: Record<string, number>;
}

const CALLEE_SAVED = ['rbx', 'r12', 'r13', 'r14', 'r15'];
/** Without the disassembler's trailing "# address <symbol>" comment. */
const code = (text: string) => text.replace(/\s*#.*$/, '');

interface Insn {
  addr: number;
  text: string;
}

/** objdump -d --no-show-raw-insn lines -> instructions. */
export function parseObjdump(disasm: string): Insn[] {
  const out: Insn[] = [];
  for (const line of disasm.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(\S.*)$/.exec(line);
    if (m) out.push({ addr: Number.parseInt(m[1].slice(-8), 16), text: m[2].replace(/\s+/g, ' ').trim() });
  }
  return out;
}

const hex = (s: string) => Number.parseInt(s, 16);

/** The prologue of a frame-pointer function: pushes, local size and canary slot. */
export function parsePrologue(allInsns: Insn[], what: string): Omit<ScheduleFrame, 'switchOffset'> {
  // With indirect branch tracking (X86_KERNEL_IBT, Debian's 6.12) a function whose address is taken
  // starts with endbr64: the module's __schedule is one (the redirect table points to it).
  const insns = allInsns[0]?.text === 'endbr64' ? allInsns.slice(1) : allInsns;
  if (insns.length < 3 || insns[0].text !== 'push %rbp' || insns[1].text !== 'mov %rsp,%rbp')
    throw new PlugschedError(`${what} does not start with "push %rbp; mov %rsp,%rbp": the springboard needs __schedule built with a frame pointer.`);
  const pushes: string[] = [];
  let localSize = -1;
  let i = 2;
  for (; i < insns.length && i < 40; i++) {
    const push = /^push %(r\w+)$/.exec(insns[i].text);
    if (push) pushes.push(push[1]);
    const sub = /^sub \$0x([0-9a-f]+),%rsp$/.exec(insns[i].text);
    if (sub) {
      localSize = hex(sub[1]);
      break;
    }
  }
  if (localSize < 0) throw new PlugschedError(`${what}: no "sub $N,%rsp" in its prologue; cannot tell the frame's size.`);
  let canaryOffset: number | null = null;
  for (let k = i; k < insns.length - 1 && k < i + 20; k++) {
    // %gs:0x28, or since 6.14 the per-CPU __stack_chk_guard (%gs:sym(%rip))
    const load = /^mov %gs:(?:0x28|-?0x[0-9a-f]+\(%rip\)),%(\w+)$/.exec(code(insns[k].text));
    if (!load) continue;
    const store = new RegExp(`^mov %${load[1]},-0x([0-9a-f]+)\\(%rbp\\)$`).exec(insns[k + 1].text);
    if (store) canaryOffset = -hex(store[1]);
    break;
  }
  return { pushes, localSize, canaryOffset };
}

/** The kernel's __schedule: its frame, its switch point, and a tail the springboard can serve. */
export function parseKernelSchedule(disasm: string): ScheduleFrame {
  const insns = parseObjdump(disasm);
  const what = "The kernel's __schedule";
  const prologue = parsePrologue(insns, what);
  const call = insns.findIndex((x) => /^call [0-9a-f]+ <__switch_to_asm>$/.test(x.text));
  if (call < 0) throw new PlugschedError(`${what} has no direct "call __switch_to_asm"; this kernel's context switch is not supported by the springboard.`);
  if (insns.filter((x) => /<__switch_to_asm>$/.test(x.text)).length !== 1) throw new PlugschedError(`${what} calls __switch_to_asm more than once; the springboard needs a single switch point.`);
  const saves = checkTail(insns, call + 1, prologue, what);
  return { switchOffset: insns[call].addr - insns[0].addr, ...prologue, ...(prologue.pushes.length === 0 ? { saves } : {}) };
}

/** The 64-bit register an operand register names (%eax -> rax, %r12d -> r12, %dil -> rdi), or null. */
export function fullRegister(name: string): string | null {
  const r = name.replace(/^%/, '');
  const legacy: Record<string, string> = { ax: 'rax', bx: 'rbx', cx: 'rcx', dx: 'rdx', si: 'rsi', di: 'rdi', bp: 'rbp', sp: 'rsp' };
  let m = /^r(\d+)[dwb]?$/.exec(r);
  if (m) return `r${m[1]}`;
  m = /^[re]?(ax|bx|cx|dx|si|di|bp|sp)$/.exec(r);
  if (m) return legacy[m[1]];
  m = /^([abcd])[lh]$/.exec(r);
  if (m) return legacy[`${m[1]}x`];
  m = /^(si|di|bp|sp)l$/.exec(r);
  if (m) return legacy[m[1]];
  return null;
}

/** Operands of an AT&T instruction, split at commas outside parentheses. */
function operands(text: string): { op: string; args: string[] } {
  const sp = text.indexOf(' ');
  if (sp < 0) return { op: text, args: [] };
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text.slice(sp + 1)) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') args.push(cur.trim());
  return { op: text.slice(0, sp), args };
}

/** Registers an operand reads to be formed (a register itself, or a memory operand's base and index). */
function operandRegisters(arg: string): string[] {
  return [...arg.matchAll(/%(\w+)/g)].map((m) => m[1]).filter((r) => r !== 'gs' && r !== 'rip').map((r) => fullRegister(r) ?? r);
}

/** Functions the tail may call: the kernel's own end of a switch and what balance callbacks need. */
const TAIL_CALLS = /^call [0-9a-f]+ <(finish_task_switch[.\w]*|_raw_spin_(un)?lock(_irq|_irqsave|_irqrestore)?|__x86_indirect_thunk_\w+)>$/;
const CALLER_SAVED = ['rax', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11'];
/** Instructions whose last operand is only written (everything else also reads it). */
const WRITES_ONLY = /^(mov[a-z]*|lea[a-z]?|set[a-z]+|cltq|cqto)$/;

/**
 * The kernel's code after its switch point, every path of it: everything it reads must be what the
 * springboard provides — the prev %rax that __switch_to_asm returns and what is computed from it
 * (finish_task_switch's rq, as 5.10's balance_callback(rq) reads it), the stack canary, and the
 * callee-saved registers, restored by pops in the prologue's reverse order before it returns.
 * Branches inside __schedule are followed (5.10 runs the queued balance callbacks out of line).
 */
export function checkTail(insns: Insn[], from: number, prologue: Omit<ScheduleFrame, 'switchOffset'>, what: string): Record<string, number> {
  const popOrder = [...prologue.pushes].reverse();
  // a frame without pushes (gcc 16): callee-saved registers come back from their slots, then leave
  const slotted = prologue.pushes.length === 0;
  const saves: Record<string, number> = {};
  const index = new Map(insns.map((x, i) => [x.addr, i] as const));
  const seen = new Set<string>();
  const work: { i: number; defined: Set<string>; pops: number }[] = [{ i: from, defined: new Set(['rax', 'rsp', 'rbp']), pops: 0 }];
  const unsupported = (t: string) => new PlugschedError(`${what}: after its switch point it runs "${t}", which uses state the springboard does not set up; this kernel needs a springboard of its own.`);
  while (work.length > 0) {
    const st = work.pop() as { i: number; defined: Set<string>; pops: number };
    for (;;) {
      const key = `${st.i} ${st.pops} ${[...st.defined].sort().join(',')}`;
      if (seen.has(key)) break;
      seen.add(key);
      if (seen.size > 20000) throw new PlugschedError(`${what}: the code after its switch point has too many paths to check.`);
      const insn = insns[st.i];
      if (insn === undefined) throw new PlugschedError(`${what}: the code after its switch point does not restore the registers its prologue saved (${prologue.pushes.join(', ')}).`);
      const t = code(insn.text);
      const branch = /^(j[a-z]+) ([0-9a-f]+) <__schedule\+0x[0-9a-f]+>$/.exec(t);
      // the return thunk, also by its position-independent alias (__pi_, 7.2)
      if (t === 'ret' || /^jmp [0-9a-f]+ <(?:__pi_)?__x86_return_thunk>$/.test(t)) {
        if (st.pops !== popOrder.length + 1) throw new PlugschedError(`${what}: the code after its switch point does not restore the registers its prologue saved (${prologue.pushes.join(', ')}).`);
        break;
      }
      if (/^call [0-9a-f]+ <__stack_chk_fail>$/.test(t)) break;
      if (branch) {
        // the canary check's failure branch goes to __stack_chk_fail, which does not return
        if (branch[1] !== 'jmp' && /^sub %gs:(?:0x28|-?0x[0-9a-f]+\(%rip\)),%\w+$/.test(code(insns[st.i - 1]?.text ?? ''))) {
          st.i++;
          continue;
        }
        const target = index.get(Number.parseInt(branch[2].slice(-8), 16));
        if (target === undefined) throw unsupported(t);
        if (branch[1] === 'jmp') {
          st.i = target;
          continue;
        }
        work.push({ i: target, defined: new Set(st.defined), pops: st.pops });
        st.i++;
        continue;
      }
      const restore = slotted ? /^mov -0x([0-9a-f]+)\(%rbp\),%(r\w+)$/.exec(t) : null;
      if (restore && CALLEE_SAVED.includes(restore[2])) {
        const slot = -hex(restore[1]);
        if (saves[restore[2]] !== undefined && saves[restore[2]] !== slot) throw unsupported(t);
        saves[restore[2]] = slot;
        st.defined.add(restore[2]);
        st.i++;
        continue;
      }
      if (slotted && t === 'leave') {
        if (st.pops !== 0) throw unsupported(t);
        st.pops++;
        st.defined.add('rbp');
        st.i++;
        continue;
      }
      const pop = /^pop %(r\w+)$/.exec(t);
      if (pop) {
        const want = st.pops < popOrder.length ? popOrder[st.pops] : st.pops === popOrder.length ? 'rbp' : null;
        if (pop[1] !== want) throw unsupported(t);
        st.pops++;
        st.defined.add(pop[1]);
        st.i++;
        continue;
      }
      if (TAIL_CALLS.test(t)) {
        for (const r of CALLER_SAVED) st.defined.delete(r);
        st.defined.add('rax');
        st.i++;
        continue;
      }
      const add = /^add \$0x([0-9a-f]+),%rsp$/.exec(t);
      const lea = /^lea -0x([0-9a-f]+)\(%rbp\),%rsp$/.exec(t);
      if ((add && hex(add[1]) === prologue.localSize) || (lea && hex(lea[1]) === 8 * prologue.pushes.length)) {
        st.i++;
        continue;
      }
      const { op, args } = operands(t);
      if (op.startsWith('call') || op.startsWith('j') || op === 'push' || args.length === 0 || args.length > 2) throw unsupported(t);
      // a frame slot other than the canary is the module's local state, not the kernel's
      const slot = /-0x([0-9a-f]+)\(%rbp\)/.exec(args[0]);
      if (slot && prologue.canaryOffset !== -hex(slot[1])) throw unsupported(t);
      const dst = args[args.length - 1];
      const dstReg = /^%\w+$/.test(dst) ? fullRegister(dst) : null;
      const zeroing = op.startsWith('xor') && args.length === 2 && args[0] === args[1];
      const reads = zeroing ? [] : [...args.slice(0, -1).flatMap(operandRegisters), ...(dstReg !== null && WRITES_ONLY.test(op) ? [] : operandRegisters(dst))];
      if (reads.some((r) => !st.defined.has(r))) throw unsupported(t);
      if (dstReg !== null) st.defined.add(dstReg);
      st.i++;
    }
  }
  return saves;
}

const HEADER_PUSHES = 'PLUGSCHED_SCHEDULE_PUSHES';
const HEADER_CANARY = 'PLUGSCHED_CANARY_OFFSET';
const HEADER_SAVES = 'PLUGSCHED_SCHEDULE_SAVES';
const savesText = (saves: Record<string, number>) => Object.keys(saves).sort().map((r) => `${r}@-0x${(-saves[r]).toString(16)}`).join(' ');

export function springboardLayoutHeader(f: ScheduleFrame): string {
  return [
    "/* Generated by plugsched-nx extraction from the kernel's vmlinux: the frame of __schedule. */",
    '#ifndef PLUGSCHED_SPRINGBOARD_LAYOUT_H',
    '#define PLUGSCHED_SPRINGBOARD_LAYOUT_H',
    `#define PLUGSCHED_SWITCH_OFFSET 0x${f.switchOffset.toString(16)}`,
    `#define PLUGSCHED_FRAME_BELOW_RBP 0x${(8 * f.pushes.length + f.localSize).toString(16)}`,
    `/* checked against the module's __schedule after the build */`,
    `#define ${HEADER_PUSHES} "${f.pushes.join(' ')}"`,
    `#define ${HEADER_CANARY} ${f.canaryOffset === null ? 'none' : `-0x${(-f.canaryOffset).toString(16)}`}`,
    ...(f.saves !== undefined ? [`#define ${HEADER_SAVES} "${savesText(f.saves)}"`] : []),
    '#endif',
    '',
  ].join('\n');
}

/** The parts of springboard-layout.h the module check needs. */
export function readLayoutHeader(text: string): { pushes: string[]; canaryOffset: number | null; saves?: Record<string, number> } | null {
  const pushes = new RegExp(`#define ${HEADER_PUSHES} "([^"]*)"`).exec(text);
  const canary = new RegExp(`#define ${HEADER_CANARY} (none|-0x[0-9a-f]+)`).exec(text);
  if (!pushes || !canary) return null;
  const saves = new RegExp(`#define ${HEADER_SAVES} "([^"]*)"`).exec(text);
  const base = { pushes: pushes[1].split(' ').filter(Boolean), canaryOffset: canary[1] === 'none' ? null : -hex(canary[1].slice(3)) };
  if (!saves) return base;
  const map: Record<string, number> = {};
  for (const w of saves[1].split(' ').filter(Boolean)) {
    const [r, off] = w.split('@');
    map[r] = -hex(off.slice(3));
  }
  return { ...base, saves: map };
}

/**
 * A frame without pushes: the module's __schedule must keep each register the kernel's tail restores
 * in the kernel's slot (it stores it there, and its own epilogue restores it from there) and keep no
 * other callee-saved register in those slots.
 */
function checkSlots(kernel: Record<string, number>, insns: Insn[]): string[] {
  const problems: string[] = [];
  const stores = new Map<string, Set<number>>();
  const restores = new Map<number, Set<string>>();
  for (const x of insns) {
    const t = code(x.text);
    const st = /^mov %(r\w+),-0x([0-9a-f]+)\(%rbp\)$/.exec(t);
    if (st && CALLEE_SAVED.includes(st[1])) stores.set(st[1], (stores.get(st[1]) ?? new Set()).add(-hex(st[2])));
    const ld = /^mov -0x([0-9a-f]+)\(%rbp\),%(r\w+)$/.exec(t);
    if (ld && CALLEE_SAVED.includes(ld[2])) restores.set(-hex(ld[1]), (restores.get(-hex(ld[1])) ?? new Set()).add(ld[2]));
  }
  const slot = (n: number) => `-0x${(-n).toString(16)}(%rbp)`;
  for (const [reg, off] of Object.entries(kernel)) {
    if (!stores.get(reg)?.has(off)) problems.push(`it does not keep %${reg} at ${slot(off)}, where the kernel's tail restores it from`);
    const other = [...(restores.get(off) ?? [])].filter((r) => r !== reg);
    if (other.length > 0) problems.push(`it restores ${other.map((r) => `%${r}`).join(', ')} from ${slot(off)}, the kernel's slot of %${reg}`);
  }
  return problems;
}

/** Problems that would make the springboard unsound for this module's __schedule (empty when sound). */
export function checkModuleSchedule(kernel: { pushes: string[]; canaryOffset: number | null; saves?: Record<string, number> }, moduleDisasm: string): string[] {
  const m = parsePrologue(parseObjdump(moduleDisasm), "The module's __schedule (__mod___schedule)");
  const problems: string[] = [];
  if (m.pushes.join(' ') !== kernel.pushes.join(' '))
    problems.push(`it saves ${m.pushes.join(', ') || 'no registers'} where the kernel's __schedule saves ${kernel.pushes.join(', ')}`);
  if (m.canaryOffset !== kernel.canaryOffset)
    problems.push(`its stack canary is at ${m.canaryOffset === null ? 'no slot' : `${m.canaryOffset}(%rbp)`} where the kernel's tail checks ${kernel.canaryOffset === null ? 'none' : `${kernel.canaryOffset}(%rbp)`}`);
  if (kernel.saves !== undefined) problems.push(...checkSlots(kernel.saves, parseObjdump(moduleDisasm)));
  return problems;
}

/** The objdump that reads this machine's code: the host's own, or binutils-aarch64-linux-gnu's for arm64 on another host. */
export function objdumpFor(machine: number): string {
  if (machine !== EM_AARCH64 || isHostArch('arm64')) return 'objdump';
  requireTool('aarch64-linux-gnu-objdump', 'binutils-aarch64-linux-gnu', 'disassemble the arm64 kernel');
  return 'aarch64-linux-gnu-objdump';
}

/** objdump of one function of an ELF file (the edge: runs objdump). */
export function disassembleFunction(elfPath: string, name: string): string {
  const args = ['-d', '--no-show-raw-insn'];
  const elf = new ElfFile(elfPath);
  const machine = elf.machine;
  try {
    if (elf.elfType === 1) args.push(`--disassemble=${name}`); // a relocatable object: sections start at 0
    else {
      const sym = elf.symbols().find((s) => s.name === name && s.type === STT_FUNC && s.shndx !== 0);
      if (sym === undefined) throw new PlugschedError(`${elfPath}: no function ${name}.`);
      args.push(`--start-address=0x${sym.value.toString(16)}`, `--stop-address=0x${(sym.value + BigInt(sym.size)).toString(16)}`);
    }
  } finally {
    elf.close();
  }
  const out = execFileSync(objdumpFor(machine), [...args, elfPath], { maxBuffer: 64 << 20, encoding: 'utf8' });
  if (parseObjdump(out).length === 0) throw new PlugschedError(`${elfPath}: objdump found no instructions of ${name}.`);
  return out;
}
