import { describe, expect, it } from 'vitest';
import { bootDoneUnit, debControl, debPostinst, debPrerm, packageArch, rpmSpec, systemdUnit, type PackageInput } from '../../plugins/plugsched/src/package/payload';

const P: PackageInput = { variant: 'scheduler-arm64', version: '1.0.0', description: 'd', kernelId: 'debian-6.1-cloud-arm64', release: '6.1.0-56-cloud-arm64' };
const DIR = '/usr/lib/plugsched/6.1.0-56-cloud-arm64';

describe('package architecture', () => {
  it("names the kernel's architecture the way RPM and Debian do", () => {
    expect(packageArch({ ...P, arch: 'arm64' })).toEqual({ rpm: 'aarch64', deb: 'arm64' });
    expect(packageArch(P)).toEqual({ rpm: 'x86_64', deb: 'amd64' });
    expect(rpmSpec({ ...P, arch: 'arm64' }, [])).not.toMatch(/^BuildArch:/m); // rpmbuild --target aarch64 instead
    expect(debControl({ ...P, arch: 'arm64' }, 10)).toMatch(/^Architecture: arm64$/m);
    expect(rpmSpec(P, [])).toMatch(/^BuildArch: x86_64$/m);
    // rpm -e removes only directories a package owns
    expect(rpmSpec(P, [])).toContain(`%files\n%defattr(-,root,root,-)\n%dir /usr/lib/plugsched\n%dir /usr/lib/plugsched/${P.release}\n`);
  });
});

describe('maintainer scripts and units', () => {
  const scripts = [rpmSpec(P, []), debPostinst(P), debPrerm(P), systemdUnit(P), bootDoneUnit(P)];

  it('read no environment variable and run programs by their absolute path in the payload only', () => {
    for (const s of scripts) {
      expect(s).not.toMatch(/PLUGSCHED_/);
      expect(s).not.toMatch(/\$\{?(?!1\b)[A-Za-z_][A-Za-z0-9_]*/); // no $VAR but the scriptlet argument $1
      expect(s).not.toMatch(/--root/);
    }
    expect(debPostinst(P)).toContain(`\t\tif ${DIR}/plugsched-install install ${DIR}/scheduler.ko; then`);
  });

  it('install at boot through the boot guard, and clear its marker from a unit ordered after the boot finished', () => {
    const unit = systemdUnit(P);
    expect(unit).toContain(`ExecStart=${DIR}/plugsched-install install ${DIR}/scheduler.ko --boot`);
    expect(unit).toContain(`ExecStop=${DIR}/plugsched-install uninstall --if-installed`);
    expect(unit).toMatch(/^Wants=scheduler-scheduler-arm64-boot-done\.service$/m);
    // before ordinary services, which order themselves after basic.target; stopped (rolled back) at shutdown
    expect(unit).toMatch(/^DefaultDependencies=no\nAfter=sysinit\.target\nBefore=basic\.target shutdown\.target\nConflicts=shutdown\.target$/m);
    const done = bootDoneUnit(P);
    expect(done).toMatch(/^After=default\.target scheduler-scheduler-arm64\.service$/m);
    expect(done).toMatch(/^ConditionKernelVersion=6\.1\.0-56-cloud-arm64$/m);
    expect(done).toContain(`ExecStart=${DIR}/plugsched-install boot-done`);
    expect(done).not.toMatch(/^\[Install\]/m); // pulled in by the install unit's Wants=
  });

  it('fail package removal when the rollback fails (set -e in the .deb, exit 1 in the RPM), before disabling the unit', () => {
    const preun = rpmSpec(P, []).split('%preun\n')[1];
    expect(preun).toMatch(/^if \[ "\$1" = 0 \]; then\n/);
    expect(preun.indexOf('exit 1')).toBeGreaterThan(preun.indexOf('uninstall --if-installed'));
    expect(preun.indexOf('exit 1')).toBeLessThan(preun.indexOf('systemctl disable'));
    expect(debPrerm(P)).toMatch(/^#!\/bin\/sh\nset -e\n/);
  });

  it('are the same every time (reproducible packages)', () => {
    expect([rpmSpec(P, ['/a']), debPostinst(P), debPrerm(P), systemdUnit(P), bootDoneUnit(P)]).toEqual([rpmSpec(P, ['/a']), debPostinst(P), debPrerm(P), systemdUnit(P), bootDoneUnit(P)]);
  });
});
