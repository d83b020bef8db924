/**
 * The soak's console (tools/vm/soak.sh's PLUGSCHED-SOAK lines, the kernel's own) -> facts ->
 * SOAK.md. Pure: the kernel's trouble is what the vm-test judge calls trouble (judge.ts), each
 * line put in the cycle it came in; the downtime is the runtime's own "stop machine N us"
 * (parseSwitchLines, the bench's parser).
 */
import { judgeConsole, type Verdict } from '../../plugins/plugsched/src/vm/judge';
import { parseSwitchLines, type SwitchTiming } from '../bench/runtime-downtime';

export interface SoakMem {
  memAvailableKb: number;
  slabKb: number;
  sUnreclaimKb: number;
  modules: number;
  moduleVmallocAreas: number;
  moduleVmallocBytes: number;
}

export type TroubleKind = 'panic' | 'oops' | 'warn' | 'stall' | 'lockup' | 'call-trace' | 'other';

export interface SoakFacts {
  planned: number | null;
  threads: number | null;
  stormWorkers: number | null;
  /** Memory by phase: idle-before, load-before, load-after, idle-after. */
  mem: Record<string, SoakMem>;
  /** /proc/slabinfo by phase (idle ones): cache -> active objects and object size. */
  slab: Record<string, Record<string, { active: number; size: number }>>;
  /** how: sysfs (echo 1, echo 0), load (installer in, sysfs out), unload (sysfs in, installer out), reload (installer both ways). */
  cycles: { n: number; ok: boolean; ms: number; how: string }[];
  busy: { cycle: number; what: string; text: string }[];
  failures: { cycle: number; what: string; text: string }[];
  runtimeRetries: { cycle: number; text: string }[];
  switches: (SwitchTiming & { cycle: number })[];
  end: { done: number; of: number; why: string } | null;
  trouble: { kind: TroubleKind; line: string; cycle: number | null }[];
  verdict: Verdict;
}

/** What kind of trouble a console line the judge flagged is. */
export function classifyTrouble(line: string): TroubleKind {
  if (/Kernel panic/.test(line)) return 'panic';
  if (/soft lockup|hard LOCKUP/.test(line)) return 'lockup';
  if (/rcu_sched self-detected stall|rcu: INFO: rcu_.* detected stalls|RCU stall/.test(line)) return 'stall';
  if (/WARNING:/.test(line)) return 'warn';
  if (/Oops|BUG:|general protection fault|unable to handle page fault|invalid opcode:|double fault/.test(line)) return 'oops';
  if (/Call Trace:/.test(line)) return 'call-trace';
  return 'other';
}

const num = (s: string | undefined) => (s === undefined ? NaN : Number(s));

/** The facts of a soak console. */
export function parseSoakConsole(console: string): SoakFacts {
  const verdict = judgeConsole(console);
  const f: SoakFacts = { planned: null, threads: null, stormWorkers: null, mem: {}, slab: {}, cycles: [], busy: [], failures: [], runtimeRetries: [], switches: [], end: null, trouble: [], verdict };
  let cycle: number | null = null;
  let t = 0; // the next of the judge's trouble lines to place
  for (const raw of console.split('\n')) {
    const line = raw.replace(/\r/g, '');
    if (t < verdict.trouble.length && line.trim() === verdict.trouble[t].line) {
      f.trouble.push({ kind: classifyTrouble(line), line: line.trim(), cycle });
      t++;
    }
    const m = /PLUGSCHED-SOAK (\S+) ?(.*)$/.exec(line);
    if (m === null) continue;
    const [, tag, rest] = m;
    let x: RegExpExecArray | null;
    if (tag === 'START' && (x = /^cycles (\d+) threads (\d+) storm-workers (\d+)/.exec(rest))) {
      f.planned = num(x[1]);
      f.threads = num(x[2]);
      f.stormWorkers = num(x[3]);
    } else if (tag === 'MEM' && (x = /^(\S+) (.*) modules (\d+) module-vmalloc (\d+) (\d+)$/.exec(rest))) {
      const kv = Object.fromEntries([...x[2].matchAll(/(\w+) (\d+)/g)].map((p) => [p[1], Number(p[2])]));
      f.mem[x[1]] = { memAvailableKb: kv.MemAvailable ?? NaN, slabKb: kv.Slab ?? NaN, sUnreclaimKb: kv.SUnreclaim ?? NaN, modules: num(x[3]), moduleVmallocAreas: num(x[4]), moduleVmallocBytes: num(x[5]) };
    } else if (tag === 'SLAB' && (x = /^(\S+) (\S+) (\d+) (\d+)$/.exec(rest))) {
      (f.slab[x[1]] ??= {})[x[2]] = { active: num(x[3]), size: num(x[4]) };
    } else if (tag === 'BEGIN' && (x = /^(\d+)/.exec(rest))) {
      cycle = num(x[1]);
    } else if (tag === 'BUSY' && (x = /^(\d+) (\S+) (.*)$/.exec(rest))) {
      f.busy.push({ cycle: num(x[1]), what: x[2], text: x[3] });
    } else if (tag === 'FAIL' && (x = /^(\d+) (\S+) ?(.*)$/.exec(rest))) {
      f.failures.push({ cycle: num(x[1]), what: x[2], text: x[3] });
    } else if (tag === 'RETRY' && (x = /^(\d+) (.*)$/.exec(rest))) {
      f.runtimeRetries.push({ cycle: num(x[1]), text: x[2] });
    } else if (tag === 'SWITCH' && (x = /^(\d+) (.*)$/.exec(rest))) {
      for (const s of parseSwitchLines(x[2])) f.switches.push({ ...s, cycle: num(x[1]) });
    } else if (tag === 'CYCLE' && (x = /^(\d+) (ok|fail) (\d+)(?: (\S+))?$/.exec(rest))) {
      f.cycles.push({ n: num(x[1]), ok: x[2] === 'ok', ms: num(x[3]), how: x[4] ?? 'installer' });
    } else if (tag === 'END' && (x = /^(\d+) of (\d+): (.*)$/.exec(rest))) {
      f.end = { done: num(x[1]), of: num(x[2]), why: x[3] };
      cycle = null;
    }
  }
  return f;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Counts of each kind of kernel trouble (a Call Trace line belongs to the report above it and is not counted apart). */
export function troubleCounts(f: SoakFacts): Record<Exclude<TroubleKind, 'call-trace'>, number> {
  const c = { panic: 0, oops: 0, warn: 0, stall: 0, lockup: 0, other: 0 };
  for (const t of f.trouble) if (t.kind !== 'call-trace') c[t.kind]++;
  return c;
}

/** The guest stopped cycling at the time limit (--minutes), not because something failed. */
export function stoppedByTime(f: SoakFacts): boolean {
  return f.end !== null && /^the time limit/.test(f.end.why);
}

/** Whether the soak is clean: every cycle ran (or the time limit came first) and succeeded, the judge found nothing, the guest finished. */
export function soakClean(f: SoakFacts): boolean {
  return f.verdict.pass && f.end !== null && (f.end.done === f.end.of || stoppedByTime(f)) && f.failures.length === 0;
}

/** Caches whose bytes (active objects x object size) changed most between two slabinfo readings. */
export function slabGrowth(before: Record<string, { active: number; size: number }>, after: Record<string, { active: number; size: number }>, top: number): { cache: string; before: number; after: number }[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const bytes = (r: { active: number; size: number } | undefined) => (r === undefined ? 0 : r.active * r.size);
  return names
    .map((cache) => ({ cache, before: bytes(before[cache]), after: bytes(after[cache]) }))
    .filter((r) => r.after !== r.before)
    .sort((a, b) => b.after - b.before - (a.after - a.before) || a.cache.localeCompare(b.cache))
    .slice(0, top);
}

export interface SoakContext {
  date: string;
  command: string;
  variant: string;
  variantVersion: string;
  kernelId: string;
  kernelRelease: string;
  kernelVersion: string;
  commit: string;
  machine: { cores: number; model: string; memGiB: number };
  accel: 'tcg' | 'kvm';
  tcg: 'multi' | 'single';
  cpus: number;
  memMiB: number;
  seconds: number;
  /** Why the VM was stopped from outside, or null when it ended by itself. */
  stopped: string | null;
  /** CONFIG_DEBUG_KMEMLEAK in the kernel's config. */
  kmemleak: boolean;
  /** Why this many cycles, when the operator says so (--note). */
  note: string | null;
  /** Every this many cycles the module is unloaded and loaded again through the installer. */
  reloadEvery: number;
}

/** "; a cycle took ..." by kind of cycle: medians and longest, seconds. */
function cycleTimes(f: SoakFacts): string {
  const kinds = [...new Set(f.cycles.map((x) => x.how))].sort();
  const parts = kinds.map((k) => {
    const t = f.cycles.filter((x) => x.how === k).map((x) => x.ms);
    return `${k} ${t.length} (median ${(median(t) / 1000).toFixed(1)} s, longest ${(Math.max(...t) / 1000).toFixed(1)} s)`;
  });
  return parts.length > 0 ? `; cycles by kind: ${parts.join(', ')}` : '';
}

const ms = (us: number) => (us / 1000).toFixed(2);
const kb = (n: number) => (Number.isFinite(n) ? `${n}` : '?');
const signed = (n: number) => (n > 0 ? `+${n}` : `${n}`);

/** SOAK.md. */
export function renderSoak(f: SoakFacts, c: SoakContext): string {
  const failedCycles = f.cycles.filter((x) => !x.ok);
  const counts = troubleCounts(f);
  const done = f.end?.done ?? f.cycles.length;
  const planned = f.end?.of ?? f.planned ?? NaN;
  const out: string[] = [
    '# Soak',
    '',
    `Written by \`${c.command}\` (tools/soak/soak.ts, guest side tools/vm/soak.sh) on ${c.date}. Not part of npm test or CI.`,
    '',
    `- variant: ${c.variant} ${c.variantVersion}, kernel ${c.kernelId} (${c.kernelRelease}, Debian ${c.kernelVersion})`,
    `- commit: ${c.commit}`,
    `- machine: ${c.machine.cores} cores (${c.machine.model}), ${c.machine.memGiB} GiB, shared with other work; QEMU ${c.accel === 'kvm' ? 'KVM' : `TCG (${c.tcg}-threaded)`}, ${c.cpus} vCPUs, ${c.memMiB} MiB`,
    `- load: ${f.threads ?? '?'} spinner threads (tools/vm/spinners.c) and the fork storm with ${f.stormWorkers ?? '?'} workers (tools/vm/forkstorm.c, as the fork-storm scenario), all through the run`,
    `- a cycle: the module's scheduler installed, then the built-in one restored. Through sysfs (echo 1, echo 0 > /sys/kernel/plugsched/enable: the runtime's whole switch with its checks) while the module stays loaded; ${c.reloadEvery === 1 ? 'every cycle' : `every ${c.reloadEvery}th cycle`} ends with \`plugsched-install uninstall\` (the switch back, rmmod) and the next begins with \`plugsched-install install\` (symbols resolved, insmod, the switch), so loads and unloads are soaked too. The installer runs with --tries 1; busy refusals are retried by the soak (at most 20, a second apart)`,
    `- run time: ${Math.round(c.seconds)} s in the VM${cycleTimes(f)}`,
    ...(c.note ? [`- why this many cycles: ${c.note}`] : []),
    '',
    '## Result',
    '',
    `**${soakClean(f) ? 'clean' : 'NOT clean'}**: ${done} of ${planned} cycles done${f.end ? ` (${f.end.why})` : ' (the guest never reported its end)'}, ${failedCycles.length} failed; kernel trouble on the console: ${counts.oops} oops, ${counts.warn} WARN, ${counts.stall} RCU stalls, ${counts.lockup} lockups, ${counts.panic} panics${counts.other ? `, ${counts.other} other` : ''}.`,
    ...(c.stopped ? ['', `The VM was stopped from outside ${c.stopped}.`] : []),
    ...(f.verdict.reasons.length > 0 ? ['', 'The judge (plugins/plugsched/src/vm/judge.ts, as vm-test):', '', ...f.verdict.reasons.map((r) => `- ${r}`)] : []),
    '',
    '| | count |',
    '|---|---|',
    `| cycles done | ${done} |`,
    `| cycles failed | ${failedCycles.length} |`,
    `| busy refusals retried by the soak (EBUSY/EAGAIN from sysfs or the installer, after the runtime's own tries) | ${f.busy.length} (install ${f.busy.filter((b) => b.what === 'install').length}, rollback ${f.busy.filter((b) => b.what === 'rollback').length}) |`,
    `| the runtime's own retries inside one switch (its "retrying" lines; rate-limited, so at least this many) | ${f.runtimeRetries.length} |`,
    `| real failures (not busy) | ${f.failures.filter((x) => !/^still busy after/.test(x.text)).length} |`,
    `| switches given up as busy after 20 tries | ${f.failures.filter((x) => /^still busy after/.test(x.text)).length} |`,
    `| oops / WARN / RCU stall / lockup / panic | ${counts.oops} / ${counts.warn} / ${counts.stall} / ${counts.lockup} / ${counts.panic} |`,
  ];
  if (f.failures.length > 0) out.push('', 'Failures (cycle, switch, the installer\'s words):', '', ...f.failures.map((x) => `- cycle ${x.cycle}, ${x.what}: ${x.text}`));
  if (f.trouble.length > 0) {
    out.push('', 'Kernel trouble on the console (cycle it came in, its line; the first 40):', '');
    for (const t of f.trouble.slice(0, 40)) out.push(`- ${t.cycle === null ? 'outside the cycles' : `cycle ${t.cycle}`} [${t.kind}]: \`${t.line}\``);
  }
  if (f.busy.length > 0) {
    out.push('', 'Busy refusals (the first 10):', '');
    for (const b of f.busy.slice(0, 10)) out.push(`- cycle ${b.cycle}, ${b.what}, try ${b.text}`);
  }

  out.push('', '## Downtime', '', "The runtime's own figure of each switch (\"stop machine N us\": from the first CPU stopped to the last released).", '');
  out.push('| switch | switches | median ms | longest ms | longest in cycle |', '|---|---|---|---|---|');
  for (const [label, s] of [['install', f.switches.filter((x) => x.install)], ['rollback', f.switches.filter((x) => !x.install)], ['both', f.switches]] as const) {
    if (s.length === 0) {
      out.push(`| ${label} | 0 | - | - | - |`);
      continue;
    }
    const longest = s.reduce((a, b) => (b.stopMachineUs > a.stopMachineUs ? b : a));
    out.push(`| ${label} | ${s.length} | ${ms(median(s.map((x) => x.stopMachineUs)))} | ${ms(longest.stopMachineUs)} | ${longest.cycle} |`);
  }

  out.push('', '## Memory', '', 'From /proc/meminfo (kB) and the module loader\'s vmalloc areas in /proc/vmallocinfo (callers load_module, move_module, module_alloc). Idle readings after dropping the caches.', '');
  out.push('| phase | MemAvailable | Slab | SUnreclaim | modules loaded | module vmalloc areas | module vmalloc bytes |', '|---|---|---|---|---|---|---|');
  const phases = ['idle-before', 'load-before', 'installed', 'load-after', 'idle-after'];
  const phaseText: Record<string, string> = { 'idle-before': 'idle, before', 'load-before': 'under load, before the first cycle', installed: 'under load, cycle 1 installed (the module loaded)', 'load-after': 'under load, after the last cycle', 'idle-after': 'idle, after (workloads stopped)' };
  for (const p of phases) {
    const m = f.mem[p];
    if (m) out.push(`| ${phaseText[p]} | ${kb(m.memAvailableKb)} | ${kb(m.slabKb)} | ${kb(m.sUnreclaimKb)} | ${m.modules} | ${m.moduleVmallocAreas} | ${m.moduleVmallocBytes} |`);
  }
  const a = f.mem['idle-before'];
  const b = f.mem['idle-after'];
  if (a && b) {
    out.push('', `Idle after minus idle before: MemAvailable ${signed(b.memAvailableKb - a.memAvailableKb)} kB, Slab ${signed(b.slabKb - a.slabKb)} kB, SUnreclaim ${signed(b.sUnreclaimKb - a.sUnreclaimKb)} kB; module vmalloc areas ${signed(b.moduleVmallocAreas - a.moduleVmallocAreas)} (${signed(b.moduleVmallocBytes - a.moduleVmallocBytes)} bytes) after ${f.cycles.filter((x) => x.how === 'load' || x.how === 'reload' || x.how === 'installer').length} loads and ${f.cycles.filter((x) => x.how === 'unload' || x.how === 'reload' || x.how === 'installer').length} unloads of the module through the installer, and ${f.switches.length} switches.`);
    out.push('', `Module memory leaks: ${b.moduleVmallocAreas === a.moduleVmallocAreas && b.moduleVmallocBytes === a.moduleVmallocBytes && b.modules === a.modules ? 'none visible: the module loader\'s vmalloc areas and the loaded modules are the same before and after' : 'the module loader\'s vmalloc areas or the loaded modules differ between before and after (see the table): look there first'}. ${c.kmemleak ? 'The kernel has kmemleak (CONFIG_DEBUG_KMEMLEAK).' : 'kmemleak is not available (CONFIG_DEBUG_KMEMLEAK is not set in this kernel), so slab objects are judged from /proc/slabinfo totals below, which include what the fork storm and the spinners left in caches.'}`);
  }
  const sa = f.slab['idle-before'];
  const sb = f.slab['idle-after'];
  if (sa && sb) {
    const total = (s: Record<string, { active: number; size: number }>) => Object.values(s).reduce((n, r) => n + r.active * r.size, 0);
    out.push('', `/proc/slabinfo, active objects x object size over all caches: ${total(sa)} bytes idle before, ${total(sb)} idle after (${signed(total(sb) - total(sa))}). The caches that changed most:`, '');
    out.push('| cache | bytes before | bytes after | change |', '|---|---|---|---|');
    for (const g of slabGrowth(sa, sb, 8)) out.push(`| ${g.cache} | ${g.before} | ${g.after} | ${signed(g.after - g.before)} |`);
  }
  const storm = f.verdict.scenarios.flatMap((s) => s.checks).find((x) => x.name === 'storm-forked');
  const spin = f.verdict.scenarios.flatMap((s) => s.checks).find((x) => x.name === 'workload-never-stalled');
  out.push('', '## Load', '', `- fork storm: ${storm?.evidence ?? 'no closing line'}`, `- spinners: ${spin?.evidence ?? 'no closing line'}`, '');
  return `${out.join('\n')}`;
}
