/*
 * test_seccomp.c - the seccomp filter, proved call by call.
 *
 * Every denied call runs twice in a forked child that has installed the
 * filter: once in the plain mode, where it must fail with the expected
 * errno, and once in notify mode, where the parent must receive a
 * notification describing it. The notification is the proof that the
 * filter, and not the kernel, refused the call. The arguments are chosen
 * so that the call would be harmless (an error) even if the filter let it
 * through: the tests run as root in CI.
 */
#define _GNU_SOURCE
#include "sbx_seccomp.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* How long the parent waits for a notification or a child before failing. */
#define TEST_WAIT_MS   10000
#define TEST_NOTES_MAX 8

/* Child exit codes that are not an errno. */
#define EXIT_SETUP          200 /* no_new_privs or install failed */
#define EXIT_CALL_SUCCEEDED 201 /* a call meant to fail succeeded */

/* Set in a 64-bit argument whose kernel type is a 32-bit int. */
#define HIGH_HALF (1ul << 32)

static struct sock_fprog prog_errno;  /* AF_UNIX denied, EPERM */
static struct sock_fprog prog_unix;   /* AF_UNIX allowed, EPERM */
static struct sock_fprog prog_notify; /* AF_UNIX denied, user notification */

struct deny_case {
	const char *label;
	long nr;
	unsigned long args[6];
	int want;         /* errno the caller sees */
	const char *note; /* the parent's description; NULL: no notification */
};

#define NS_CLONE(flag)                                                                             \
	{                                                                                          \
		"clone(" #flag ")", SYS_clone, {flag | CLONE_THREAD}, EPERM,                       \
		    "seccomp: clone with namespace flags denied"                                   \
	}
#define NS_UNSHARE(flag)                                                                           \
	{                                                                                          \
		"unshare(" #flag ")", SYS_unshare, {flag}, EPERM,                                  \
		    "seccomp: unshare with namespace flags denied"                                 \
	}
#define PLAIN(call, ...)                                                                           \
	{                                                                                          \
#call, SYS_##call, {__VA_ARGS__ }, EPERM, "seccomp: " #call " denied"              \
	}

/*
 * The deny list, with arguments that make each call fail harmlessly if it
 * got through (bad fd, NULL pointer, invalid flags); clone carries
 * CLONE_THREAD without CLONE_SIGHAND, which the kernel rejects first.
 */
static const struct deny_case deny_cases[] = {
    PLAIN(io_uring_setup, 0, 0),
    PLAIN(io_uring_enter, (unsigned long)-1, 0, 0, 0, 0, 0),
    PLAIN(io_uring_register, (unsigned long)-1, 0, 0, 0),
    PLAIN(ptrace, 3 /* PTRACE_PEEKUSER */, 0, 0, 0),
    PLAIN(process_vm_readv, 0, 0, 0, 0, 0, 1),
    PLAIN(process_vm_writev, 0, 0, 0, 0, 0, 1),
    PLAIN(process_madvise, (unsigned long)-1, 0, 0, 0, 0),
    PLAIN(pidfd_getfd, (unsigned long)-1, 0, 0),
    PLAIN(kcmp, 0, 0, 99, 0, 0),
    PLAIN(bpf, 0x7fffffff, 0, 0),
    PLAIN(perf_event_open, 0, 0, (unsigned long)-1, (unsigned long)-1, 0),
    PLAIN(userfaultfd, 0xffffffff),
    PLAIN(keyctl, 0x7fffffff, 0, 0, 0, 0),
    PLAIN(add_key, 0, 0, 0, 0, 0),
    PLAIN(request_key, 0, 0, 0, 0),
    PLAIN(mount, 0, 0, 0, 0, 0),
    PLAIN(umount2, 0, 0),
    PLAIN(pivot_root, 0, 0),
    PLAIN(chroot, 0),
    PLAIN(move_mount, (unsigned long)-1, 0, (unsigned long)-1, 0, 0xffffffff),
    PLAIN(open_tree, (unsigned long)-1, 0, 0xffffffff),
    PLAIN(fsopen, 0, 0xffffffff),
    PLAIN(fsmount, (unsigned long)-1, 0xffffffff, 0),
    PLAIN(fspick, (unsigned long)-1, 0, 0xffffffff),
    PLAIN(fsconfig, (unsigned long)-1, 0xffff, 0, 0, 0),
    PLAIN(mount_setattr, (unsigned long)-1, 0, 0xffffffff, 0, 0),
    PLAIN(setns, (unsigned long)-1, 0),
    NS_UNSHARE(CLONE_NEWNS),
    NS_UNSHARE(CLONE_NEWCGROUP),
    NS_UNSHARE(CLONE_NEWUTS),
    NS_UNSHARE(CLONE_NEWIPC),
    NS_UNSHARE(CLONE_NEWUSER),
    NS_UNSHARE(CLONE_NEWPID),
    NS_UNSHARE(CLONE_NEWNET),
    NS_UNSHARE(CLONE_NEWTIME),
    NS_UNSHARE(CLONE_NEWUSER | CLONE_FILES),
    NS_UNSHARE(HIGH_HALF | CLONE_NEWUSER),
    NS_CLONE(CLONE_NEWNS),
    NS_CLONE(CLONE_NEWCGROUP),
    NS_CLONE(CLONE_NEWUTS),
    NS_CLONE(CLONE_NEWIPC),
    NS_CLONE(CLONE_NEWUSER),
    NS_CLONE(CLONE_NEWPID),
    NS_CLONE(CLONE_NEWNET),
    NS_CLONE(HIGH_HALF | CLONE_NEWUSER),
    /* clone3: ENOSYS so that libc falls back to clone; never notified. */
    {"clone3", SYS_clone3, {0, 0}, ENOSYS, NULL},
    PLAIN(open_by_handle_at, (unsigned long)-1, 0, 0),
    PLAIN(name_to_handle_at, (unsigned long)-1, 0, 0, 0, 0xffffffff),
    PLAIN(kexec_load, 0, 0, 0, 0xffffffff),
    PLAIN(kexec_file_load, (unsigned long)-1, (unsigned long)-1, 0, 0, 0xffffffff),
    PLAIN(init_module, 0, 0, 0),
    PLAIN(finit_module, (unsigned long)-1, 0, 0),
    PLAIN(delete_module, 0, 0),
    {"personality(PER_LINUX32)",
     SYS_personality,
     {0x0008},
     EPERM,
     "seccomp: personality(0x8) denied"},
    {"personality(READ_IMPLIES_EXEC)",
     SYS_personality,
     {0x0400000},
     EPERM,
     "seccomp: personality(0x400000) denied"},
    {"personality(ADDR_NO_RANDOMIZE)",
     SYS_personality,
     {0x0040000},
     EPERM,
     "seccomp: personality(0x40000) denied"},
    {"personality(1)", SYS_personality, {1}, EPERM, "seccomp: personality(0x1) denied"},
    {"personality(0x80000000)",
     SYS_personality,
     {0x80000000},
     EPERM,
     "seccomp: personality(0x80000000) denied"},
    {"personality(0x7fffffff)",
     SYS_personality,
     {0x7fffffff},
     EPERM,
     "seccomp: personality(0x7fffffff) denied"},
    {"personality(0xfffffffe)",
     SYS_personality,
     {0xfffffffe},
     EPERM,
     "seccomp: personality(0xfffffffe) denied"},
    {"personality(high|PER_LINUX32)",
     SYS_personality,
     {HIGH_HALF | 0x0008},
     EPERM,
     "seccomp: personality(0x8) denied"},
    {"ioctl(TIOCSTI)",
     SYS_ioctl,
     {(unsigned long)-1, TIOCSTI, 0},
     EPERM,
     "seccomp: ioctl(TIOCSTI) denied"},
    {"ioctl(high|TIOCSTI)",
     SYS_ioctl,
     {(unsigned long)-1, HIGH_HALF | TIOCSTI, 0},
     EPERM,
     "seccomp: ioctl(TIOCSTI) denied"},
    {"ioctl(TIOCLINUX)",
     SYS_ioctl,
     {(unsigned long)-1, TIOCLINUX, 0},
     EPERM,
     "seccomp: ioctl(TIOCLINUX) denied"},
    {"ioctl(high|TIOCLINUX)",
     SYS_ioctl,
     {(unsigned long)-1, HIGH_HALF | TIOCLINUX, 0},
     EPERM,
     "seccomp: ioctl(TIOCLINUX) denied"},
    {"socket(AF_VSOCK)",
     SYS_socket,
     {AF_VSOCK, SOCK_STREAM, 0},
     EPERM,
     "seccomp: socket(AF_VSOCK) denied"},
    {"socket(high|AF_VSOCK)",
     SYS_socket,
     {HIGH_HALF | AF_VSOCK, SOCK_STREAM, 0},
     EPERM,
     "seccomp: socket(AF_VSOCK) denied"},
    {"socket(AF_UNIX)",
     SYS_socket,
     {AF_UNIX, SOCK_STREAM, 0},
     EPERM,
     "seccomp: socket(AF_UNIX) denied"},
    {"socket(high|AF_UNIX)",
     SYS_socket,
     {HIGH_HALF | AF_UNIX, SOCK_STREAM, 0},
     EPERM,
     "seccomp: socket(AF_UNIX) denied"},
    {"socketpair(AF_UNIX, SOCK_DGRAM)",
     SYS_socketpair,
     {AF_UNIX, SOCK_DGRAM, 0, 0},
     EPERM,
     "seccomp: socketpair(SOCK_DGRAM) denied"},
    {"socketpair(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC)",
     SYS_socketpair,
     {AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0},
     EPERM,
     "seccomp: socketpair(SOCK_DGRAM) denied"},
    PLAIN(acct, (unsigned long)""),
    PLAIN(swapon, 0, 0),
    PLAIN(swapoff, 0),
    PLAIN(reboot, 0, 0, 0, 0),
    PLAIN(syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, 0, 0),
    PLAIN(quotactl, 0, 0, 0, 0),
    PLAIN(quotactl_fd, (unsigned long)-1, 0, 0, 0),
    PLAIN(lookup_dcookie, 0, 0, 0),
    PLAIN(nfsservctl, 0, 0, 0),
    PLAIN(vhangup), /* the child has called setsid(): no terminal to hang up */
#ifdef SYS_uselib
    PLAIN(uselib, 0),
#endif
#ifdef SYS_iopl
    PLAIN(iopl, 4),
    PLAIN(ioperm, 0x10000, 1, 1),
#endif
    PLAIN(settimeofday, 1, 0),
    PLAIN(clock_settime, 0x7fffffff, 0),
    PLAIN(clock_adjtime, 0x7fffffff, 0),
    PLAIN(adjtimex, 0),
    PLAIN(fanotify_init, 0xffffffff, 0),
};

#define NCASES ((int)(sizeof(deny_cases) / sizeof(deny_cases[0])))

/* Run the call of @c; return 0 or its errno (EXIT_CALL_SUCCEEDED if it succeeded). */
static int deny_case_call(const struct deny_case *c)
{
	long rc =
	    syscall(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4], c->args[5]);
	return rc < 0 ? errno : EXIT_CALL_SUCCEEDED;
}

/* The start of every filtered child: its own session, then no_new_privs. */
static int child_setup(void)
{
	setsid();
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

typedef int (*child_fn)(const void *arg);

/* Fork; in the child install @prog, run @fn and exit with its result. Returns the wait status. */
static int run_filtered(const struct sock_fprog *prog, child_fn fn, const void *arg)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (child_setup() < 0 || sbx_seccomp_install(prog, false) != 0)
			_exit(EXIT_SETUP);
		_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;

	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		_exit(EXIT_SETUP);
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

struct notified {
	int status;
	int nnotes;
	char notes[TEST_NOTES_MAX][SBX_SECCOMP_NOTE_MAX];
};

/*
 * Fork a child that installs the notify filter with a listener, hands the
 * listener over a socketpair (SCM_RIGHTS: the child has its own fd table),
 * and runs @fn. The parent answers every notification until the child
 * exits, which it sees as EOF on the socket: a child blocked in a
 * notification cannot exit, so none is left unanswered.
 */
static void run_notified(child_fn fn, const void *arg, struct notified *out)
{
	int sv[2], listener;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		close(sv[0]);
		if (child_setup() < 0)
			_exit(EXIT_SETUP);
		fd = sbx_seccomp_install(&prog_notify, true);
		if (fd <= 0)
			_exit(EXIT_SETUP);
		send_fd(sv[1], fd);
		close(fd);
		_exit(fn(arg));
	}
	close(sv[1]);
	listener = recv_fd(sv[0]);
	ck_assert_msg(listener >= 0, "the child sent no listener");
	for (;;) {
		struct pollfd pfd[2] = {{.fd = listener, .events = POLLIN},
		                        {.fd = sv[0], .events = POLLIN}};
		int n = poll(pfd, 2, TEST_WAIT_MS);

		ck_assert_msg(n > 0, "no notification and no exit within %d ms", TEST_WAIT_MS);
		if (pfd[0].revents & POLLIN) {
			char note[SBX_SECCOMP_NOTE_MAX];
			int rc = sbx_seccomp_handle_notify(listener, note, sizeof(note));

			ck_assert_msg(rc == 0, "handle_notify: %s", strerror(-rc));
			if (out->nnotes < TEST_NOTES_MAX)
				memcpy(out->notes[out->nnotes], note, sizeof(note));
			out->nnotes++;
			continue;
		}
		if (pfd[1].revents)
			break;
	}
	ck_assert_int_eq(waitpid(pid, &out->status, 0), pid);
	close(listener);
	close(sv[0]);
}

static void assert_exit(int status, int code, const char *what)
{
	ck_assert_msg(WIFEXITED(status), "%s: child killed by signal %d", what,
	              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WEXITSTATUS(status) == code, "%s: child exited %d (%s), wanted %d (%s)", what,
	              WEXITSTATUS(status), strerror(WEXITSTATUS(status)), code, strerror(code));
}

static int child_deny_case(const void *arg)
{
	return deny_case_call(arg);
}

START_TEST(test_denied_errno)
{
	const struct deny_case *c = &deny_cases[_i];

	assert_exit(run_filtered(&prog_errno, child_deny_case, c), c->want, c->label);
}
END_TEST

START_TEST(test_denied_notify)
{
	const struct deny_case *c = &deny_cases[_i];
	struct notified res;

	run_notified(child_deny_case, c, &res);
	assert_exit(res.status, c->want, c->label);
	if (!c->note) {
		ck_assert_msg(res.nnotes == 0, "%s: unexpected notification \"%s\"", c->label,
		              res.notes[0]);
		return;
	}
	ck_assert_msg(res.nnotes == 1, "%s: %d notifications, wanted 1", c->label, res.nnotes);
	ck_assert_str_eq(res.notes[0], c->note);
}
END_TEST

/* The sequence from the notify-mode contract, in one child, in order. */
static int child_notify_sequence(const void *arg)
{
	(void)arg;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 1;
	if (socket(AF_VSOCK, SOCK_STREAM, 0) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_clone, CLONE_NEWUSER | CLONE_THREAD, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 3;
	if (ioctl(0, TIOCSTI, "x") != -1 || errno != EPERM)
		return 4;
	if (syscall(SYS_ptrace, 3, getppid(), 0, 0) != -1 || errno != EPERM)
		return 5;
	/* Allowed calls are not notified. */
	if (getpid() <= 0 || personality(0xffffffff) == -1)
		return 6;
	return 0;
}

START_TEST(test_notify_sequence)
{
	static const char *const want[] = {
	    "seccomp: socket(AF_VSOCK) denied",
	    "seccomp: clone with namespace flags denied",
	    "seccomp: ioctl(TIOCSTI) denied",
	    "seccomp: ptrace denied",
	};
	struct notified res;

	run_notified(child_notify_sequence, NULL, &res);
	assert_exit(res.status, 0, "sequence");
	ck_assert_int_eq(res.nnotes, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(res.notes[i], want[i]);
}
END_TEST

/* A short @buf is truncated, not overrun. */
static int child_ptrace(const void *arg)
{
	(void)arg;
	return syscall(SYS_ptrace, 3, 0, 0, 0) == -1 ? errno : EXIT_CALL_SUCCEEDED;
}

START_TEST(test_notify_short_buffer)
{
	int sv[2], listener, status;
	char buf[10];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		if (child_setup() < 0)
			_exit(EXIT_SETUP);
		fd = sbx_seccomp_install(&prog_notify, true);
		if (fd <= 0)
			_exit(EXIT_SETUP);
		send_fd(sv[1], fd);
		close(fd);
		_exit(child_ptrace(NULL));
	}
	listener = recv_fd(sv[0]);
	ck_assert_int_ge(listener, 0);
	ck_assert_int_eq(sbx_seccomp_handle_notify(listener, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "seccomp: ");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_exit(status, EPERM, "ptrace");
	close(listener);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* What must keep working under the filter. */

static int child_fork(const void *arg)
{
	int status;
	pid_t pid;

	(void)arg;
	pid = fork(); /* glibc: clone() without namespace flags */
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(42);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
		return 2;
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return 3;
	if (pid == 0)
		_exit(43);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 43)
		return 4;
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

/* pthread_create tries clone3 first and must fall back to clone on ENOSYS. */
static int child_thread(const void *arg)
{
	pthread_t thread;
	void *ret = NULL;
	int marker = 7;

	(void)arg;
	if (pthread_create(&thread, NULL, thread_main, &marker) != 0)
		return 1;
	if (pthread_join(thread, &ret) != 0 || ret != &marker)
		return 2;
	return 0;
}

static int child_sockets(const void *arg)
{
	int sv[2], fd;

	(void)arg;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 2;
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 && errno == EPERM)
		return 3;
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */);
	if (fd < 0)
		return 4;
	close(fd);
	return 0;
}

static int child_unix_socket(const void *arg)
{
	int fd;

	(void)arg;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int child_ioctl(const void *arg)
{
	struct winsize ws;
	int master;

	(void)arg;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		return 1;
	if (ioctl(master, TIOCGWINSZ, &ws) != 0)
		return 2;
	if (ioctl(master, FIONBIO, &(int){1}) != 0)
		return 3;
	close(master);
	return 0;
}

static int child_personality(const void *arg)
{
	(void)arg;
	if (personality(0xffffffff) == -1)
		return 1;
	if (personality(0) == -1)
		return 2;
	/* The kernel reads 32 bits: 0xffffffff with any high half is a query. */
	if (syscall(SYS_personality, ~0ul) == -1)
		return 3;
	/* ... and a high half over 0 is PER_LINUX. */
	if (syscall(SYS_personality, HIGH_HALF) == -1)
		return 4;
	return 0;
}

static int child_unshare_plain(const void *arg)
{
	(void)arg;
	if (unshare(CLONE_FILES | CLONE_FS) != 0)
		return 1;
	return 0;
}

static int child_exec(const void *arg)
{
	(void)arg;
	execl("/bin/sh", "sh", "-c", "echo x | cat >/dev/null && ls / >/dev/null", (char *)NULL);
	return 127;
}

/* The programs compiled into corral are exactly what the builder makes now:
 * a stale generated file would install an outdated filter. */
START_TEST(test_precompiled_current)
{
	for (unsigned i = 0; i < 4; i++) {
		struct sbx_seccomp_opts opts = {.allow_unix_sockets = (i & 1u) != 0,
		                                .notify = (i & 2u) != 0};
		const struct sock_fprog *pre = sbx_seccomp_filter(&opts);
		struct sock_fprog built = {0};
		struct corral_error err = {0};

		ck_assert_msg(sbx_seccomp_build(&opts, &built, &err) == 0, "%s", err.message);
		ck_assert_uint_eq(pre->len, built.len);
		ck_assert_int_eq(
		    memcmp(pre->filter, built.filter, built.len * sizeof(*built.filter)), 0);
		sbx_seccomp_release(&built);
	}
}
END_TEST

START_TEST(test_allowed)
{
	assert_exit(run_filtered(&prog_errno, child_fork, NULL), 0, "fork and clone");
	assert_exit(run_filtered(&prog_errno, child_thread, NULL), 0, "pthread_create");
	assert_exit(run_filtered(&prog_errno, child_sockets, NULL), 0, "sockets");
	assert_exit(run_filtered(&prog_errno, child_ioctl, NULL), 0, "ioctl TIOCGWINSZ");
	assert_exit(run_filtered(&prog_errno, child_personality, NULL), 0, "personality");
	assert_exit(run_filtered(&prog_errno, child_unshare_plain, NULL), 0, "unshare");
	assert_exit(run_filtered(&prog_errno, child_exec, NULL), 0, "sh pipeline");
}
END_TEST

START_TEST(test_unix_sockets_opt_in)
{
	assert_exit(run_filtered(&prog_errno, child_unix_socket, NULL), EPERM, "AF_UNIX denied");
	assert_exit(run_filtered(&prog_unix, child_unix_socket, NULL), 0, "AF_UNIX allowed");
}
END_TEST

/*
 * TIOCSTI against a real terminal: without the filter the call with the
 * high half set injects a byte (the kernel truncates the command to 32
 * bits); with it, EPERM and nothing arrives.
 */
static int tiocsti_pty(unsigned long cmd, bool filtered)
{
	char c = 'Z', got = 0;
	struct termios raw;
	int master, slave, rc;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
		return 100;
	if (setsid() < 0 && getpgrp() != getpid())
		return 101;
	slave = open(ptsname(master), O_RDWR); /* becomes the controlling terminal */
	if (slave < 0)
		return 102;
	/* Raw mode: the injected byte is readable without a newline. */
	if (tcgetattr(slave, &raw) != 0)
		return 104;
	cfmakeraw(&raw);
	if (tcsetattr(slave, TCSANOW, &raw) != 0)
		return 105;
	if (filtered && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	                 sbx_seccomp_install(&prog_errno, false) != 0))
		return EXIT_SETUP;
	rc = (int)syscall(SYS_ioctl, slave, cmd, &c);
	if (rc != 0)
		return errno;
	/* Injected: the byte is now input of the terminal, readable on the slave. */
	fcntl(slave, F_SETFL, O_NONBLOCK);
	if (read(slave, &got, 1) != 1 || got != 'Z')
		return 103;
	return 0;
}

static int child_tiocsti_plain(const void *arg)
{
	return tiocsti_pty(*(const unsigned long *)arg, false);
}

static int child_tiocsti_filtered(const void *arg)
{
	return tiocsti_pty(*(const unsigned long *)arg, true);
}

START_TEST(test_tiocsti_high_bits)
{
	unsigned long cmds[] = {TIOCSTI, HIGH_HALF | TIOCSTI, 0xffffffff00000000ul | TIOCSTI};
	int status;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(child_tiocsti_plain(&cmds[i]));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		/* The control shows the call is live on this kernel. */
		assert_exit(status, 0, "TIOCSTI without the filter");
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			_exit(child_tiocsti_filtered(&cmds[i]));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		assert_exit(status, EPERM, "TIOCSTI with the filter");
	}
}
END_TEST

/* AF_VSOCK with the high half set: EPERM (the socket is real on a VM guest). */
static int child_vsock_high(const void *arg)
{
	(void)arg;
	long fd = syscall(SYS_socket, HIGH_HALF | AF_VSOCK, SOCK_STREAM, 0);
	return fd < 0 ? errno : EXIT_CALL_SUCCEEDED;
}

START_TEST(test_vsock_high_bits)
{
	assert_exit(run_filtered(&prog_errno, child_vsock_high, NULL), EPERM, "AF_VSOCK");
}
END_TEST

#if defined(__x86_64__)
/* getpid through the i386 ABI: int $0x80, eax = 20. */
static long i386_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* getpid through the x32 ABI: syscall with 39 | __X32_SYSCALL_BIT. */
static long x32_getpid(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(39L | 0x40000000L) : "rcx", "r11", "memory");
	return ret;
}

static int child_i386(const void *arg)
{
	(void)arg;
	return i386_getpid() == getpid() ? 0 : 1;
}

static int child_x32(const void *arg)
{
	long rc;

	(void)arg;
	rc = x32_getpid();
	/* Without the filter: the pid (x32 built in) or -ENOSYS (this kernel). */
	return rc == getpid() || rc == -ENOSYS ? 0 : 1;
}

static int run_plain(child_fn fn)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(NULL));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(test_i386_killed)
{
	int control = run_plain(child_i386);
	int status = run_filtered(&prog_errno, child_i386, NULL);

	if (WIFSIGNALED(control) && WTERMSIG(control) == SIGSEGV) {
		/* The kernel runs no i386 code at all (ia32_emulation=0). */
		fprintf(stderr, "note: this kernel has no i386 emulation; int $0x80 faults\n");
		ck_assert(WIFSIGNALED(status));
		return;
	}
	assert_exit(control, 0, "i386 getpid without the filter");
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	              "i386 call under the filter: status 0x%x, wanted death by SIGSYS", status);
}
END_TEST

START_TEST(test_x32_killed)
{
	int status;

	assert_exit(run_plain(child_x32), 0, "x32 getpid without the filter");
	status = run_filtered(&prog_errno, child_x32, NULL);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	              "x32 call under the filter: status 0x%x, wanted death by SIGSYS", status);
	status = run_filtered(&prog_notify, child_x32, NULL);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	              "x32 call under the notify filter: status 0x%x", status);
}
END_TEST
#endif

START_TEST(test_install_errors)
{
	struct sock_fprog empty = {0};
	pid_t pid;
	int status;

	/* Without no_new_privs an unprivileged caller gets EACCES; root passes. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int saved = errno = 1234;
		int rc = sbx_seccomp_install(&empty, false);
		_exit(rc == -EINVAL && errno == saved ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_exit(status, 0, "empty program refused, errno kept");

	sbx_seccomp_release(&empty);
	sbx_seccomp_release(NULL);
}
END_TEST

START_TEST(test_build_release)
{
	struct sbx_seccomp_opts opts = {.allow_unix_sockets = true, .notify = true};
	struct corral_error err = {0};
	struct sock_fprog prog = {0};

	ck_assert_int_eq(sbx_seccomp_build(&opts, &prog, &err), 0);
	ck_assert_ptr_nonnull(prog.filter);
	ck_assert_int_gt(prog.len, 0);
	ck_assert_int_le(prog.len, BPF_MAXINSNS);
	sbx_seccomp_release(&prog);
	ck_assert_ptr_null(prog.filter);
	ck_assert_int_eq(prog.len, 0);
	sbx_seccomp_release(&prog);
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("filter");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_build_release);
	tcase_add_test(tc, test_install_errors);
	tcase_add_loop_test(tc, test_denied_errno, 0, NCASES);
	tcase_add_loop_test(tc, test_denied_notify, 0, NCASES);
	tcase_add_test(tc, test_notify_sequence);
	tcase_add_test(tc, test_notify_short_buffer);
	tcase_add_test(tc, test_allowed);
	tcase_add_test(tc, test_precompiled_current);
	tcase_add_test(tc, test_unix_sockets_opt_in);
	tcase_add_test(tc, test_tiocsti_high_bits);
	tcase_add_test(tc, test_vsock_high_bits);
#if defined(__x86_64__)
	tcase_add_test(tc, test_i386_killed);
	tcase_add_test(tc, test_x32_killed);
#endif
	suite_add_tcase(s, tc);
	return s;
}

static void build_or_die(bool allow_unix, bool notify, struct sock_fprog *prog)
{
	struct sbx_seccomp_opts opts = {.allow_unix_sockets = allow_unix, .notify = notify};
	struct corral_error err = {0};

	if (sbx_seccomp_build(&opts, prog, &err) != 0) {
		fprintf(stderr, "sbx_seccomp_build: %s\n", err.message);
		exit(1);
	}
}

int main(void)
{
	SRunner *runner;
	int failed;

	/* Built once: every forked test inherits them. */
	build_or_die(false, false, &prog_errno);
	build_or_die(true, false, &prog_unix);
	build_or_die(false, true, &prog_notify);

	runner = srunner_create(seccomp_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	sbx_seccomp_release(&prog_errno);
	sbx_seccomp_release(&prog_unix);
	sbx_seccomp_release(&prog_notify);
	return failed == 0 ? 0 : 1;
}
