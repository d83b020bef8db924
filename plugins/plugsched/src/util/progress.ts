/**
 * Progress for long steps that reads well in a terminal (one line updated in
 * place) and in CI logs (a line at most every 10 %, nothing in between).
 */
export interface Progress {
  /** Report that `done` of `total` units are finished (total 0 = unknown). */
  update(done: number): void;
  /** Finish the line with a closing message. */
  finish(message?: string): void;
}

export type Logger = (line: string) => void;

export const defaultLogger: Logger = (line) => process.stderr.write(`${line}\n`);

function mib(n: number): string {
  return `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MB`;
}

export function startProgress(label: string, total: number, log: Logger = defaultLogger, tty = Boolean(process.stderr.isTTY) && !process.env.CI): Progress {
  const started = Date.now();
  let lastStep = -1;
  let lastDraw = 0;
  let ended = false;
  if (!tty) log(`${label} (${total > 0 ? mib(total) : 'size unknown'}) ...`);
  return {
    update(done) {
      if (ended) return;
      const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 200) return;
        lastDraw = now;
        process.stderr.write(`\r${label}: ${total > 0 ? `${pct}% of ${mib(total)}` : mib(done)}   `);
      } else if (total > 50 * 1048576 && Math.floor(pct / 10) > lastStep) {
        // CI logs: a line every 10 % for big files only; small ones just start and finish
        lastStep = Math.floor(pct / 10);
        if (pct > 0 && pct < 100) log(`${label}: ${pct}%`);
      }
    },
    finish(message) {
      if (ended) return;
      ended = true;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const line = `${label}: ${message ?? 'done'} in ${secs} s`;
      if (tty) process.stderr.write(`\r${line}\x1b[K\n`);
      else log(line);
    },
  };
}
