/**
 * tools/installer/plugsched-install and the packages' maintainer scripts on
 * the host, under dash (and what needs no fake program under busybox sh): a fake root (--root DIR, a command-line
 * option the shipped scripts never pass) holds sysfs, /proc/cmdline,
 * /proc/kallsyms, /var/lib/plugsched and /dev/kmsg; fake insmod, rmmod, dd,
 * dmesg, uname, systemctl, sync and sleep on PATH play the kernel. The module
 * is an ELF object built here and really resolved by symbol-resolve.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { debPostinst, debPrerm, payloadDir, postInstall, preRemove, type PackageInput } from '../../plugins/plugsched/src/package/payload';

const WORKSPACE = resolve(__dirname, '..', '..');
const INSTALLER = join(WORKSPACE, 'tools', 'installer', 'plugsched-install');
const RELEASE = '6.1.0-56-cloud-amd64';
const BUSY_LINE = 'plugsched: rollback failed after 10 tries: -16 (fuse-reader/4242 is inside __mod_schedule+0x3c/0x90 [scheduler]; try again once it has moved on)';
let top: string;
let bin: string;
let ko: string;
let root: string;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// Debian's busybox sh runs its own applets (insmod, rmmod, uname, dd, ...) before PATH, so the fakes
// only work under dash (Debian's /bin/sh); busybox gets what needs no fake (and the VM runs the rest).
const SHELLS = [['dash']];

function exe(path: string, text: string) {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

const sysfs = () => join(root, 'sys', 'kernel', 'plugsched');
const state = () => join(root, 'var', 'lib', 'plugsched', RELEASE);
const calls = () => (existsSync(join(root, 'calls')) ? readFileSync(join(root, 'calls'), 'utf8') : '');
const ctl = (name: string, value: string) => writeFileSync(join(root, 'ctl', name), value);

function installed() {
  mkdirSync(join(sysfs(), 'functions', 'pick_next_task,0'), { recursive: true });
  writeFileSync(join(sysfs(), 'enable'), '1\n');
  writeFileSync(join(sysfs(), 'version'), 'hello-sched 1.0.0\n');
  writeFileSync(join(sysfs(), 'functions', 'pick_next_task,0', 'patched'), '1\n');
}

function installer(shell: string[], args: string[], env: Record<string, string> = {}) {
  return spawnSync(shell[0], [...shell.slice(1), INSTALLER, '--root', root, ...args], { encoding: 'utf8', env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, ROOT: root, ...env }, timeout: 30_000 });
}

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'plugsched-installer-'));
  bin = join(top, 'bin');
  mkdirSync(bin);
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', join(bin, 'symbol-resolve'), join(WORKSPACE, 'tools', 'installer', 'symbol-resolve.c')], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  writeFileSync(join(top, 'mod.c'), 'extern int runqueues;\nint use(void) { return runqueues; }\n');
  ko = join(top, 'scheduler.ko');
  expect(spawnSync('gcc', ['-c', '-o', ko, join(top, 'mod.c')]).status).toBe(0);
  // the fakes find the test root in $ROOT (the installer itself is only told --root)
  exe(join(bin, 'uname'), `#!/bin/sh\necho ${RELEASE}\n`);
  exe(join(bin, 'sync'), '#!/bin/sh\necho sync >> "$ROOT/calls"\n');
  exe(join(bin, 'sleep'), '#!/bin/sh\n:\n');
  exe(join(bin, 'dmesg'), '#!/bin/sh\ncat "$ROOT/dmesg" 2>/dev/null\n');
  exe(join(bin, 'systemctl'), '#!/bin/sh\necho "systemctl $*" >> "$ROOT/calls"\n');
  // insmod: fails ctl/insmod-fails times with ctl/insmod-error, then "loads": sysfs appears; notes whether the
  // symbol was resolved and whether the boot guard's marker was on disk first
  exe(join(bin, 'insmod'), [
    '#!/bin/sh',
    'n=$(cat "$ROOT/ctl/insmod-fails" 2>/dev/null || echo 0)',
    'marker=no; [ -e "$ROOT/var/lib/plugsched/$(uname -r)/boot-pending" ] && marker=yes',
    'resolved=no; readelf -sW "$1" | grep -q "ABS runqueues" && resolved=yes',
    'echo "insmod resolved=$resolved marker=$marker${2:+ $2}" >> "$ROOT/calls"',
    'if [ "$n" != 0 ]; then',
    '\t[ "$n" -gt 0 ] && echo $((n - 1)) > "$ROOT/ctl/insmod-fails"',
    '\techo "insmod: ERROR: could not insert module $1: $(cat "$ROOT/ctl/insmod-error")" >&2',
    '\texit 1',
    'fi',
    's=$ROOT/sys/kernel/plugsched',
    'mkdir -p "$s/functions/pick_next_task,0" && echo 1 > "$s/enable" && echo "hello-sched 1.0.0" > "$s/version" && echo 1 > "$s/functions/pick_next_task,0/patched"',
    '',
  ].join('\n'));
  exe(join(bin, 'rmmod'), '#!/bin/sh\necho "rmmod $*" >> "$ROOT/calls"\nrm -rf "$ROOT/sys/kernel/plugsched"\n');
  // dd of=FILE: refused ctl/busy times (-1: always) with ctl/busy-error, as the kernel refuses a rollback
  exe(join(bin, 'dd'), [
    '#!/bin/sh',
    'n=$(cat "$ROOT/ctl/busy" 2>/dev/null || echo 0)',
    'if [ "$n" != 0 ]; then',
    '\t[ "$n" -gt 0 ] && echo $((n - 1)) > "$ROOT/ctl/busy"',
    '\tcat > /dev/null',
    '\techo "dd: error writing \'${1#of=}\': $(cat "$ROOT/ctl/busy-error")" >&2',
    '\techo "0+1 records in" >&2',
    '\techo "echo 0" >> "$ROOT/calls"',
    '\texit 1',
    'fi',
    'echo "echo 0" >> "$ROOT/calls"',
    'exec /bin/dd "$@"',
    '',
  ].join('\n'));
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

beforeEach(() => {
  root = mkdtempSync(join(top, 'root-'));
  for (const d of ['proc', 'ctl', 'dev', 'sys/kernel', 'var/lib']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'proc', 'cmdline'), 'BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n');
  writeFileSync(join(root, 'proc', 'kallsyms'), 'ffffffff81200000 T _text\nffffffff81400000 D runqueues\n');
  writeFileSync(join(root, 'dev', 'kmsg'), '');
});

describe.each(SHELLS)('plugsched-install under %s', (...shell) => {
  it('at boot, finds this very module already running (the package installed it live, then started the unit) and does nothing; another module is refused', () => {
    const same = join(root, 'same.ko');
    writeFileSync(same, Buffer.concat([readFileSync(ko), Buffer.from('\0version=1.0.0\0srcversion=0123ABCDEF4567\0')]));
    installed();
    mkdirSync(join(root, 'sys', 'module', 'scheduler'), { recursive: true });
    writeFileSync(join(root, 'sys', 'module', 'scheduler', 'srcversion'), '0123ABCDEF4567\n');
    const r = installer(shell, ['install', same, '--boot']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`plugsched-install: ${same} is already the running scheduler (hello-sched 1.0.0): nothing to do\n`);
    expect(calls()).toBe(''); // no insmod, no boot guard marker
    expect(existsSync(join(state(), 'boot-pending'))).toBe(false);
    // by hand too (the same package installed again); a module of another variant is refused
    const again = installer(shell, ['install', same]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('is already the running scheduler (hello-sched 1.0.0): nothing to do');
    writeFileSync(join(root, 'sys', 'module', 'scheduler', 'srcversion'), 'FFFF0000FFFF00\n');
    const older = installer(shell, ['install', same, '--boot']);
    expect(older.status).not.toBe(0);
    expect(older.stderr).toContain('a scheduler module is already installed (hello-sched 1.0.0) by a plugsched-nx without upgrades in one switch');
    writeFileSync(join(sysfs(), 'module'), 'scheduler\n');
    const other = installer(shell, ['install', same, '--boot']);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain(`a scheduler module of another variant is installed (hello-sched 1.0.0; ${same} is not a plugsched-nx scheduler module)`);
    expect(calls()).toBe('');
  });

  it('upgrades in one switch: a new build of the running variant is loaded with predecessor=<running module>, then the old one is unloaded', () => {
    const next = join(root, 'next.ko');
    writeFileSync(next, Buffer.concat([readFileSync(ko), Buffer.from('\0plugsched_variant=hello-sched\0srcversion=NEXT0000000000\0')]));
    installed();
    writeFileSync(join(sysfs(), 'module'), 'plugsched_hello_sched_0badc0de\n');
    mkdirSync(join(root, 'sys', 'module', 'plugsched_hello_sched_0badc0de'), { recursive: true });
    writeFileSync(join(root, 'sys', 'module', 'plugsched_hello_sched_0badc0de', 'srcversion'), 'OLD00000000000\n');
    const r = installer(shell, ['install', next]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('plugsched-install: upgraded hello-sched 1.0.0 to hello-sched 1.0.0 in one switch (try 1)\n');
    expect(calls()).toBe('insmod resolved=yes marker=no predecessor=plugsched_hello_sched_0badc0de\nrmmod plugsched_hello_sched_0badc0de\n');
    expect(existsSync(join(root, 'run', 'plugsched-install.lock'))).toBe(false);
    // the takeover refused (busy): the old scheduler is named as the one that keeps running, nothing is unloaded
    rmSync(join(root, 'calls'));
    installed();
    writeFileSync(join(sysfs(), 'module'), 'plugsched_hello_sched_0badc0de\n');
    ctl('insmod-fails', '-1');
    ctl('insmod-error', 'Device or resource busy');
    const busy = installer(shell, ['install', next, '--tries', '2']);
    expect(busy.status).not.toBe(0);
    expect(busy.stderr).toContain('The scheduler running now (hello-sched 1.0.0) keeps running and nothing was changed');
    expect(calls()).not.toContain('rmmod');
  });

  it('one install or uninstall at a time: a live owner of the lock is refused, a dead one is taken over', () => {
    mkdirSync(join(root, 'run', 'plugsched-install.lock'), { recursive: true });
    writeFileSync(join(root, 'run', 'plugsched-install.lock', 'pid'), `${process.pid}\n`);
    const r = installer(shell, ['install', ko]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`another plugsched-install (pid ${process.pid}) is installing or removing a scheduler right now; nothing was done`);
    expect(calls()).toBe('');
    expect(existsSync(join(root, 'run', 'plugsched-install.lock', 'pid'))).toBe(true); // not ours to remove
    writeFileSync(join(root, 'run', 'plugsched-install.lock', 'pid'), '999999999\n');
    const stale = installer(shell, ['install', ko]);
    expect(stale.status, stale.stderr).toBe(0);
    expect(existsSync(join(root, 'run', 'plugsched-install.lock'))).toBe(false);
  });

  it('installs: resolves the module against the root\'s kallsyms and insmods it, no boot marker by hand', () => {
    const before = readFileSync(ko);
    const r = installer(shell, ['install', ko]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/installed hello-sched 1.0.0 \(try 1\)/);
    expect(calls()).toBe('insmod resolved=yes marker=no\n');
    expect(existsSync(join(state(), 'boot-pending'))).toBe(false);
    expect(readFileSync(ko).equals(before)).toBe(true); // a resolved copy is loaded, the file given stays as it was
  });

  it('retries EBUSY and EAGAIN ("Resource temporarily unavailable"), bounded the same way', () => {
    ctl('insmod-fails', '2');
    ctl('insmod-error', 'Resource temporarily unavailable');
    let r = installer(shell, ['install', ko, '--tries', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(try 3\)/);
    rmSync(sysfs(), { recursive: true });
    ctl('insmod-fails', '-1');
    ctl('insmod-error', 'Device or resource busy');
    writeFileSync(join(root, 'dmesg'), `[   12.000000] plugsched: try 3: other/1 is inside foo+0x0/0x10, retrying\n[   13.000000] ${BUSY_LINE.replace('rollback', 'install')}\n`);
    rmSync(join(root, 'calls'));
    r = installer(shell, ['install', ko, '--tries', '4']);
    expect(r.status).toBe(1);
    expect(calls().match(/insmod/g)).toHaveLength(4);
    expect(r.stderr).toContain('still busy after 4 tries: insmod: ERROR: could not insert module');
    expect(r.stderr).toContain('the kernel says: plugsched: install failed after 10 tries: -16 (fuse-reader/4242 is inside __mod_schedule+0x3c/0x90 [scheduler]');
    expect(r.stderr).toMatch(/The built-in scheduler keeps running and nothing was changed/);
    ctl('insmod-error', 'Resource temporarily unavailable');
    expect(installer(shell, ['install', ko, '--tries', '2']).stderr).toContain('still busy after 2 tries');
  });

  it('does not retry other errors, and rejects a bad --tries', () => {
    ctl('insmod-fails', '-1');
    ctl('insmod-error', 'Invalid module format');
    const r = installer(shell, ['install', ko]);
    expect(r.status).toBe(1);
    expect(calls().match(/insmod/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/insmod failed: .*Invalid module format/);
    const t = installer(shell, ['install', ko, '--tries', 'many']);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/--tries\/PLUGSCHED_TRIES must be a whole number of tries, 1 or more \(got 'many'\)/);
  });

  it('runs no program the environment names: PLUGSCHED_RESOLVE, PLUGSCHED_INSTALLER, PLUGSCHED_ROOT are ignored', () => {
    const evil = join(top, 'evil');
    exe(evil, `#!/bin/sh\ntouch ${join(top, 'evil-ran')}\n`);
    const r = installer(shell, ['install', ko], { PLUGSCHED_RESOLVE: evil, PLUGSCHED_INSTALLER: evil, PLUGSCHED_ROOT: join(top, 'elsewhere') });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(top, 'evil-ran'))).toBe(false);
    expect(readFileSync(INSTALLER, 'utf8')).not.toMatch(/PLUGSCHED_(RESOLVE|INSTALLER|ROOT)/);
  });

  it('kernel command line opt-out: plugsched.skip=1 or plugsched=off; at boot it logs why and succeeds, by hand it refuses', () => {
    for (const word of ['plugsched.skip=1', 'plugsched=off']) {
      writeFileSync(join(root, 'proc', 'cmdline'), `BOOT_IMAGE=/vmlinuz root=/dev/vda1 ${word} quiet\n`);
      const boot = installer(shell, ['install', ko, '--boot']);
      expect(boot.status, boot.stderr).toBe(0);
      expect(boot.stderr).toContain(`not installing ${ko} at boot: the kernel command line has ${word}`);
      expect(readFileSync(join(root, 'dev', 'kmsg'), 'utf8')).toContain(`<4>plugsched-install: not installing ${ko} at boot: the kernel command line has ${word}`);
      const hand = installer(shell, ['install', ko]);
      expect(hand.status).toBe(1);
      expect(hand.stderr).toMatch(new RegExp(`the kernel command line has ${word.replace('.', '\\.')}: no scheduler module is installed in this boot; reboot without it`));
      expect(installer(shell, ['status']).stdout).toContain(`boot install: off for this boot (kernel command line has ${word})`);
    }
    expect(calls()).toBe('');
    writeFileSync(join(root, 'proc', 'cmdline'), 'plugsched.skip=0 noplugsched=off\n');
    expect(installer(shell, ['install', ko, '--boot']).status).toBe(0);
    expect(calls()).toMatch(/insmod/);
  });

  it('boot guard: a marker on disk before insmod, cleared once the boot finished; a boot that did not finish stops boot installs until reenable', () => {
    // boot 1 finishes
    let r = installer(shell, ['install', ko, '--boot']);
    expect(r.status, r.stderr).toBe(0);
    expect(calls()).toBe('sync\ninsmod resolved=yes marker=yes\n');
    expect(readFileSync(join(state(), 'boot-pending'), 'utf8')).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ${ko}\\n$`));
    expect(installer(shell, ['boot-done']).status).toBe(0);
    expect(existsSync(join(state(), 'boot-pending'))).toBe(false);
    // boot 2 installs, then dies before the boot finished (no boot-done)
    rmSync(sysfs(), { recursive: true });
    expect(installer(shell, ['install', ko, '--boot']).status).toBe(0);
    expect(existsSync(join(state(), 'boot-pending'))).toBe(true);
    // boot 3: not installed, says why and how to re-enable, sets the guard
    rmSync(sysfs(), { recursive: true });
    rmSync(join(root, 'calls'));
    r = installer(shell, ['install', ko, '--boot']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not installing .* at boot: the last boot that installed it did not finish \(marker .*boot-pending, written \d{4}-.*\): it may have crashed or panicked in the new scheduler; boot installs stay off until 'plugsched-install reenable'/);
    expect(readFileSync(join(root, 'dev', 'kmsg'), 'utf8')).toMatch(/<4>plugsched-install: not installing .* the last boot that installed it did not finish/);
    expect(calls()).not.toMatch(/insmod/);
    expect(existsSync(join(state(), 'boot-disabled'))).toBe(true);
    // boot-done of boot 3 must not lift the guard; boot 4 still skips
    expect(installer(shell, ['boot-done']).status).toBe(0);
    r = installer(shell, ['install', ko, '--boot']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the boot guard is set since an earlier boot with it did not finish .* run 'plugsched-install reenable'/);
    expect(installer(shell, ['status']).stdout).toMatch(/boot install: off, the boot guard tripped .*'plugsched-install reenable' turns it on\nbuilt-in scheduler/);
    expect(calls()).not.toMatch(/insmod/);
    // by hand it still installs; reenable lifts the guard
    expect(installer(shell, ['install', ko]).status).toBe(0);
    rmSync(sysfs(), { recursive: true });
    r = installer(shell, ['reenable']);
    expect(r.stdout).toContain('will be installed at the next boot again');
    expect(existsSync(join(state(), 'boot-disabled'))).toBe(false);
    expect(installer(shell, ['install', ko, '--boot']).status).toBe(0);
  });

  it('uninstalls: restores the built-in scheduler, rmmod; --if-installed is quiet when nothing is', () => {
    installed();
    let r = installer(shell, ['uninstall']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('restored the built-in scheduler');
    expect(calls()).toBe('echo 0\nrmmod scheduler\n');
    expect(installer(shell, ['uninstall', '--if-installed']).status).toBe(0);
    r = installer(shell, ['uninstall']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no scheduler module is installed');
  });

  it('uninstall retries EBUSY/EAGAIN; when the rollback stays busy it names the task from dmesg and leaves the module live', () => {
    installed();
    ctl('busy', '2');
    ctl('busy-error', 'Resource temporarily unavailable');
    let r = installer(shell, ['uninstall', '--tries', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(calls()).toBe('echo 0\necho 0\necho 0\nrmmod scheduler\n');

    installed();
    rmSync(join(root, 'calls'));
    ctl('busy', '-1');
    ctl('busy-error', 'Device or resource busy');
    writeFileSync(join(root, 'dmesg'), `[    1.0] plugsched: installed the module's scheduler\n[   99.5] ${BUSY_LINE}\n`);
    r = installer(shell, ['uninstall', '--tries', '5']);
    expect(r.status).toBe(1);
    expect(calls()).toBe('echo 0\n'.repeat(5));
    const msg = r.stderr.trim();
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toContain('the built-in scheduler could not be restored after 5 tries: a task stayed inside the module\'s code');
    expect(msg).toContain(`(the kernel says: ${BUSY_LINE})`);
    expect(msg).toContain("The module's scheduler stays installed and live, nothing was changed; let that task finish or stop it, then run 'plugsched-install uninstall' again");
    expect(readFileSync(join(sysfs(), 'enable'), 'utf8')).toBe('1\n');

    ctl('busy-error', 'Invalid argument');
    rmSync(join(root, 'calls'));
    r = installer(shell, ['uninstall']);
    expect(r.status).toBe(1);
    expect(calls()).toBe('echo 0\n');
    expect(r.stderr).toMatch(/could not be restored: dd: error writing .*enable': Invalid argument/);
  });

  it('status keeps "patched functions: N of M" as its last line', () => {
    installed();
    const r = installer(shell, ['status']);
    expect(r.stdout.trim().split('\n').pop()).toBe('patched functions: 1 of 1');
  });
});

describe.skipIf(!has('busybox'))('plugsched-install under busybox sh', () => {
  const shell = ['busybox', 'sh'];

  it('parses, explains itself, rejects a bad --tries', () => {
    expect(spawnSync('busybox', ['sh', '-n', INSTALLER]).status).toBe(0);
    expect(installer(shell, ['--help']).stdout).toMatch(/^plugsched-install: put a plugsched-nx scheduler module/);
    expect(installer(shell, ['install', ko, '--tries', '0']).stderr).toMatch(/must be a whole number of tries, 1 or more \(got '0'\)/);
    expect(installer(shell, ['frobnicate']).status).toBe(2);
  });

  it('honours the kernel command line opt-out', () => {
    writeFileSync(join(root, 'proc', 'cmdline'), 'root=/dev/vda1 plugsched.skip=1\n');
    const boot = installer(shell, ['install', ko, '--boot']);
    expect(boot.status, boot.stderr).toBe(0);
    expect(readFileSync(join(root, 'dev', 'kmsg'), 'utf8')).toBe(`<4>plugsched-install: not installing ${ko} at boot: the kernel command line has plugsched.skip=1\n`);
    expect(installer(shell, ['install', ko]).stderr).toContain('the kernel command line has plugsched.skip=1: no scheduler module is installed in this boot');
    expect(installer(shell, ['status']).stdout).toBe('boot install: off for this boot (kernel command line has plugsched.skip=1)\nbuilt-in scheduler (no scheduler module loaded)\n');
  });
});

describe.each(SHELLS)('the packages\' maintainer scripts under %s', (...shell) => {
  const P: PackageInput = { variant: 'hello-sched', version: '1.0.0', description: 'd', kernelId: 'debian-6.1-cloud-amd64', release: RELEASE };
  const payload = payloadDir(RELEASE);

  /** The script as if chrooted into root: its absolute paths moved there, the payload's installer a wrapper that passes --root. */
  function runScript(script: string, args: string[], tries = 3) {
    mkdirSync(join(root, payload), { recursive: true });
    mkdirSync(join(root, 'run', 'systemd', 'system'), { recursive: true });
    writeFileSync(join(root, payload, 'scheduler.ko'), readFileSync(ko));
    exe(join(root, payload, 'plugsched-install'), `#!/bin/sh\nexec ${shell.join(' ')} ${INSTALLER} --root ${root} --tries ${tries} "$@"\n`);
    const moved = script.replaceAll('/usr/lib/plugsched/', `${root}/usr/lib/plugsched/`).replaceAll('/run/systemd/system', `${root}/run/systemd/system`).replaceAll('/var/lib/plugsched', `${root}/var/lib/plugsched`);
    return spawnSync(shell[0], [...shell.slice(1), '-c', moved, 'script', ...args], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, ROOT: root }, timeout: 30_000 });
  }
  const rpmPreun = (p: PackageInput) => `if [ "$1" = 0 ]; then\n${preRemove(p)}fi\n`;

  it('postinst configure installs into the matching running kernel, enables the unit and starts it (it shows what runs); no environment is read', () => {
    const r = runScript(debPostinst(P), ['configure']);
    expect(r.status, r.stderr).toBe(0);
    expect(calls()).toBe('systemctl daemon-reload\nsystemctl enable scheduler-hello-sched.service\ninsmod resolved=yes marker=no\nsystemctl start scheduler-hello-sched.service\n');
    for (const s of [postInstall(P), preRemove(P)]) expect(s).not.toMatch(/PLUGSCHED_|\$\{?[A-Za-z_]+:-/);
  });

  it('postinst on another kernel, or when the live install fails, still succeeds (the unit installs at boot)', () => {
    ctl('insmod-fails', '-1');
    ctl('insmod-error', 'Invalid module format');
    const r = runScript(debPostinst(P), ['configure']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('scheduler-hello-sched: not installed into the running kernel now');
    expect(calls()).toMatch(/systemctl enable/);
    expect(calls()).not.toMatch(/systemctl start/); // its boot-time install would try again now, with the boot guard's marker
    exe(join(bin, 'uname'), '#!/bin/sh\necho 6.1.0-99-other\n');
    try {
      rmSync(join(root, 'calls'));
      expect(runScript(postInstall(P), []).status).toBe(0);
      expect(calls()).not.toMatch(/insmod/);
    } finally {
      exe(join(bin, 'uname'), `#!/bin/sh\necho ${RELEASE}\n`);
    }
  });

  it('prerm remove (and RPM %preun on erase) restores the built-in scheduler, then disables the unit', () => {
    for (const [script, args] of [[debPrerm(P), ['remove']], [rpmPreun(P), ['0']]] as const) {
      installed();
      rmSync(join(root, 'calls'), { force: true });
      const r = runScript(script, [...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(calls()).toBe('echo 0\nrmmod scheduler\nsystemctl stop scheduler-hello-sched.service\nsystemctl disable scheduler-hello-sched.service\n');
    }
    // the boot guard's state goes with the package
    mkdirSync(state(), { recursive: true });
    writeFileSync(join(state(), 'boot-disabled'), 'x\n');
    expect(runScript(debPrerm(P), ['remove']).status).toBe(0);
    expect(existsSync(join(root, 'var', 'lib', 'plugsched'))).toBe(false);
    // nothing installed: nothing to restore, removal goes on
    rmSync(join(root, 'calls'));
    expect(runScript(debPrerm(P), ['remove']).status).toBe(0);
    expect(calls()).toBe('systemctl stop scheduler-hello-sched.service\nsystemctl disable scheduler-hello-sched.service\n');
  });

  it('when the rollback stays busy, prerm and %preun fail with the task named: the package stays installed, its scheduler live and its unit enabled', () => {
    writeFileSync(join(root, 'dmesg'), `${BUSY_LINE}\n`);
    ctl('busy-error', 'Device or resource busy');
    for (const [script, args] of [[debPrerm(P), ['remove']], [debPrerm(P), ['purge']], [rpmPreun(P), ['0']]] as const) {
      installed();
      rmSync(join(root, 'calls'), { force: true });
      ctl('busy', '-1');
      const r = runScript(script, [...args], 4);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`(the kernel says: ${BUSY_LINE})`);
      expect(r.stderr).toContain('scheduler-hello-sched: not removed: the running kernel still uses its scheduler (see above); the package stays installed and its scheduler live');
      expect(calls()).toBe('echo 0\n'.repeat(4)); // no rmmod, no systemctl stop or disable
      expect(readFileSync(join(sysfs(), 'enable'), 'utf8')).toBe('1\n');
    }
    // an RPM upgrade ($1 = 1) and a .deb upgrade touch nothing
    rmSync(join(root, 'calls'));
    expect(runScript(rpmPreun(P), ['1']).status).toBe(0);
    expect(runScript(debPrerm(P), ['upgrade']).status).toBe(0);
    expect(calls()).toBe('');
  });
});
