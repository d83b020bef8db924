import { describe, expect, it } from 'vitest';
import { guestModulesFor } from '../../plugins/plugsched/src/vm/guest-module';

describe('the test modules a kernel gets', () => {
  it('are the ones the scenarios load and the architecture and configuration can', () => {
    const config = '# CONFIG_FOO is not set\nCONFIG_LIVEPATCH=y\nCONFIG_KPROBES=y\nCONFIG_PREEMPT_NOTIFIERS=y\n';
    expect(guestModulesFor(config, 'x86', ['livepatch'])).toEqual(['plugsched_lp_test']);
    expect(guestModulesFor(config, 'x86', ['install', 'tracing', 'livepatch'])).toEqual(['plugsched_lp_test', 'plugsched_pn_test']);
    // a scenario list without them: none built
    expect(guestModulesFor(config, 'x86', ['install', 'rollback'])).toEqual([]);
    // no livepatch support: no test livepatch (the scenario says so)
    expect(guestModulesFor('# CONFIG_LIVEPATCH is not set\n', 'x86', ['livepatch'])).toEqual([]);
    // both are written for x86-64 (its syscall wrappers; arm64's ftrace-redirected entries run on every fork)
    expect(guestModulesFor(config, 'arm64', ['livepatch', 'tracing'])).toEqual([]);
  });
});
