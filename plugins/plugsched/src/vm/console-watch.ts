/**
 * Decide, line by line, when a test guest's console shows that waiting longer is
 * useless. A hung guest is not always silent: a soft lockup or an RCU stall prints
 * a report every half minute for as long as the guest runs, which kept the plain
 * silence limit from firing and let one run eat an hour of CI. So the watch goes by
 * the scenario protocol (tools/vm/lib.sh), not by bytes:
 * - no progress line (PLUGSCHED-SCENARIO, -CHECK, -STEP, ...) for quietSec: hung;
 * - one scenario running longer than scenarioSec: stuck in a loop that still prints;
 * - kernel trouble (judge.ts TROUBLE): the verdict is already "fail"; keep the console
 *   troubleGraceSec longer for the report's evidence (the call trace, what follows),
 *   then stop.
 * Pure: the caller feeds lines with its clock and asks whether a stop is due.
 */
import { isTrouble } from './judge';

export interface ConsoleWatchLimits {
  /** Longest wait for the next progress line. */
  quietSec: number;
  /** Longest run of one scenario, BEGIN to END. */
  scenarioSec: number;
  /** How long to keep collecting after the first trouble line; null: never stop for trouble (the soak counts it). */
  troubleGraceSec: number | null;
}

const PROGRESS = /PLUGSCHED-[A-Z]+\b/;
const BEGIN = /PLUGSCHED-SCENARIO (\S+) BEGIN/;
const END = /PLUGSCHED-SCENARIO (\S+) END /;

export class ConsoleWatch {
  private lastProgress = 0;
  private scenario: { name: string; since: number } | null = null;
  private trouble: { line: string; at: number; scenario: string | null } | null = null;

  constructor(private readonly limits: ConsoleWatchLimits) {}

  /** One complete console line, seen at `now` seconds after the start. */
  line(text: string, now: number): void {
    const line = text.replace(/\r/g, '');
    if (PROGRESS.test(line)) this.lastProgress = now;
    const begin = BEGIN.exec(line);
    if (begin) this.scenario = { name: begin[1], since: now };
    else if (END.test(line)) this.scenario = null;
    else if (this.trouble === null && isTrouble(line)) this.trouble = { line: line.trim(), at: now, scenario: this.scenario?.name ?? null };
  }

  /** Why the guest should be stopped at `now`, in words that follow "the VM was stopped", or null. */
  due(now: number): string | null {
    const t = this.trouble;
    if (t !== null && this.limits.troubleGraceSec !== null && now - t.at >= this.limits.troubleGraceSec) {
      return `after ${Math.round(now)} s, the kernel reported trouble${t.scenario ? ` during scenario ${t.scenario}` : ''} ${Math.round(now - t.at)} s earlier ("${t.line.slice(0, 160)}"), which fails the run whatever follows`;
    }
    const s = this.scenario;
    if (s !== null && now - s.since >= this.limits.scenarioSec) {
      return `after ${Math.round(now)} s, scenario ${s.name} had run for ${Math.round(now - s.since)} s, over the ${this.limits.scenarioSec} s one scenario may take`;
    }
    if (now - this.lastProgress >= this.limits.quietSec) {
      return `after ${Math.round(now)} s, no scenario progress line (PLUGSCHED-*) for ${Math.round(now - this.lastProgress)} s${s ? ` in scenario ${s.name}` : ''}; the guest is hung or looping`;
    }
    return null;
  }
}
