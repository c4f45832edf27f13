/*
 * seccomp.c - build, install and serve the sandbox's system call filter.
 *
 * The filter allows by default and denies a list of calls that either
 * expose kernel attack surface a tool never needs (io_uring, bpf, keyctl,
 * perf_event_open, userfaultfd...) or could undo the rest of the sandbox
 * (ptrace, the mount family, new namespaces, TIOCSTI, AF_VSOCK, non-native
 * ABIs). docs/seccomp.md is the reader's copy of the list; keep both in step.
 *
 * Denied calls fail with EPERM, the errno a program already expects from a
 * call it lacks the privilege for, so it degrades the way it would as an
 * unprivileged user instead of crashing. In notify mode they wait for the
 * parent to answer EPERM instead, so that the parent learns what was tried.
 * Only the non-native ABIs kill: nothing legitimate uses them here, and a
 * process that tries is attempting to step around the filter.
 */
#define _GNU_SOURCE
#include "sbx_seccomp.h"

#include <seccomp.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
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

/*
 * The native ABI, fixed when corral is compiled: the filter is built for
 * the ABI the sandbox's own code uses, and everything else is killed.
 */
#if defined(__x86_64__) && !defined(__ILP32__)
#define FILTER_NATIVE_ARCH  SCMP_ARCH_X86_64
#define FILTER_NATIVE_AUDIT AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && !defined(__ILP32__)
#define FILTER_NATIVE_ARCH  SCMP_ARCH_AARCH64
#define FILTER_NATIVE_AUDIT AUDIT_ARCH_AARCH64
#else
#error "corral's seccomp filter supports x86_64 and aarch64 only"
#endif

/* x32 system call numbers carry this bit (arch/x86/include/uapi/asm/unistd.h). */
#define FILTER_X32_SYSCALL_BIT 0x40000000u

/* Glibc 2.36 knows CLONE_NEWTIME, older ones do not; the value is ABI. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/*
 * Masks for arguments the kernel reads as 32-bit ints: only their low half
 * is compared, so a caller cannot set the high half to make a rule miss
 * while the kernel, which truncates, still sees the denied value
 * (CVE-2019-10063 in flatpak/bubblewrap).
 */
#define FILTER_MASK_32 0xffffffffull

/* A classic BPF program longer than this is refused by the kernel. */
#define FILTER_PROG_MAX_INSNS BPF_MAXINSNS

/* Notification buffers: larger than the kernel's structs are today (80 and 24 bytes). */
#define FILTER_NOTIF_BUF_MAX 512

struct filter_deny {
	int nr;           /* native number, or a negative libseccomp pseudo number */
	const char *name; /* as in "seccomp: NAME denied" */
};

#define DENY(call)                                                                                 \
	{                                                                                          \
		SCMP_SYS(call), #call                                                              \
	}

/*
 * Calls denied whatever their arguments. On an architecture that lacks one
 * (iopl on aarch64), SCMP_SYS() yields a negative pseudo number that
 * libseccomp skips, and that no notification can carry.
 */
static const struct filter_deny filter_always_denied[] = {
    /*
     * io_uring: a second system call interface that seccomp never sees
     * (its socket, openat and connect operations skip the rules below),
     * and a steady source of kernel privilege escalations.
     */
    DENY(io_uring_setup),
    DENY(io_uring_enter),
    DENY(io_uring_register),
    /*
     * Reading or steering other processes: a tool must not debug, read
     * or inject into its siblings, and a helper left unfiltered inside the
     * sandbox must not be a way out. kcmp and pidfd_getfd compare or
     * steal another process's file descriptors.
     */
    DENY(ptrace),
    DENY(process_vm_readv),
    DENY(process_vm_writev),
    DENY(process_madvise),
    DENY(pidfd_getfd),
    DENY(kcmp),
    /* Kernel attack surface no tool needs. */
    DENY(bpf),
    DENY(perf_event_open),
    DENY(userfaultfd), /* makes kernel races easy to win */
    /*
     * Keyrings are not namespaced: a sandboxed process could read or
     * plant keys in the user's session keyring.
     */
    DENY(keyctl),
    DENY(add_key),
    DENY(request_key),
    /*
     * The mount family, old API and new: the child's view of the file
     * system is fixed by the parent; remounting a read-only bind writable
     * or unmounting a mask would undo it.
     */
    DENY(mount),
    DENY(umount2),
    DENY(pivot_root),
    DENY(chroot),
    DENY(move_mount),
    DENY(open_tree),
    DENY(fsopen),
    DENY(fsmount),
    DENY(fspick),
    DENY(fsconfig),
    DENY(mount_setattr),
    /* Joining another namespace (the host's, through an inherited fd). */
    DENY(setns),
    /*
     * File handles open files by inode number, bypassing path-based
     * checks (the "shocker" container escape).
     */
    DENY(open_by_handle_at),
    DENY(name_to_handle_at),
    /* The kernel itself: modules, kexec, reboot, swap, accounting. */
    DENY(kexec_load),
    DENY(kexec_file_load),
    DENY(init_module),
    DENY(finit_module),
    DENY(delete_module),
    DENY(reboot),
    DENY(swapon),
    DENY(swapoff),
    DENY(acct),
    DENY(quotactl),
    DENY(quotactl_fd),
    /* The kernel log leaks addresses and other users' activity. */
    DENY(syslog),
    /* Obsolete calls with a history of bugs and no modern user. */
    DENY(lookup_dcookie),
    DENY(uselib),
    DENY(nfsservctl),
    /* Hangs up the terminal under other processes' feet. */
    DENY(vhangup),
    /* Raw I/O port access. */
    DENY(iopl),
    DENY(ioperm),
    /* The clock is shared with the host. */
    DENY(settimeofday),
    DENY(clock_settime),
    DENY(clock_adjtime),
    DENY(adjtimex),
    /* Watches the whole mount or file system, including outside the view. */
    DENY(fanotify_init),
};

/*
 * The namespace flags that unshare() takes. A new user namespace gives back
 * every capability inside it and, with it, the power to remount what the
 * parent made read-only; the others need a capability the child no longer
 * has, and are denied so that the answer does not depend on that.
 */
static const unsigned long filter_unshare_ns_flags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME,
};

/*
 * The same for clone(), without CLONE_NEWTIME: in clone() the low byte is
 * the exit signal, and a new time namespace can only be asked for through
 * unshare() or clone3().
 */
static const unsigned long filter_clone_ns_flags[] = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
};

#define FILTER_COUNT(array) (sizeof(array) / sizeof((array)[0]))

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
	 * stays allowed: its two ends only talk to each other. Other families
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

int sbx_seccomp_install(const struct sock_fprog *prog, bool want_listener)
{
	unsigned long flags = want_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	int saved = errno;
	long rc;

	/*
	 * syscall() rather than libseccomp's seccomp_load(), which allocates.
	 * errno is restored: in a vfork-style child it belongs to the
	 * suspended parent thread.
	 */
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	if (rc < 0)
		rc = -errno;
	errno = saved;
	return (int)rc;
}

/* Name a socket family for a violation line. */
static const char *filter_family_name(uint32_t family)
{
	switch (family) {
	case AF_UNIX:
		return "AF_UNIX";
	case AF_VSOCK:
		return "AF_VSOCK";
	default:
		return NULL;
	}
}

/* Describe the denied call in @data (registers only, never memory). */
static void filter_describe(const struct seccomp_data *data, char *buf, size_t buflen)
{
	uint32_t low = (uint32_t)data->args[0];
	const char *name = NULL;

	if (data->arch != FILTER_NATIVE_AUDIT) {
		snprintf(buf, buflen, "seccomp: system call %d of ABI 0x%x denied", data->nr,
		         data->arch);
		return;
	}
	if (data->nr == SCMP_SYS(clone) || data->nr == SCMP_SYS(unshare)) {
		snprintf(buf, buflen, "seccomp: %s with namespace flags denied",
		         data->nr == SCMP_SYS(clone) ? "clone" : "unshare");
		return;
	}
	if (data->nr == SCMP_SYS(socket)) {
		name = filter_family_name(low);
		if (name)
			snprintf(buf, buflen, "seccomp: socket(%s) denied", name);
		else
			snprintf(buf, buflen, "seccomp: socket(%u) denied", low);
		return;
	}
	if (data->nr == SCMP_SYS(ioctl)) {
		uint32_t cmd = (uint32_t)data->args[1];
		if (cmd == TIOCSTI || cmd == TIOCLINUX)
			snprintf(buf, buflen, "seccomp: ioctl(%s) denied",
			         cmd == TIOCSTI ? "TIOCSTI" : "TIOCLINUX");
		else
			snprintf(buf, buflen, "seccomp: ioctl(0x%x) denied", cmd);
		return;
	}
	if (data->nr == SCMP_SYS(personality)) {
		snprintf(buf, buflen, "seccomp: personality(0x%x) denied", low);
		return;
	}
	for (size_t i = 0; i < FILTER_COUNT(filter_always_denied); i++) {
		if (filter_always_denied[i].nr == data->nr) {
			snprintf(buf, buflen, "seccomp: %s denied", filter_always_denied[i].name);
			return;
		}
	}
	snprintf(buf, buflen, "seccomp: system call %d denied", data->nr);
}

int sbx_seccomp_handle_notify(int listener, char *buf, size_t buflen)
{
	/*
	 * The kernel copies its own sizes of these structs, which may grow:
	 * ask for them and keep buffers that are large enough and zeroed
	 * (NOTIF_RECV insists on a zeroed buffer).
	 */
	union {
		struct seccomp_notif notif;
		unsigned char raw[FILTER_NOTIF_BUF_MAX];
	} req;
	union {
		struct seccomp_notif_resp resp;
		unsigned char raw[FILTER_NOTIF_BUF_MAX];
	} resp;
	struct seccomp_notif_sizes sizes;

	if (buf && buflen > 0)
		buf[0] = '\0';
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	if (sizes.seccomp_notif > sizeof(req) || sizes.seccomp_notif_resp > sizeof(resp))
		return -EOVERFLOW;

	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -errno;

	memset(&resp, 0, sizeof(resp));
	resp.resp.id = req.notif.id;
	resp.resp.val = 0;
	resp.resp.error = -EPERM;
	resp.resp.flags = 0; /* never SECCOMP_USER_NOTIF_FLAG_CONTINUE */
	/*
	 * The target stays blocked until answered: an interrupted send is
	 * retried rather than leaving it hanging.
	 */
	while (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (buf && buflen > 0)
		filter_describe(&req.notif.data, buf, buflen);
	return 0;
}
