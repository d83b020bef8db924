import { describe, expect, it } from 'vitest';
import { guestModulesFor } from '../../plugins/plugsched/src/vm/guest-module';

describe('the test modules a kernel gets', () => {
  it('are the ones its architecture and configuration can load', () => {
    const config = '# CONFIG_FOO is not set\nCONFIG_LIVEPATCH=y\nCONFIG_KPROBES=y\n';
    expect(guestModulesFor(config, 'x86')).toEqual(['plugsched_lp_test']);
    // no livepatch support: no test livepatch (the scenario says so)
    expect(guestModulesFor('# CONFIG_LIVEPATCH is not set\n', 'x86')).toEqual([]);
    // the test livepatch is written for x86-64's syscall wrappers
    expect(guestModulesFor(config, 'arm64')).toEqual([]);
  });
});
