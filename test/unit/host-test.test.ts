/** host-test's pure parts: the refused package's kernel release, the guest's settings, mmdebstrap's command line. */
import { describe, expect, it } from 'vitest';
import { hostTestEnv, otherRelease } from '../../plugins/plugsched/src/vm/host-test';
import { mmdebstrapArgs, ROOTFS_PACKAGES } from '../../plugins/plugsched/src/vm/rootfs';

describe('host-test', () => {
  it('packages the variant for a kernel release no archive ships: the ABI number 0', () => {
    expect(otherRelease('6.1.0-56-cloud-amd64')).toBe('6.1.0-0-cloud-amd64');
    expect(otherRelease('6.12.117+deb12-cloud-amd64')).toBe('6.12.117+deb12-cloud-amd64-other');
  });

  it('tells the guest its packages by file name only, sorted, and refuses a name the shell would read as code', () => {
    const env = hostTestEnv({ variant: 'scheduler-x86', release: '6.1.0-56-cloud-amd64', deb: '/x/a_1_amd64.deb', otherDeb: '/y/o.deb', twinDeb: '/w/t.deb', rpm: '/x/a.rpm', corruptDeb: '/z/c.deb' });
    expect(env).toBe('CORRUPT_DEB=c.deb\nDEB=a_1_amd64.deb\nOTHER_DEB=o.deb\nOTHER_RELEASE=6.1.0-0-cloud-amd64\nRELEASE=6.1.0-56-cloud-amd64\nRPM=a.rpm\nTWIN_DEB=t.deb\nTWIN_VARIANT=scheduler-x86-twin\nVARIANT=scheduler-x86\n');
    expect(() => hostTestEnv({ variant: 'x;reboot', release: 'r', deb: 'a', otherDeb: 'b', twinDeb: 't', rpm: 'r', corruptDeb: 'c' })).toThrow(/VARIANT "x;reboot(-twin)?" has characters the guest's shell would read as code/);
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
