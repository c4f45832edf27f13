/*
 * seccomp_build.c - build the sandbox's system call filter with libseccomp.
 *
 * Used at build time by gen_filters.c, which compiles the programs into
 * corral (so that no run pays libseccomp's ~0.3 ms per filter, and corral
 * does not load libseccomp at all), and by the tests, which check that the
 * compiled-in programs are exactly what this code builds today.
 * seccomp.c's header comment says what the filter does and why.
 */
#define _GNU_SOURCE
#include "sbx_seccomp.h"
#include "seccomp_table.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Failure while adding rules: say which call. */
static int filter_rule_error(struct corral_error *err, int rc, const char *name)
{
	if (rc == -ENOMEM)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
		                        "seccomp: out of memory adding the rule for %s", name);
	return corral_error_set(err, CORRAL_E_SANDBOX, -rc,
	                        "seccomp: libseccomp refused the rule for %s: %s", name,
	                        strerror(-rc));
}

/*
 * Deny @nr when the low 32 bits of argument @arg have every bit of @flag
 * set; one rule per flag gives "any of these flags".
 */
static int filter_deny_flags(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
                             unsigned arg, const unsigned long *flags, size_t nflags,
                             struct corral_error *err)
{
	for (size_t i = 0; i < nflags; i++) {
		struct scmp_arg_cmp cmp = SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, flags[i], flags[i]);
		int rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
		if (rc < 0)
			return filter_rule_error(err, rc, name);
	}
	return 0;
}

/* Deny @nr when the low 32 bits of argument @arg equal @value. */
static int filter_deny_value32(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
                               unsigned arg, uint32_t value, struct corral_error *err)
{
	struct scmp_arg_cmp cmp = SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, FILTER_MASK_32, value);
	int rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);

	return rc < 0 ? filter_rule_error(err, rc, name) : 0;
}

/*
 * personality(): allow only 0 (PER_LINUX) and 0xffffffff (query), judged
 * on the low 32 bits because the kernel takes an unsigned int. libseccomp
 * has no masked "not equal", so the rule is built from masked equalities:
 * a 32-bit word is neither all zeros nor all ones exactly when, read as a
 * ring, some bit is 1 and the next bit is 0. One rule per such pair. What
 * this shuts: READ_IMPLIES_EXEC (executable heap and stack),
 * ADDR_NO_RANDOMIZE (no ASLR), the legacy personas; `setarch` and
 * `linux32` fail inside the sandbox.
 */
static int filter_deny_personality(scmp_filter_ctx ctx, uint32_t action, struct corral_error *err)
{
	for (unsigned bit = 0; bit < 32; bit++) {
		uint64_t one = 1ull << bit;
		uint64_t next = 1ull << ((bit + 1) % 32);
		struct scmp_arg_cmp cmp = SCMP_CMP64(0, SCMP_CMP_MASKED_EQ, one | next, one);
		int rc = seccomp_rule_add_array(ctx, action, SCMP_SYS(personality), 1, &cmp);
		if (rc < 0)
			return filter_rule_error(err, rc, "personality");
	}
	return 0;
}

/* Ask the kernel whether it knows the filter return value @action. */
static bool filter_action_available(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

static int filter_add_rules(scmp_filter_ctx ctx, const struct sbx_seccomp_opts *opts,
                            struct corral_error *err)
{
	uint32_t deny = opts->notify ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(EPERM);
	int rc;

	for (size_t i = 0; i < FILTER_COUNT(filter_always_denied); i++) {
		rc = seccomp_rule_add(ctx, deny, filter_always_denied[i].nr, 0);
		if (rc < 0)
			return filter_rule_error(err, rc, filter_always_denied[i].name);
	}

	rc = filter_deny_flags(ctx, deny, SCMP_SYS(unshare), "unshare", 0, filter_unshare_ns_flags,
	                       FILTER_COUNT(filter_unshare_ns_flags), err);
	if (rc < 0)
		return rc;
	/*
	 * clone(): the flags are argument 0 on x86_64 and aarch64 (only the
	 * order of the later arguments differs between architectures), and
	 * the kernel reads their low 32 bits.
	 */
	rc = filter_deny_flags(ctx, deny, SCMP_SYS(clone), "clone", 0, filter_clone_ns_flags,
	                       FILTER_COUNT(filter_clone_ns_flags), err);
	if (rc < 0)
		return rc;
	/*
	 * clone3() passes its flags in memory, which a filter cannot read, so
	 * it is denied whole. ENOSYS, not EPERM, and never notified: glibc
	 * (2.34+) and other runtimes read ENOSYS as "old kernel" and fall
	 * back to clone(), which the rule above checks.
	 */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc < 0)
		return filter_rule_error(err, rc, "clone3");

	rc = filter_deny_personality(ctx, deny, err);
	if (rc < 0)
		return rc;
	/*
	 * ioctl(): TIOCSTI pushes characters into a terminal's input, to be
	 * run by the shell that owns it once the sandbox exits (bubblewrap
	 * CVE-2017-5226); TIOCLINUX can do the same on a virtual console and
	 * read its screen. The command is an unsigned int: low 32 bits only.
	 */
	rc = filter_deny_value32(ctx, deny, SCMP_SYS(ioctl), "ioctl", 1, TIOCSTI, err);
	if (rc == 0)
		rc = filter_deny_value32(ctx, deny, SCMP_SYS(ioctl), "ioctl", 1, TIOCLINUX, err);
	if (rc < 0)
		return rc;
	/*
	 * socket(): AF_VSOCK reaches the hypervisor and the other guests of a
	 * VM, and no network namespace stands in its way. AF_UNIX reaches
	 * every socket file the view exposes (and, with the host network,
	 * abstract sockets), so it needs the caller's opt-in. socketpair()
	 * stays allowed for streams (below). Other families
	 * are left to the network namespace: in a new one there is only a
	 * loopback, and raw or packet sockets need a capability the child has
	 * dropped. AF_NETLINK stays allowed: glibc's getaddrinfo() and
	 * if_nameindex() use NETLINK_ROUTE, it only shows the sandbox's
	 * network namespace (the host's only when the caller shares it), and
	 * changing anything through it needs CAP_NET_ADMIN there. There is no socketcall() to
	 * cover: it exists only in the i386 ABI, which is killed.
	 */
	rc = filter_deny_value32(ctx, deny, SCMP_SYS(socket), "socket", 0, AF_VSOCK, err);
	if (rc == 0 && !opts->allow_unix_sockets)
		rc = filter_deny_value32(ctx, deny, SCMP_SYS(socket), "socket", 0, AF_UNIX, err);
	/*
	 * A datagram end of a socketpair() can still sendto() or connect() a
	 * socket file by name, which would reach a host daemon's socket in the
	 * workspace. Without the opt-in, only stream and seqpacket pairs are
	 * made (their ends are connected to each other and nothing else);
	 * the type's flag bits (SOCK_NONBLOCK, SOCK_CLOEXEC) are masked off.
	 */
	if (rc == 0 && !opts->allow_unix_sockets) {
		struct scmp_arg_cmp cmp = SCMP_CMP64(1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM);
		rc = seccomp_rule_add_array(ctx, deny, SCMP_SYS(socketpair), 1, &cmp);
		if (rc < 0)
			rc = filter_rule_error(err, rc, "socketpair");
	}
	return rc;
}

/*
 * Instructions put before libseccomp's program on x86_64: kill any call
 * whose number has the x32 bit set. x32 calls arrive with the x86_64 audit
 * arch, so the arch check does not catch them; libseccomp 2.5.4 happens to
 * emit the same test, but the filter does not depend on one version's
 * code generation. nr == -1 passes as libseccomp lets it pass: it names
 * no call (the kernel answers ENOSYS) and ptracers use it to skip one.
 */
#if defined(__x86_64__)
static const struct sock_filter filter_x32_guard[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FILTER_X32_SYSCALL_BIT, 0, 2),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, UINT32_MAX, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};
#define FILTER_GUARD_INSNS FILTER_COUNT(filter_x32_guard)
#else
#define FILTER_GUARD_INSNS 0
#endif

/*
 * libseccomp 2.5 can only export to a file descriptor: write the program
 * into a memfd, then read it back after the guard instructions.
 */
static int filter_export(scmp_filter_ctx ctx, struct sock_fprog *prog, struct corral_error *err)
{
	struct sock_filter *filter = NULL;
	struct stat st;
	size_t ninsns, bytes;
	ssize_t got;
	int rc, fd;

	fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return corral_error_set(err, CORRAL_E_SANDBOX, errno,
		                        "seccomp: cannot create a memfd to export the filter: %s",
		                        strerror(errno));
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, -rc,
		                      "seccomp: libseccomp cannot export the filter: %s",
		                      strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
		                      "seccomp: cannot size the exported filter: %s",
		                      strerror(errno));
		goto out;
	}
	bytes = (size_t)st.st_size;
	ninsns = bytes / sizeof(struct sock_filter) + FILTER_GUARD_INSNS;
	if (bytes == 0 || bytes % sizeof(struct sock_filter) != 0 ||
	    ninsns > FILTER_PROG_MAX_INSNS) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, 0,
		                      "seccomp: the exported filter has %zu bytes, not a program "
		                      "of at most %d instructions",
		                      bytes, FILTER_PROG_MAX_INSNS);
		goto out;
	}
	filter = malloc(ninsns * sizeof(*filter));
	if (!filter) {
		rc =
		    corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
		                     "seccomp: out of memory for a %zu-instruction filter", ninsns);
		goto out;
	}
#if defined(__x86_64__)
	memcpy(filter, filter_x32_guard, sizeof(filter_x32_guard));
#endif
	got = pread(fd, filter + FILTER_GUARD_INSNS, bytes, 0);
	if (got < 0 || (size_t)got != bytes) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, got < 0 ? errno : EIO,
		                      "seccomp: cannot read back the exported filter: %s",
		                      got < 0 ? strerror(errno) : "short read");
		goto out;
	}
	prog->len = (unsigned short)ninsns;
	prog->filter = filter;
	filter = NULL;
	rc = 0;
out:
	free(filter);
	close(fd);
	return rc;
}

int sbx_seccomp_build(const struct sbx_seccomp_opts *opts, struct sock_fprog *prog,
                      struct corral_error *err)
{
	scmp_filter_ctx ctx;
	int rc;

	/*
	 * Fail closed and say why when the kernel cannot carry out the
	 * filter, rather than when the child tries to load it.
	 */
	if (!filter_action_available(SECCOMP_RET_KILL_PROCESS))
		return corral_error_set(err, CORRAL_E_UNSUPPORTED, errno,
		                        "seccomp: the kernel cannot kill a process from a filter "
		                        "(SECCOMP_RET_KILL_PROCESS, Linux 4.14)");
	if (opts->notify && !filter_action_available(SECCOMP_RET_USER_NOTIF))
		return corral_error_set(err, CORRAL_E_UNSUPPORTED, errno,
		                        "seccomp: the kernel lacks user notification "
		                        "(SECCOMP_RET_USER_NOTIF, Linux 5.0)");

	/* seccomp_init() adds the native architecture and no other. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM,
		                        "seccomp: libseccomp cannot create a filter");
	if (seccomp_arch_native() != FILTER_NATIVE_ARCH) {
		rc = corral_error_set(err, CORRAL_E_INTERNAL, 0,
		                      "seccomp: libseccomp's native ABI (0x%x) is not the one "
		                      "corral was built for (0x%x)",
		                      seccomp_arch_native(), (unsigned)FILTER_NATIVE_ARCH);
		goto out;
	}
	/*
	 * Every other ABI is killed: i386 through `int $0x80` on x86_64,
	 * AArch32 on aarch64. Their calls have other numbers and other
	 * argument layouts, and a filter written for the native ABI says
	 * nothing about them.
	 */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		rc = corral_error_set(err, CORRAL_E_UNSUPPORTED, -rc,
		                      "seccomp: libseccomp cannot kill other ABIs: %s",
		                      strerror(-rc));
		goto out;
	}
	/*
	 * A binary tree over the call numbers instead of a linear list:
	 * every allowed call is decided in about log2(n) comparisons.
	 */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, -rc,
		                      "seccomp: libseccomp cannot build a binary tree: %s",
		                      strerror(-rc));
		goto out;
	}
	rc = filter_add_rules(ctx, opts, err);
	if (rc < 0)
		goto out;
	rc = filter_export(ctx, prog, err);
out:
	seccomp_release(ctx);
	return rc;
}

void sbx_seccomp_release(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}
