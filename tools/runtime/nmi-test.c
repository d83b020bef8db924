// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx runtime: the test hook nmi_test (docs/runtime.md, "NMIs
 * during the text write"). While it is set, a switch's writer sends an NMI
 * to every other CPU between two steps of the text write, and each NMI, like
 * the writer itself, calls idle_cpu() through the kernel's entry of it, one
 * of the entries being rewritten: the int3 of the write sends each call on
 * to the module's body (patch-x86.c). Off, the default, in production.
 */
static bool nmi_test;
module_param(nmi_test, bool, 0600);
MODULE_PARM_DESC(nmi_test, "test hook: NMIs call a redirected function through its entry between the steps of the text write");

/* idle_cpu() calls made through an entry being written: from NMIs, and by the writer */
static atomic_t plugsched_nmi_calls, plugsched_writer_calls;

#ifdef CONFIG_X86_64
#include <asm/apic.h>
#include <asm/nmi.h>

static DEFINE_PER_CPU(bool, plugsched_nmi_expected);

static int plugsched_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (!this_cpu_read(plugsched_nmi_expected))
		return NMI_DONE;
	/* through the kernel's entry: redirect-names.h makes idle_cpu mean it */
	idle_cpu(smp_processor_id());
	atomic_inc(&plugsched_nmi_calls);
	this_cpu_write(plugsched_nmi_expected, false);
	return NMI_HANDLED;
}

/* Process context, before a switch's stop_machine. */
static int plugsched_nmi_test_begin(void)
{
	atomic_set(&plugsched_nmi_calls, 0);
	atomic_set(&plugsched_writer_calls, 0);
	atomic_set(&plugsched_int3_hits, 0);
	if (!READ_ONCE(nmi_test))
		return 0;
	return register_nmi_handler(NMI_LOCAL, plugsched_nmi_handler, 0, "plugsched_test");
}

/* Process context, after it (unregister_nmi_handler() waits for running handlers). */
static void plugsched_nmi_test_end(void)
{
	if (!READ_ONCE(nmi_test))
		return;
	unregister_nmi_handler(NMI_LOCAL, "plugsched_test");
	pr_info("test hook: %d NMIs and %d calls of the writer ran idle_cpu() through its entry between the steps of the text write; %d met the int3 and went on in the module's body\n",
		atomic_read(&plugsched_nmi_calls), atomic_read(&plugsched_writer_calls),
		atomic_read(&plugsched_int3_hits));
}

/*
 * The writer, under stop_machine, after every CPU serialized between two
 * steps: an NMI to each other CPU, waited for (at most 100 ms: one that
 * never comes is missing from the count the test reads), and a call of
 * its own.
 */
static void plugsched_nmi_test(void)
{
	unsigned int cpu, self = smp_processor_id();
	u64 until;
	bool waiting;

	if (!READ_ONCE(nmi_test))
		return;
	for_each_online_cpu(cpu)
		if (cpu != self)
			per_cpu(plugsched_nmi_expected, cpu) = true;
	/* each CPU's flag is set before its NMI can look at it */
	smp_mb();
	apic->send_IPI_allbutself(NMI_VECTOR);
	until = ktime_get_ns() + 100 * NSEC_PER_MSEC;
	do {
		waiting = false;
		for_each_online_cpu(cpu)
			waiting |= READ_ONCE(per_cpu(plugsched_nmi_expected, cpu));
		cpu_relax();
	} while (waiting && ktime_get_ns() < until);
	for_each_online_cpu(cpu)
		per_cpu(plugsched_nmi_expected, cpu) = false;
	idle_cpu(self);
	atomic_inc(&plugsched_writer_calls);
}
#else
/* arm64: no NMI in the kernels the runtime supports (patch-arm64.c) */
static int plugsched_nmi_test_begin(void)
{
	return 0;
}

static void plugsched_nmi_test_end(void)
{
	if (READ_ONCE(nmi_test))
		pr_info("test hook: no NMIs on this kernel (no pseudo-NMIs), and each entry is written in one step\n");
}

static void plugsched_nmi_test(void)
{
}
#endif
