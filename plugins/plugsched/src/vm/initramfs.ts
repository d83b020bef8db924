/**
 * A small, reproducible initramfs: busybox-static as the userland, the files
 * a test needs, and an /init script. Members are sorted, owned by root and
 * dated 1970, so the same inputs give the same bytes.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PlugschedError } from '../util/errors';
import { requireTool, run } from '../util/run';

export interface InitramfsFile {
  src: string;
  /** Absolute path inside the guest, e.g. /plugsched/scheduler.ko */
  dest: string;
  mode?: number;
}

export interface InitramfsSpec {
  outFile: string;
  files: InitramfsFile[];
  /** The body of /init (run by busybox sh after the basic mounts). */
  script: string;
  /** busybox-static for the guest's architecture; default this machine's /bin/busybox. */
  busybox?: string;
}

const PRELUDE = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Before 5.13 the scheduler's debug files were elsewhere (debugfs sched_features, the tunables in
# /proc/sys/kernel): give them the layout the scenarios
# read, /sys/kernel/debug/sched/, by bind mounts over a tmpfs that holds debugfs's own entries too.
if [ ! -d /sys/kernel/debug/sched ] && [ -f /sys/kernel/debug/sched_features ]; then
	mkdir /run/debugfs && mount --move /sys/kernel/debug /run/debugfs && mount -t tmpfs tmpfs /sys/kernel/debug
	for e in /run/debugfs/*; do
		n=/sys/kernel/debug/\${e##*/}
		if [ -d "$e" ]; then mkdir "$n"; else touch "$n"; fi
		mount --bind "$e" "$n"
	done
	mkdir /sys/kernel/debug/sched
	plugsched_old_sched() { [ -e "$1" ] || return 0; if [ -d "$1" ]; then mkdir "$2"; else touch "$2"; fi; mount --bind "$1" "$2"; }
	plugsched_old_sched /run/debugfs/sched_features /sys/kernel/debug/sched/features
	plugsched_old_sched /proc/sched_debug /sys/kernel/debug/sched/debug
	# the *_ns tunables only: round-trip changes every tunable it finds, and sched_tunable_scaling twice would undo itself
	for t in latency_ns min_granularity_ns wakeup_granularity_ns migration_cost_ns; do
		plugsched_old_sched /proc/sys/kernel/sched_$t /sys/kernel/debug/sched/$t
	done
fi
# warnings and worse reach the console (the judge looks for WARNING:, BUG:, stalls); info stays in dmesg
echo 5 > /proc/sys/kernel/printk
echo "PLUGSCHED-BOOTED $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
`;

/*
 * poweroff -f does not wait for the serial port: what the shell wrote may still sit in the tty's
 * buffer and be lost (seen with a long dmesg dump on a loaded host). The serial drivers count what
 * they sent (/proc/tty/driver/*, tx:): the guest powers off once that count stops moving.
 */
const EPILOGUE = `
echo PLUGSCHED-DONE
i=0
last=
while [ $i -lt 50 ]; do
	now=$(cat /proc/tty/driver/* 2>/dev/null)
	[ -n "$now" ] && [ "$now" = "$last" ] && break
	last=$now
	sleep 0.2
	i=$((i + 1))
done
poweroff -f
`;

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${e}` : e;
    out.push(r);
    if (lstatSync(join(dir, r)).isDirectory()) out.push(...walk(dir, r));
  }
  return out;
}

export async function buildInitramfs(spec: InitramfsSpec): Promise<void> {
  requireTool('cpio', 'cpio', 'build the test VM initramfs');
  if (spec.busybox === undefined) requireTool('busybox', 'busybox-static', 'give the test VM a userland');
  const stage = mkdtempSync(join(tmpdir(), 'plugsched-initramfs-'));
  try {
    for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'run', 'etc']) mkdirSync(join(stage, d), { recursive: true });
    copyFileSync(spec.busybox ?? '/bin/busybox', join(stage, 'bin', 'busybox'));
    chmodSync(join(stage, 'bin', 'busybox'), 0o755);
    for (const f of spec.files) {
      const dest = join(stage, f.dest.replace(/^\//, ''));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f.src, dest);
      chmodSync(dest, f.mode ?? 0o644);
    }
    writeFileSync(join(stage, 'init'), `${PRELUDE}${spec.script}${EPILOGUE}`);
    chmodSync(join(stage, 'init'), 0o755);
    const members = walk(stage);
    for (const m of [...members, '.']) utimesSync(join(stage, m), 0, 0);
    const tmpOut = `${spec.outFile}.tmp-${process.pid}`;
    mkdirSync(dirname(spec.outFile), { recursive: true });
    const list = join(stage, '..', `${stage.split('/').pop()}.list`);
    writeFileSync(list, `${members.join('\n')}\n`);
    const r = await run('sh', ['-c', 'cd "$1" && cpio -o -H newc --reproducible -R 0:0 --quiet < "$2" | gzip -n -9 > "$3"', 'sh', stage, list, tmpOut]);
    rmSync(list, { force: true });
    if (r.code !== 0) throw new PlugschedError(`Building the VM initramfs failed: ${r.stderr.trim()}`);
    renameSync(tmpOut, spec.outFile);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
