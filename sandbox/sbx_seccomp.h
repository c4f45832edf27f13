/*
 * seccomp.h - the sandbox's system call filter.
 *
 * The filter is a deny list over a default of "allow": it closes the known
 * kernel attack surface and escape routes (io_uring, ptrace, bpf, keyctl,
 * the mount family, new namespaces, TIOCSTI, AF_VSOCK, non-native ABIs...)
 * and leaves ordinary programs alone. docs/seccomp.md lists every entry with
 * its reason, and what is knowingly left open.
 *
 * Life cycle, shaped by the vfork-style spawner (sandbox/spawn.c):
 *  1. the parent builds the program once per distinct set of options with
 *     sbx_seccomp_build() (libseccomp, allocation, ~hundreds of µs) and
 *     keeps it;
 *  2. the child, which shares the parent's memory and may not allocate,
 *     installs it with sbx_seccomp_install() (one system call);
 *  3. in notify mode the parent answers the child's denied calls with
 *     sbx_seccomp_handle_notify() and reports them as violations.
 *
 * Architectures: the native ABI of the build (x86_64 or aarch64) only. Any
 * other ABI the kernel can run (i386 through `int $0x80`, x32 on x86_64,
 * AArch32 on aarch64) kills the whole process.
 */
#ifndef CORRAL_SBX_SECCOMP_H
#define CORRAL_SBX_SECCOMP_H

#include <corral/error.h>

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

struct sbx_seccomp_opts {
	/* socket(AF_UNIX, ...) allowed; socketpair(AF_UNIX, ...) always is. */
	bool allow_unix_sockets;
	/*
	 * Denied calls are sent to a user-notification listener (see
	 * sbx_seccomp_handle_notify()) instead of failing with EPERM at once.
	 * The caller sees EPERM either way; the listener only learns what
	 * was tried. clone3 is the exception: it always fails with ENOSYS.
	 */
	bool notify;
};

/* Longest line sbx_seccomp_handle_notify() writes, NUL included. */
#define SBX_SECCOMP_NOTE_MAX 96

/*
 * Build the filter for @opts and export it as a classic BPF program into
 * @prog: prog->filter is malloc'd and owned by the caller, who frees it
 * with sbx_seccomp_release(). Pure apart from memory and one memfd that is
 * closed before returning. libseccomp keeps process-wide state while it
 * probes the kernel: build at start-up or under the caller's lock. Fails with
 * CORRAL_E_NOMEM, CORRAL_E_UNSUPPORTED (the kernel or libseccomp lacks an
 * action the options need, e.g. user notification) or CORRAL_E_SANDBOX;
 * @prog is untouched on failure.
 */
int sbx_seccomp_build(const struct sbx_seccomp_opts *opts, struct sock_fprog *prog,
                      struct corral_error *err);

/*
 * The program for @opts that the build compiled in (gen_filters.c): the same
 * instructions sbx_seccomp_build() makes, ready to install. Static; never
 * NULL.
 */
const struct sock_fprog *sbx_seccomp_filter(const struct sbx_seccomp_opts *opts);

/* Free what sbx_seccomp_build() allocated. Accepts a released or zeroed @prog. */
void sbx_seccomp_release(struct sock_fprog *prog);

/*
 * Install @prog on the calling thread. For the sandbox child after
 * PR_SET_NO_NEW_PRIVS (without it the kernel refuses with EACCES unless the
 * caller has CAP_SYS_ADMIN): one raw system call, no allocation, errno left
 * as it was, so it is safe between a vfork-style clone and exec. @prog is
 * borrowed (the kernel copies it).
 *
 * With @want_listener the kernel also creates the notification listener
 * and the call returns its fd (O_CLOEXEC; owned by the caller, who must
 * hand it to the parent, e.g. with SCM_RIGHTS). Returns that fd, 0 without
 * @want_listener, or -errno: -EBUSY when an outer filter on this task
 * already has a listener (the kernel allows one per filter chain). A notify
 * program installed without a listener still denies: its calls fail with
 * ENOSYS instead of EPERM.
 */
int sbx_seccomp_install(const struct sock_fprog *prog, bool want_listener);

/*
 * Parent side of notify mode: receive one notification from @listener
 * (borrowed), answer it with EPERM, and write a one-line description into
 * @buf (at most @buflen bytes, always NUL-terminated when @buflen > 0), e.g.
 * "seccomp: ptrace denied", "seccomp: socket(AF_VSOCK) denied",
 * "seccomp: clone with namespace flags denied", "seccomp: ioctl(TIOCSTI)
 * denied". The denied call is never let through (no
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE), so what the child's memory says after
 * the fact cannot matter; the description is built from the registers only.
 *
 * Blocks until a notification arrives: call it when poll() reports POLLIN
 * on @listener. Returns 0, or -errno: -ENOENT when the target died or was
 * interrupted before the answer (nothing to report), -EINTR, or -EBADF /
 * -EINVAL for a bad @listener. The denied process waits until it is
 * answered; when every copy of the listener is closed, pending and later
 * notified calls fail with ENOSYS instead.
 */
int sbx_seccomp_handle_notify(int listener, char *buf, size_t buflen);

#endif
