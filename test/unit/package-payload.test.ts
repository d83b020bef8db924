import { describe, expect, it } from 'vitest';
import { debControl, packageArch, rpmSpec, type PackageInput } from '../../plugins/plugsched/src/package/payload';

const P: PackageInput = { variant: 'scheduler-arm64', version: '1.0.0', description: 'd', kernelId: 'debian-6.1-cloud-arm64', release: '6.1.0-56-cloud-arm64' };

describe('package architecture', () => {
  it("names the kernel's architecture the way RPM and Debian do", () => {
    expect(packageArch({ ...P, arch: 'arm64' })).toEqual({ rpm: 'aarch64', deb: 'arm64' });
    expect(packageArch(P)).toEqual({ rpm: 'x86_64', deb: 'amd64' });
    expect(rpmSpec({ ...P, arch: 'arm64' }, [])).not.toMatch(/^BuildArch:/m); // rpmbuild --target aarch64 instead
    expect(debControl({ ...P, arch: 'arm64' }, 10)).toMatch(/^Architecture: arm64$/m);
    expect(rpmSpec(P, [])).toMatch(/^BuildArch: x86_64$/m);
  });
});
