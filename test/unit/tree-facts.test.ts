import { describe, expect, it } from 'vitest';
import { isRealSystemMap, makefileVersion, relativeFrom, relocateMakefile } from '../../plugins/plugsched/src/kernel/tree-facts';

describe('kernel tree facts', () => {
  it('reads the version from a kernel Makefile', () => {
    expect(makefileVersion('# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n')).toBe('6.1.192');
    expect(makefileVersion('VERSION = 6\n')).toBeNull();
  });

  it('relocates an absolute include inside the unpacked root', () => {
    const out = relocateMakefile('include /usr/src/linux-headers-6.1.0-56-common/Makefile\n', 'usr/src/linux-headers-6.1.0-56-cloud-amd64');
    expect(out).toBe('include $(dir $(lastword $(MAKEFILE_LIST)))../linux-headers-6.1.0-56-common/Makefile\n');
    expect(relocateMakefile('obj-m := x.o\ninclude $(srctree)/Makefile\n', 'a')).toBeNull();
  });

  it('computes relative paths between root-relative locations', () => {
    expect(relativeFrom('lib/modules/6.1.0-56-cloud-amd64', 'usr/src/linux-headers-6.1.0-56-cloud-amd64')).toBe('../../../usr/src/linux-headers-6.1.0-56-cloud-amd64');
    expect(relativeFrom('usr/src', 'usr/lib/linux-kbuild-6.1')).toBe('../lib/linux-kbuild-6.1');
    expect(relativeFrom('a/b', 'a/b')).toBe('.');
  });

  it('tells a placeholder System.map from a real one', () => {
    expect(isRealSystemMap('ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n')).toBe(false);
    const real = Array.from({ length: 2000 }, (_, i) => `ffffffff8${i.toString(16).padStart(7, '0')} T fn${i}`).join('\n');
    expect(isRealSystemMap(real)).toBe(true);
  });
});
