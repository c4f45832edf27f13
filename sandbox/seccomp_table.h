/*
 * seccomp_table.h - the filter's rules as data, shared by the build-time
 * filter generator (seccomp_build.c) and the run-time side (seccomp.c),
 * which names denied calls in violation reports. Internal to sandbox/.
 *
 * Only libseccomp's header is used here (SCMP_SYS() is a compile-time
 * constant); the library itself is linked into the generator alone.
 */
#ifndef CORRAL_SECCOMP_TABLE_H
#define CORRAL_SECCOMP_TABLE_H

#include <seccomp.h>

#include <linux/audit.h>
#include <sched.h>
#include <stdint.h>

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
static const struct filter_deny filter_always_denied[] __attribute__((unused)) = {
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
static const unsigned long filter_unshare_ns_flags[] __attribute__((unused)) = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME,
};

/*
 * The same for clone(), without CLONE_NEWTIME: in clone() the low byte is
 * the exit signal, and a new time namespace can only be asked for through
 * unshare() or clone3().
 */
static const unsigned long filter_clone_ns_flags[] __attribute__((unused)) = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
};

#define FILTER_COUNT(array) (sizeof(array) / sizeof((array)[0]))

#endif
