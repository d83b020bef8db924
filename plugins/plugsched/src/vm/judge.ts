/**
 * Judge a guest's serial console: the scenario protocol the guest scripts
 * print (tools/vm/lib.sh) and the kernel's own signs of trouble. Pure.
 */

export interface ScenarioResult {
  name: string;
  status: 'pass' | 'fail' | 'incomplete';
  /** PLUGSCHED-CHECK lines: check name, pass, evidence. */
  checks: { name: string; pass: boolean; evidence: string }[];
  ms: number | null;
}

export interface Verdict {
  pass: boolean;
  /** The guest reached PLUGSCHED-DONE (it did not hang, panic or get killed first). */
  done: boolean;
  scenarios: ScenarioResult[];
  /** Kernel trouble: each offending console line with the scenario running at the time. */
  trouble: { line: string; scenario: string | null }[];
  /** Why the run failed, one sentence each. */
  reasons: string[];
}

/** Console lines that mean the kernel is unwell. */
export const TROUBLE = /Kernel panic|Oops|BUG:|WARNING:|general protection fault|soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO: rcu_.* detected stalls|RCU stall|Call Trace:|unable to handle page fault|invalid opcode:|double fault/;

/** Expected noise that looks like trouble but is not. */
const BENIGN = /module verification failed: signature and\/or required key missing - tainting kernel|loading out-of-tree module taints kernel/;

/** A console line that means the kernel is unwell (and is not known noise). */
export function isTrouble(line: string): boolean {
  return TROUBLE.test(line) && !BENIGN.test(line);
}

export function judgeConsole(text: string): Verdict {
  const scenarios: ScenarioResult[] = [];
  const trouble: Verdict['trouble'] = [];
  let current: ScenarioResult | null = null;
  let done = false;
  for (const raw of text.split('\n')) {
    // a carriage return inside a line (apt's progress output quoted as evidence) is not an end
    const line = raw.replace(/\r/g, '');
    const begin = /PLUGSCHED-SCENARIO (\S+) BEGIN/.exec(line);
    const end = /PLUGSCHED-SCENARIO (\S+) END (pass|fail) (\d+)/.exec(line);
    const check = /PLUGSCHED-CHECK (\S+) (PASS|FAIL) ?(.*)$/.exec(line);
    if (begin) {
      current = { name: begin[1], status: 'incomplete', checks: [], ms: null };
      scenarios.push(current);
    } else if (end && current && current.name === end[1]) {
      current.status = end[2] as 'pass' | 'fail';
      current.ms = Number(end[3]);
      current = null;
    } else if (check && current) {
      current.checks.push({ name: check[1], pass: check[2] === 'PASS', evidence: check[3] });
    } else if (/PLUGSCHED-DONE/.test(line)) {
      done = true;
    } else if (isTrouble(line)) {
      trouble.push({ line: line.trim(), scenario: current?.name ?? null });
    }
  }
  const reasons: string[] = [];
  for (const s of scenarios) {
    if (s.status === 'fail' || s.checks.some((c) => !c.pass)) reasons.push(`scenario ${s.name} failed: ${s.checks.filter((c) => !c.pass).map((c) => `${c.name} (${c.evidence})`).join(', ') || 'it said so'}`);
    if (s.status === 'incomplete') reasons.push(`scenario ${s.name} did not finish`);
  }
  if (trouble.length > 0) reasons.push(`the kernel reported trouble${trouble[0].scenario ? ` during scenario ${trouble[0].scenario}` : ''}: ${trouble[0].line}`);
  if (!done) reasons.push('the guest never reached PLUGSCHED-DONE (hung, panicked or was killed)');
  if (scenarios.length === 0) reasons.push('no scenario ran');
  return { pass: reasons.length === 0, done, scenarios, trouble, reasons };
}
