/*
 * seccomp.c - install and serve the sandbox's system call filter.
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

/* The programs gen_filters.c compiled in, indexed by filter_index(). */
extern const struct sock_fprog sbx_seccomp_precompiled[4];

static unsigned filter_index(const struct sbx_seccomp_opts *opts)
{
	return (opts->allow_unix_sockets ? 1u : 0u) | (opts->notify ? 2u : 0u);
}

const struct sock_fprog *sbx_seccomp_filter(const struct sbx_seccomp_opts *opts)
{
	return &sbx_seccomp_precompiled[filter_index(opts)];
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
	if (data->nr == SCMP_SYS(socketpair)) {
		snprintf(buf, buflen, "seccomp: socketpair(SOCK_DGRAM) denied");
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
