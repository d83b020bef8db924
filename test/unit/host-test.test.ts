/** host-test's pure parts: the refused package's kernel release, the upgrade's version, the guest's settings, mmdebstrap's command line. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostTestEnv, nextVersion, otherRelease } from '../../plugins/plugsched/src/vm/host-test';
import { mmdebstrapArgs, ROOTFS_PACKAGES } from '../../plugins/plugsched/src/vm/rootfs';

describe('host-test', () => {
  it('packages the variant for a kernel release no archive ships: the ABI number 0', () => {
    expect(otherRelease('6.1.0-56-cloud-amd64')).toBe('6.1.0-0-cloud-amd64');
    expect(otherRelease('6.12.117+deb12-cloud-amd64')).toBe('6.12.117+deb12-cloud-amd64-other');
  });

  it('tells the guest its packages by file name only, sorted, and refuses a name the shell would read as code', () => {
    const next = { nextDeb: '/n/a_2_amd64.deb', nextRpm: '/n/a-2.rpm', nextVersion: '1.0.1' };
    const env = hostTestEnv({ variant: 'scheduler-x86', release: '6.1.0-56-cloud-amd64', deb: '/x/a_1_amd64.deb', otherDeb: '/y/o.deb', twinDeb: '/w/t.deb', rpm: '/x/a.rpm', corruptDeb: '/z/c.deb', ...next });
    expect(env).toBe('CORRUPT_DEB=c.deb\nDEB=a_1_amd64.deb\nNEXT_DEB=a_2_amd64.deb\nNEXT_RPM=a-2.rpm\nNEXT_VERSION=1.0.1\nOTHER_DEB=o.deb\nOTHER_RELEASE=6.1.0-0-cloud-amd64\nRELEASE=6.1.0-56-cloud-amd64\nRPM=a.rpm\nTWIN_DEB=t.deb\nTWIN_VARIANT=scheduler-x86-twin\nVARIANT=scheduler-x86\n');
    expect(() => hostTestEnv({ variant: 'x;reboot', release: 'r', deb: 'a', otherDeb: 'b', twinDeb: 't', rpm: 'r', corruptDeb: 'c', ...next })).toThrow(/VARIANT "x;reboot(-twin)?" has characters the guest's shell would read as code/);
  });

  it('the upgrade is the next version for dpkg and rpm: the last number plus one, or .1 added', () => {
    expect(nextVersion('1.0.0')).toBe('1.0.1');
    expect(nextVersion('2.9')).toBe('2.10');
    expect(nextVersion('1.0~rc')).toBe('1.0~rc.1');
    const dpkgLater = (a: string, b: string) => spawnSync('dpkg', ['--compare-versions', b, 'gt', a]).status === 0;
    for (const v of ['1.0.0', '2.9', '1.0~rc', '7']) expect(dpkgLater(v, nextVersion(v)), v).toBe(true);
  });

  it("makes the root filesystem with mmdebstrap from the machine's apt sources (no mirror named), systemd as init", () => {
    const args = mmdebstrapArgs('bookworm', '/t/tree', "/w/tools/vm/host/customize.sh", ["/p/it's.deb", '/w/unit'], true);
    expect(args).toEqual([
      '--variant=minbase',
      '--mode=root',
      `--include=${ROOTFS_PACKAGES.join(',')}`,
      `--customize-hook=sh '/w/tools/vm/host/customize.sh' "$1" '/p/it'\\''s.deb' '/w/unit'`,
      'bookworm',
      '/t/tree',
    ]);
    expect(ROOTFS_PACKAGES).toContain('systemd-sysv');
    expect(mmdebstrapArgs('bookworm', '/t', 's', [], false)[1]).toBe('--mode=unshare');
  });
});
