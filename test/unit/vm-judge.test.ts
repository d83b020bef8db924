import { describe, expect, it } from 'vitest';
import { judgeConsole } from '../../plugins/plugsched/src/vm/judge';
import { qemuArgs, qemuBinary } from '../../plugins/plugsched/src/vm/qemu';

const OK = `[    0.000000] Linux version 6.1.0-56-cloud-amd64
PLUGSCHED-BOOTED 6.1.0-56-cloud-amd64 cpus=2
[    1.2] hello: module verification failed: signature and/or required key missing - tainting kernel
PLUGSCHED-SCENARIO load BEGIN
PLUGSCHED-CHECK insmod PASS hello loaded
PLUGSCHED-SCENARIO load END pass 120
PLUGSCHED-DONE
`;

describe('VM console judge', () => {
  it('passes a clean run and ignores the unsigned-module taint line', () => {
    const v = judgeConsole(OK);
    expect(v.pass).toBe(true);
    expect(v.scenarios).toEqual([{ name: 'load', status: 'pass', checks: [{ name: 'insmod', pass: true, evidence: 'hello loaded' }], ms: 120 }]);
  });

  it('reads a check whose evidence holds a carriage return (apt output, as journald forwards it to the console)', () => {
    const v = judgeConsole('PLUGSCHED-SCENARIO pkg BEGIN\r\n[   33.4] sh[254]: PLUGSCHED-CHECK apt-install PASS rc 0: Setting up x ...\r plugsched-install: installed x\r\nPLUGSCHED-SCENARIO pkg END pass 10\r\nPLUGSCHED-DONE\r\n');
    expect(v.pass, v.reasons.join('; ')).toBe(true);
    expect(v.scenarios[0].checks).toEqual([{ name: 'apt-install', pass: true, evidence: 'rc 0: Setting up x ... plugsched-install: installed x' }]);
  });

  it('boots with virtio disks and lets the guest reboot when asked (host-test): a panic then halts', () => {
    const a = qemuArgs({ kernel: 'k', initramfs: 'i', cpus: 2, memMiB: 1024, timeoutSec: 1, logFile: '', disks: [{ file: 'root.img', snapshot: true }, { file: 'p.img', readonly: true }], reboot: true }, 'tcg');
    expect(a).not.toContain('-no-reboot');
    expect(a.join(' ')).toContain('-drive file=root.img,format=raw,if=virtio,snapshot=on -drive file=p.img,format=raw,if=virtio,readonly=on');
    expect(a[a.indexOf('-append') + 1]).toMatch(/ panic=0/);
    expect(qemuArgs({ kernel: 'k', initramfs: 'i', cpus: 2, memMiB: 1024, timeoutSec: 1, logFile: '' }, 'tcg')).toContain('-no-reboot');
  });

  it('fails on an Oops and names the scenario that was running', () => {
    const v = judgeConsole(OK.replace('PLUGSCHED-CHECK insmod PASS hello loaded', 'BUG: kernel NULL pointer dereference, address: 0000000000000000\n#PF: supervisor write access in kernel mode\nOops: 0002 [#1] PREEMPT SMP NOPTI'));
    expect(v.pass).toBe(false);
    expect(v.trouble.map((t) => t.line)).toEqual(['BUG: kernel NULL pointer dereference, address: 0000000000000000', 'Oops: 0002 [#1] PREEMPT SMP NOPTI']);
    expect(v.trouble[0].scenario).toBe('load');
    expect(v.reasons.join(' ')).toMatch(/the kernel reported trouble during scenario load: BUG: kernel NULL pointer dereference/);
  });

  it('fails on a failed check, an unfinished scenario and a missing end', () => {
    const v = judgeConsole('PLUGSCHED-SCENARIO a BEGIN\nPLUGSCHED-CHECK x FAIL expected 1 got 2\nPLUGSCHED-SCENARIO a END fail 5\nPLUGSCHED-SCENARIO b BEGIN\n');
    expect(v.pass).toBe(false);
    expect(v.reasons).toEqual(['scenario a failed: x (expected 1 got 2)', 'scenario b did not finish', 'the guest never reached PLUGSCHED-DONE (hung, panicked or was killed)']);
  });

  it('catches lockups and RCU stalls', () => {
    for (const line of ['watchdog: BUG: soft lockup - CPU#1 stuck for 22s!', 'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:', 'WARNING: CPU: 0 PID: 1 at kernel/sched/core.c:100 foo+0x1/0x2'])
      expect(judgeConsole(`${OK}${line}\n`).pass, line).toBe(false);
  });
});

describe('qemuArgs', () => {
  const base = { kernel: 'vmlinuz', initramfs: 'initrd.gz', cpus: 2, memMiB: 1024, timeoutSec: 60, logFile: 'log' };
  it('runs TCG multi-threaded unless single is asked for; KVM takes the host CPU', () => {
    const accelOf = (args: string[]) => args[args.indexOf('-accel') + 1];
    expect(accelOf(qemuArgs(base, 'tcg'))).toBe('tcg,thread=multi');
    expect(accelOf(qemuArgs({ ...base, tcg: 'single' }, 'tcg'))).toBe('tcg,thread=single');
    expect(qemuArgs({ ...base, tcg: 'single' }, 'kvm').slice(0, 4)).toEqual(['-accel', 'kvm', '-cpu', 'host']);
  });

  it("boots an arm64 kernel on QEMU's virt machine with the PL011 console", () => {
    const args = qemuArgs({ ...base, arch: 'arm64' }, 'tcg');
    expect(args.slice(0, 2)).toEqual(['-M', 'virt']);
    expect(args[args.indexOf('-append') + 1]).toMatch(/^console=ttyAMA0 /);
    expect(qemuBinary('arm64')).toEqual({ binary: 'qemu-system-aarch64', pkg: 'qemu-system-arm' });
    expect(qemuBinary(undefined).binary).toBe('qemu-system-x86_64');
  });
});
