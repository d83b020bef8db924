/**
 * Run a long command whose output is its sign of life (a VM's serial console):
 * capture and copy the output, and stop the command at a time limit or when it
 * has been silent too long. Silence tells a hung guest from a slow one.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface WatchedOptions {
  /** Kill after this many seconds in all. */
  timeoutSec: number;
  /** Kill after this many seconds with no output; undefined: no silence limit. */
  quietSec?: number;
  /** Copy of the output on disk. */
  logFile: string;
  /** Also write the output to this process's stdout. */
  echo?: boolean;
  stdin?: 'inherit' | 'ignore';
  /**
   * A judge of the output's lines (vm/console-watch.ts): fed every complete line, asked
   * each second whether a stop is due; its answer is the reason given.
   */
  watch?: LineWatch;
}

export interface LineWatch {
  line(text: string, elapsedSec: number): void;
  due(elapsedSec: number): string | null;
}

export interface WatchedRun {
  output: string;
  exitCode: number | null;
  /** Why it was killed, in words ("after 300 s, the time limit"), or null when it ended by itself. */
  stopped: string | null;
  seconds: number;
}

export function runWatched(command: string, args: string[], o: WatchedOptions): Promise<WatchedRun> {
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  const seconds = () => (Date.now() - started) / 1000;
  return new Promise((resolvePromise, reject) => {
    // its own process group (unless it needs the terminal), so a stop ends its children too
    const group = o.stdin !== 'inherit';
    const child = spawn(command, args, { stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'], detached: group });
    const log = createWriteStream(o.logFile);
    let output = '';
    let stopped: string | null = null;
    const stop = (why: string) => {
      if (stopped !== null) return;
      stopped = why;
      if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    };
    let quiet: NodeJS.Timeout | undefined;
    const rearm = () => {
      if (o.quietSec === undefined) return;
      clearTimeout(quiet);
      quiet = setTimeout(() => stop(`after ${elapsed()} s, the last ${o.quietSec} s with no output`), o.quietSec * 1000);
    };
    let partial = '';
    const onData = (c: Buffer) => {
      const text = c.toString();
      output += text;
      if (o.watch) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) o.watch.line(l, seconds());
      }
      log.write(text);
      if (o.echo) process.stdout.write(text);
      rearm();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    rearm();
    const limit = setTimeout(() => stop(`after ${o.timeoutSec} s, the time limit`), o.timeoutSec * 1000);
    const poll = o.watch
      ? setInterval(() => {
          const why = o.watch?.due(seconds());
          if (why) stop(why);
        }, 1000)
      : undefined;
    const disarm = () => {
      clearTimeout(limit);
      clearTimeout(quiet);
      clearInterval(poll);
    };
    child.on('error', (e) => {
      disarm();
      log.end();
      reject(e);
    });
    child.on('close', (code) => {
      disarm();
      log.end(() => resolvePromise({ output, exitCode: code, stopped, seconds: (Date.now() - started) / 1000 }));
    });
  });
}
