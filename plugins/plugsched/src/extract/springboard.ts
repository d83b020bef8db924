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
}

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
    const load = /^mov %gs:0x28,%(\w+)$/.exec(insns[k].text);
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
  // The tail: everything it reads must be something the springboard provides.
  const popOrder = [...prologue.pushes].reverse();
  let pops = 0;
  for (let k = call + 1; k < insns.length; k++) {
    const t = insns[k].text;
    if (t === 'mov %rax,%rdi' || /^call [0-9a-f]+ <finish_task_switch[.\w]*>$/.test(t) || /^sub %gs:0x28,%\w+$/.test(t) || /^jne [0-9a-f]+ <__schedule\+0x[0-9a-f]+>$/.test(t)) continue;
    const canary = /^mov -0x([0-9a-f]+)\(%rbp\),%\w+$/.exec(t);
    if (canary && prologue.canaryOffset === -hex(canary[1])) continue;
    const add = /^add \$0x([0-9a-f]+),%rsp$/.exec(t);
    if (add && hex(add[1]) === prologue.localSize) continue;
    const lea = /^lea -0x([0-9a-f]+)\(%rbp\),%rsp$/.exec(t);
    if (lea && hex(lea[1]) === 8 * prologue.pushes.length) continue;
    const pop = /^pop %(r\w+)$/.exec(t);
    if (pop && pops < popOrder.length && pop[1] === popOrder[pops]) {
      pops++;
      continue;
    }
    if (pop && pops === popOrder.length && pop[1] === 'rbp') continue;
    if (t === 'ret' || /^jmp [0-9a-f]+ <__x86_return_thunk>$/.test(t)) {
      if (pops !== popOrder.length) break;
      return { switchOffset: insns[call].addr - insns[0].addr, ...prologue };
    }
    throw new PlugschedError(`${what}: after its switch point it runs "${t}", which uses state the springboard does not set up; this kernel needs a springboard of its own.`);
  }
  throw new PlugschedError(`${what}: the code after its switch point does not restore the registers its prologue saved (${prologue.pushes.join(', ')}).`);
}

const HEADER_PUSHES = 'PLUGSCHED_SCHEDULE_PUSHES';
const HEADER_CANARY = 'PLUGSCHED_CANARY_OFFSET';

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
    '#endif',
    '',
  ].join('\n');
}

/** The parts of springboard-layout.h the module check needs. */
export function readLayoutHeader(text: string): { pushes: string[]; canaryOffset: number | null } | null {
  const pushes = new RegExp(`#define ${HEADER_PUSHES} "([^"]*)"`).exec(text);
  const canary = new RegExp(`#define ${HEADER_CANARY} (none|-0x[0-9a-f]+)`).exec(text);
  if (!pushes || !canary) return null;
  return { pushes: pushes[1].split(' ').filter(Boolean), canaryOffset: canary[1] === 'none' ? null : -hex(canary[1].slice(3)) };
}

/** Problems that would make the springboard unsound for this module's __schedule (empty when sound). */
export function checkModuleSchedule(kernel: { pushes: string[]; canaryOffset: number | null }, moduleDisasm: string): string[] {
  const m = parsePrologue(parseObjdump(moduleDisasm), "The module's __schedule (__mod___schedule)");
  const problems: string[] = [];
  if (m.pushes.join(' ') !== kernel.pushes.join(' '))
    problems.push(`it saves ${m.pushes.join(', ') || 'no registers'} where the kernel's __schedule saves ${kernel.pushes.join(', ')}`);
  if (m.canaryOffset !== kernel.canaryOffset)
    problems.push(`its stack canary is at ${m.canaryOffset === null ? 'no slot' : `${m.canaryOffset}(%rbp)`} where the kernel's tail checks ${kernel.canaryOffset === null ? 'none' : `${kernel.canaryOffset}(%rbp)`}`);
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
