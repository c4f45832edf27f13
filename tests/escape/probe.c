/*
 * probe.c - the escape suite's hands: raw system calls from inside the
 * sandbox, and small host-side helpers (listeners, a pty) for the checks.
 *
 *   probe OP [ARGS...]
 *
 * Sandbox-side operations try one hostile action (or a few variants of it)
 * and print one line per attempt:
 *
 *   OP what: denied (EPERM)        the attempt failed: the safe outcome
 *   OP what: ALLOWED (detail)      the attempt worked: an escape
 *   OP what: note (detail)         information only, judged by the case
 *
 * Exit status: 0 when every attempt was denied, 3 when any was allowed,
 * 2 on a usage or set-up error (the attack could not even be tried, which
 * the suite reports as a failure, never as a pass). Some attempts are meant
 * to kill the probe (int80, x32: SIGSYS).
 *
 * The probe links only libc (statically when possible) and is built
 * without sanitizers, so it runs unchanged inside the sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_RAISE
#define PR_CAP_AMBIENT_RAISE 2
#endif

/* Mount API numbers and structures, in case libc headers lack them. */
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSPICK_CLOEXEC
#define FSPICK_CLOEXEC 0x00000001
#endif

struct probe_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* io_uring_setup's parameter block (only its size matters here). */
struct probe_uring_params {
	uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd;
	uint32_t resv[3];
	uint32_t sq_off[10];
	uint32_t cq_off[10];
};

struct probe_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Key serial numbers of the special keyrings. */
#define PROBE_KEY_SPEC_SESSION -3
#define PROBE_KEY_SPEC_USER    -4
#define PROBE_KEYCTL_GET_ID    0

static int allowed;    /* attempts that worked */
static const char *op; /* the operation, prefix of every line */

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/*
 * Report an attempt: @rc < 0 means it failed with errno. A macro, so that
 * errno is read only after the attempt ran (the order in which a call's
 * arguments are evaluated is unspecified): report(what, attempt, errno).
 */
#define report(what, attempt, unused) report_((what), (long)(attempt))

static void report_(const char *what, long rc)
{
	int e = errno;

	if (rc < 0) {
		printf("%s %s: denied (%s)\n", op, what, errname(e));
	} else {
		printf("%s %s: ALLOWED (returned %ld)\n", op, what, rc);
		allowed++;
	}
	fflush(stdout);
}

/*
 * Report an attempt the filter itself must refuse: only EPERM counts as
 * denied; any other error means the call reached the kernel, which then
 * judged the (possibly disguised) arguments itself.
 */
#define report_eperm(what, attempt, unused) report_eperm_((what), (long)(attempt))

static void report_eperm_(const char *what, long rc)
{
	int e = errno;

	if (rc < 0 && e == EPERM) {
		printf("%s %s: denied (EPERM)\n", op, what);
	} else if (rc < 0) {
		printf("%s %s: ALLOWED (reached the kernel: %s)\n", op, what, errname(e));
		allowed++;
	} else {
		printf("%s %s: ALLOWED (returned %ld)\n", op, what, rc);
		allowed++;
	}
	fflush(stdout);
}

static void allowedf(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void allowedf(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ALLOWED (", op, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	fflush(stdout);
	allowed++;
}

static void deniedf(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void deniedf(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: denied (", op, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	fflush(stdout);
}

static void note(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: note (", op, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	fflush(stdout);
}

static __attribute__((noreturn)) void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "probe %s: ", op ? op : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static long num_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || !*s || *end)
		die("not a number: %s", s);
	return v;
}

/* A child that runs @fn and exits with its result; returns its wait status. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return status;
}

/* ---- identity and inheritance ---- */

static int op_caps(int argc, char **argv)
{
	static const char *const keys[] = {
	    "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int seen = 0;

	if (!f)
		die("/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			char *v;
			if (strncmp(line, keys[i], n) != 0)
				continue;
			v = line + n;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			seen++;
			if (i < 5) {
				if (strtoull(v, NULL, 16) != 0)
					allowedf(keys[i], "%s", v);
				else
					deniedf(keys[i], "%s", v);
			} else if (i == 5) {
				if (strcmp(v, "1") != 0)
					allowedf("no_new_privs", "NoNewPrivs %s", v);
				else
					deniedf("no_new_privs", "NoNewPrivs 1");
			} else {
				if (strcmp(v, "2") != 0)
					allowedf("seccomp", "Seccomp %s, not filter mode", v);
				else
					deniedf("seccomp", "Seccomp 2");
			}
		}
	}
	fclose(f);
	if (seen != 7)
		die("/proc/self/status lacks some of the capability lines (%d of 7)", seen);
	return 0;
}

/* Try to get privilege back: capset, ambient raise, securebits, setuid. */
static int op_capset(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	memset(data, 0xff, sizeof(data));
	report("capset(all)", syscall(SYS_capset, &hdr, data), errno);
	report("prctl(PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN)",
	       prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0), errno);
	report("prctl(PR_SET_SECUREBITS, 0)", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), errno);
	report("prctl(PR_SET_NO_NEW_PRIVS, 0)", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), errno);
	if (getuid() != 0)
		report("setuid(0)", setuid(0), errno);
	return 0;
}

/* Who am I: real, effective, saved ids and effective capabilities. */
static int op_ids(int argc, char **argv)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	memset(data, 0, sizeof(data));
	syscall(SYS_capget, &hdr, data);
	if (e != r || s != r || ge != gr || gs != gr)
		allowedf("ids", "uid %u/%u/%u gid %u/%u/%u: privilege changed at exec", r, e, s, gr,
		         ge, gs);
	else
		deniedf("ids", "uid %u/%u/%u gid %u/%u/%u", r, e, s, gr, ge, gs);
	if (data[0].effective || data[1].effective || data[0].permitted || data[1].permitted)
		allowedf("caps", "effective %08x%08x permitted %08x%08x", data[1].effective,
		         data[0].effective, data[1].permitted, data[0].permitted);
	else
		deniedf("caps", "none");
	return 0;
}

static int op_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self;

	if (!d)
		die("/proc/self/fd: %s", strerror(errno));
	self = dirfd(d);
	while ((de = readdir(d))) {
		char path[64], target[512];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == self)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if (fd > 2)
			allowedf("fd", "%d -> %s", fd, target);
		else
			note("fd", "%d -> %s", fd, target);
	}
	closedir(d);
	return 0;
}

/* ---- other processes ---- */

static int attach(pid_t pid)
{
	long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	int e = errno;

	if (rc == 0)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	errno = e;
	return (int)rc;
}

static int op_ptrace(int argc, char **argv)
{
	pid_t pid;
	long rc;

	if (argc < 1)
		die("usage: ptrace PID");
	pid = (pid_t)num_arg(argv[0]);
	report("PTRACE_ATTACH", attach(pid), errno);
	rc = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
	report("PTRACE_SEIZE", rc, errno);
	if (rc == 0)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

static int trace_parent(void *arg)
{
	/* Exit 0: denied; 1: allowed. */
	return attach(getppid()) == 0;
}

static int trace_me(void *arg)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0;
}

static int op_ptrace_parent(int argc, char **argv)
{
	int status = in_child(trace_parent, NULL);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		deniedf("PTRACE_ATTACH to the parent", "child could not attach");
	else
		allowedf("PTRACE_ATTACH to the parent", "child status %#x", status);
	status = in_child(trace_me, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		deniedf("PTRACE_TRACEME", "the parent cannot become a tracer");
	else
		allowedf("PTRACE_TRACEME", "child status %#x", status);
	/* The sandbox's own parent, seen from pid 1, is outside: pid 0. */
	note("getppid", "%d", (int)getppid());
	return 0;
}

/* Write into or read from another process's memory. */
static int op_proc_mem(int argc, char **argv)
{
	char path[64], buf[16];
	struct iovec local = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct iovec remote;
	pid_t pid;
	int fd;

	if (argc < 1)
		die("usage: proc-mem PID");
	pid = (pid_t)num_arg(argv[0]);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	report("open(/proc/PID/mem, O_RDWR)", fd, errno);
	if (fd >= 0)
		close(fd);
	/* The address does not matter: the call is refused before it is read. */
	remote.iov_base = (void *)0x10000;
	remote.iov_len = sizeof(buf);
	report("process_vm_readv", syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0),
	       errno);
	report("process_vm_writev", syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0),
	       errno);
	report("pidfd_getfd", syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF ? 0 : -1,
	       errno);
	return 0;
}

/* Everything /proc offers about another process that needs ptrace rights:
 * its memory, environment, maps, open files, root and working directory. */
static int op_proc_peek(int argc, char **argv)
{
	static const char *const files[] = {"mem", "environ", "maps", "auxv", "stack"};
	char path[64], buf[4096];
	pid_t pid;

	if (argc < 1)
		die("usage: proc-peek PID");
	pid = (pid_t)num_arg(argv[0]);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char what[64];
		int fd;
		ssize_t n = -1;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		snprintf(what, sizeof(what), "read(/proc/PID/%s)", files[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			/* mem: read where the stack's strings usually are; a
			 * refusal shows up here even when open() worked. */
			n = read(fd, buf, sizeof(buf) - 1);
			if (n > 0) {
				for (ssize_t j = 0; j < n; j++)
					if (buf[j] == '\0')
						buf[j] = '\n';
				buf[n] = '\0';
				printf("%s\n", buf);
			}
			close(fd);
		}
		if (fd < 0)
			report(what, -1, errno);
		else if (n > 0)
			allowedf(what, "%zd bytes", n);
		else
			note(what, "opened, nothing read");
	}
	for (int i = 0; i < 2; i++) {
		const char *link = i ? "cwd" : "root";
		char what[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, link);
		snprintf(what, sizeof(what), "readlink(/proc/PID/%s)", link);
		n = readlink(path, buf, sizeof(buf) - 1);
		report(what, n, errno);
	}
	/* Listing the numbers is harmless; following one is not: pid 1's fds
	 * are corral's own (pipes, the seccomp listener). */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	{
		DIR *d = opendir(path);
		struct dirent *de;
		int listed = 0;

		if (!d) {
			report("opendir(/proc/PID/fd)", -1, errno);
			return 0;
		}
		while ((de = readdir(d))) {
			char fdpath[400], target[256];
			int fd;
			if (de->d_name[0] == '.')
				continue;
			listed++;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
			if (readlink(fdpath, target, sizeof(target) - 1) >= 0)
				allowedf("readlink(/proc/PID/fd/N)", "fd %s", de->d_name);
			fd = open(fdpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd >= 0) {
				allowedf("open(/proc/PID/fd/N)", "fd %s", de->d_name);
				close(fd);
			} else if (listed == 1) {
				report("open(/proc/PID/fd/N)", -1, errno);
			}
		}
		note("opendir(/proc/PID/fd)", "%d fds listed", listed);
		closedir(d);
	}
	return 0;
}

/* Send every signal to @pid; report which ones were accepted. */
static int op_signal_all(int argc, char **argv)
{
	pid_t pid;
	int sent = 0;

	if (argc < 1)
		die("usage: signal-all PID");
	pid = (pid_t)num_arg(argv[0]);
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (kill(pid, sig) == 0)
			sent++;
	}
	note("kill", "%d signals sent to %d", sent, (int)pid);
	usleep(200000);
	if (kill(pid, 0) == 0)
		deniedf("signals", "%d is still alive", (int)pid);
	else
		allowedf("signals", "%d is gone", (int)pid);
	return 0;
}

static int op_kill(int argc, char **argv)
{
	pid_t pid;
	long pidfd;

	if (argc < 1)
		die("usage: kill PID");
	pid = (pid_t)num_arg(argv[0]);
	report("kill(PID, 0)", kill(pid, 0), errno);
	report("kill(PID, SIGKILL)", kill(pid, SIGKILL), errno);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	report("pidfd_open", pidfd, errno);
	if (pidfd >= 0) {
		report("pidfd_send_signal",
		       syscall(SYS_pidfd_send_signal, (int)pidfd, SIGKILL, NULL, 0), errno);
		close((int)pidfd);
	}
	return 0;
}

/* ---- system call ABIs and the filter's argument checks ---- */

static int op_int80(int argc, char **argv)
{
#if defined(__x86_64__)
	long ret;

	/* i386 getpid is 20. */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	allowedf("int $0x80 getpid", "returned %ld", ret);
	return 0;
#else
	die("int80 exists only on x86_64");
#endif
}

static int op_x32(int argc, char **argv)
{
#if defined(__x86_64__)
	long ret;

	/* x32 getpid: the x86_64 number 39 with the x32 bit. */
	__asm__ volatile("syscall" : "=a"(ret) : "a"(39L | 0x40000000L) : "rcx", "r11", "memory");
	allowedf("x32 getpid", "returned %ld", ret);
	return 0;
#else
	die("x32 exists only on x86_64");
#endif
}

/* A clone() with @flags in a child process; returns 0 if it worked. */
static long try_clone(unsigned long flags)
{
	long rc = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);

	if (rc == 0)
		_exit(0);
	if (rc > 0)
		waitpid((pid_t)rc, NULL, 0);
	return rc < 0 ? -1 : 0;
}

static int op_userns(int argc, char **argv)
{
	struct probe_clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	long rc;

	report("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), errno);
	report("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS), errno);
	report("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET), errno);
	report("unshare(CLONE_NEWUSER|CLONE_NEWNS)", unshare(CLONE_NEWUSER | CLONE_NEWNS), errno);
	report("clone(CLONE_NEWUSER)", try_clone(CLONE_NEWUSER), errno);
	/* The kernel reads clone's flags as 32 bits: a high bit must not
	 * hide the namespace flag from the filter. */
	report("clone(1<<32|CLONE_NEWUSER)", try_clone((1UL << 32) | CLONE_NEWUSER), errno);
	rc = syscall(SYS_clone3, &ca, sizeof(ca));
	if (rc == 0)
		_exit(0);
	if (rc > 0)
		waitpid((pid_t)rc, NULL, 0);
	report("clone3(CLONE_NEWUSER)", rc, errno);
	return 0;
}

static int op_hibits(int argc, char **argv)
{
	char c = '#';

	/* CVE-2019-10063: a filter comparing 64 bits misses a 32-bit argument
	 * with junk in its upper half, which the kernel ignores. */
	report_eperm("ioctl(0, TIOCSTI|1<<32)", syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c),
	             errno);
	report_eperm("socket(1<<32|AF_VSOCK)",
	             syscall(SYS_socket, (1UL << 32) | AF_VSOCK, SOCK_STREAM, 0), errno);
	report_eperm("personality(1<<32|READ_IMPLIES_EXEC)",
	             syscall(SYS_personality, (1UL << 32) | READ_IMPLIES_EXEC) < 0 ? -1 : 0, errno);
	report_eperm("unshare(1<<32|CLONE_NEWUSER)",
	             syscall(SYS_unshare, (1UL << 32) | CLONE_NEWUSER), errno);
	/* personality() returns the old persona: look at the new one. */
	if (personality(0xffffffff) & READ_IMPLIES_EXEC)
		allowedf("personality now", "READ_IMPLIES_EXEC set");
	return 0;
}

static int op_personality(int argc, char **argv)
{
	static const struct {
		unsigned long value;
		const char *name;
	} personas[] = {
	    {READ_IMPLIES_EXEC, "READ_IMPLIES_EXEC"},
	    {ADDR_NO_RANDOMIZE, "ADDR_NO_RANDOMIZE"},
	    {PER_LINUX32, "PER_LINUX32"},
	    {PER_BSD, "PER_BSD"},
	};

	for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); i++) {
		int before = personality(0xffffffff), after;
		char what[64];
		long rc = syscall(SYS_personality, personas[i].value);
		int e = errno;

		after = personality(0xffffffff);
		snprintf(what, sizeof(what), "personality(%s)", personas[i].name);
		if (rc < 0 || after == before)
			deniedf(what, "%s", rc < 0 ? errname(e) : "unchanged");
		else
			allowedf(what, "persona %#x -> %#x", before, after);
		syscall(SYS_personality, 0);
	}
	return 0;
}

/* ---- kernel attack surface ---- */

static int op_io_uring(int argc, char **argv)
{
	struct probe_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	report("io_uring_setup", fd, errno);
	if (fd >= 0)
		close((int)fd);
	report("io_uring_enter",
	       syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0) < 0 && errno == EBADF ? 0 : -1,
	       errno);
	report("io_uring_register",
	       syscall(SYS_io_uring_register, -1, 0, NULL, 0) < 0 && errno == EBADF ? 0 : -1,
	       errno);
	return 0;
}

static int op_bpf(int argc, char **argv)
{
	union bpf_attr attr;
	struct bpf_insn prog[2] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	report("bpf(BPF_MAP_CREATE)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	report("bpf(BPF_PROG_LOAD)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	return 0;
}

static int op_perf(int argc, char **argv)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	report("perf_event_open(self)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	attr.exclude_kernel = 0;
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
	report("perf_event_open(all processes, cpu 0)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	return 0;
}

static int op_userfaultfd(int argc, char **argv)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);

	report("userfaultfd()", fd, errno);
	if (fd >= 0)
		close((int)fd);
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */);
	report("userfaultfd(UFFD_USER_MODE_ONLY)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	report("open(/dev/userfaultfd)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	return 0;
}

static int op_keyctl(int argc, char **argv)
{
	const char *desc = argc > 0 ? argv[0] : "corral-escape-probe";
	long rc;

	rc = syscall(SYS_add_key, "user", desc, "corral-escape", 13, PROBE_KEY_SPEC_USER);
	report("add_key(user keyring)", rc, errno);
	rc = syscall(SYS_add_key, "user", desc, "corral-escape", 13, PROBE_KEY_SPEC_SESSION);
	report("add_key(session keyring)", rc, errno);
	rc = syscall(SYS_keyctl, PROBE_KEYCTL_GET_ID, PROBE_KEY_SPEC_USER, 0);
	report("keyctl(GET_KEYRING_ID, user)", rc, errno);
	rc = syscall(SYS_request_key, "user", desc, NULL, 0);
	report("request_key", rc < 0 && errno == ENOKEY ? 0 : rc, errno);
	return 0;
}

static int op_module(int argc, char **argv)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	report("finit_module(/dev/null)", syscall(SYS_finit_module, fd, "", 0), errno);
	report("init_module(empty)", syscall(SYS_init_module, NULL, 0, ""), errno);
	/* A module name that does not exist: a call that got through would
	 * answer ENOENT, never unload anything. */
	report("delete_module", syscall(SYS_delete_module, "corral_escape_none", O_NONBLOCK),
	       errno);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int op_kernel_log(int argc, char **argv)
{
	static const char *const files[] = {"/dev/kmsg", "/proc/kmsg", "/proc/kcore"};
	char buf[256];

	report("syslog(READ_ALL)", klogctl(3, buf, sizeof(buf)), errno);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char what[64];
		int fd = open(files[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		snprintf(what, sizeof(what), "open(%s)", files[i]);
		report(what, fd, errno);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int op_sethostname(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "corral-escape";

	report("sethostname", sethostname(name, strlen(name)), errno);
	report("setdomainname", setdomainname(name, strlen(name)), errno);
	return 0;
}

static int op_mknod(int argc, char **argv)
{
	char path[4096];

	if (argc < 1)
		die("usage: mknod DIR");
	snprintf(path, sizeof(path), "%s/probe-mem", argv[0]);
	report("mknod(c 1:1, /dev/mem)", mknod(path, S_IFCHR | 0600, makedev(1, 1)), errno);
	snprintf(path, sizeof(path), "%s/probe-sda", argv[0]);
	report("mknod(b 8:0, a disk)", mknod(path, S_IFBLK | 0600, makedev(8, 0)), errno);
	return 0;
}

/* ---- the file system view ---- */

static int op_mount(int argc, char **argv)
{
	if (argc < 1)
		die("usage: mount TARGET");
	report("mount(tmpfs)", mount("tmpfs", argv[0], "tmpfs", 0, NULL), errno);
	report("mount(/, MS_BIND)", mount("/", argv[0], NULL, MS_BIND | MS_REC, NULL), errno);
	report("mount(proc)", mount("proc", argv[0], "proc", 0, NULL), errno);
	return 0;
}

static int op_umount(int argc, char **argv)
{
	if (argc < 1)
		die("usage: umount TARGET");
	report("umount2(MNT_DETACH)", umount2(argv[0], MNT_DETACH), errno);
	report("umount2(0)", umount2(argv[0], 0), errno);
	report("umount2(MNT_FORCE)", umount2(argv[0], MNT_FORCE), errno);
	return 0;
}

/* Can a file be created in @dir now? */
static void try_create(const char *dir, const char *what)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/probe-created", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	report(what, fd, errno);
	if (fd >= 0) {
		if (write(fd, "#!/bin/sh\n", 10) < 0)
			note(what, "write: %s", errname(errno));
		close(fd);
	}
}

static int op_remount(int argc, char **argv)
{
	if (argc < 1)
		die("usage: remount TARGET");
	report("mount(MS_REMOUNT|MS_BIND, rw)",
	       mount(NULL, argv[0], NULL, MS_REMOUNT | MS_BIND, NULL), errno);
	report("mount(MS_REMOUNT, rw)", mount(NULL, argv[0], NULL, MS_REMOUNT, NULL), errno);
	try_create(argv[0], "create a file after remounting");
	return 0;
}

static int op_mount_setattr(int argc, char **argv)
{
	struct probe_mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};

	if (argc < 1)
		die("usage: mount-setattr TARGET");
	report("mount_setattr(clear RDONLY)",
	       syscall(SYS_mount_setattr, AT_FDCWD, argv[0], 0, &attr, sizeof(attr)), errno);
	try_create(argv[0], "create a file after mount_setattr");
	return 0;
}

static int op_open_tree(int argc, char **argv)
{
	long fd;

	if (argc < 2)
		die("usage: open-tree SRC DST");
	fd = syscall(SYS_open_tree, AT_FDCWD, argv[0], OPEN_TREE_CLONE | O_CLOEXEC);
	report("open_tree(OPEN_TREE_CLONE)", fd, errno);
	/* With or without a clone, move_mount must be refused. */
	report("move_mount",
	       syscall(SYS_move_mount, (int)fd, "", AT_FDCWD, argv[1], MOVE_MOUNT_F_EMPTY_PATH),
	       errno);
	if (fd >= 0)
		close((int)fd);
	report("move_mount(path)", syscall(SYS_move_mount, AT_FDCWD, argv[0], AT_FDCWD, argv[1], 0),
	       errno);
	return 0;
}

static int op_fsopen(int argc, char **argv)
{
	long fd = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);

	report("fsopen(tmpfs)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	fd = syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC);
	report("fspick(/)", fd, errno);
	if (fd >= 0)
		close((int)fd);
	return 0;
}

static int op_pivot_root(int argc, char **argv)
{
	report("pivot_root(., .)", syscall(SYS_pivot_root, ".", "."), errno);
	if (argc > 0)
		report("pivot_root(DIR, DIR/old)", syscall(SYS_pivot_root, argv[0], argv[0]),
		       errno);
	return 0;
}

static int op_chroot(int argc, char **argv)
{
	int rc;

	if (argc < 1)
		die("usage: chroot DIR");
	rc = chroot(argv[0]);
	report("chroot", rc, errno);
	if (rc == 0) {
		/* The classic break-out: chroot deeper, then climb with "..". */
		for (int i = 0; i < 64; i++)
			if (chdir("..") < 0)
				break;
		report("chroot(.) after climbing", chroot("."), errno);
	}
	return 0;
}

static int op_mount_cgroup(int argc, char **argv)
{
	if (argc < 1)
		die("usage: mount-cgroup DIR");
	/* cgroup v1 with a release agent: CVE-2022-0492. */
	report("mount(cgroup v1, rdma)", mount("cgroup", argv[0], "cgroup", 0, "rdma"), errno);
	report("mount(cgroup v1, memory)", mount("cgroup", argv[0], "cgroup", 0, "memory"), errno);
	report("mount(cgroup2)", mount("cgroup2", argv[0], "cgroup2", 0, NULL), errno);
	return 0;
}

/* Name a file by handle (host side): prints "TYPE HEX". */
static int op_name_to_handle(int argc, char **argv)
{
	struct file_handle *fh;
	int mount_id;

	if (argc < 1)
		die("usage: name-to-handle PATH");
	fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
	if (!fh)
		die("out of memory");
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, argv[0], fh, &mount_id, 0) < 0)
		die("name_to_handle_at %s: %s", argv[0], strerror(errno));
	printf("%d ", fh->handle_type);
	for (unsigned i = 0; i < fh->handle_bytes; i++)
		printf("%02x", fh->f_handle[i]);
	printf("\n");
	free(fh);
	return 0;
}

static int op_open_by_handle(int argc, char **argv)
{
	struct file_handle *fh;
	const char *hex;
	size_t n;
	int mount_fd, fd, mid;
	char buf[256];

	if (argc < 3)
		die("usage: open-by-handle MOUNTDIR TYPE HEX");
	hex = argv[2];
	n = strlen(hex) / 2;
	fh = calloc(1, sizeof(*fh) + (n ? n : 1));
	if (!fh)
		die("out of memory");
	fh->handle_type = (int)num_arg(argv[1]);
	fh->handle_bytes = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			die("bad hex handle");
		fh->f_handle[i] = (unsigned char)v;
	}
	mount_fd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0)
		die("%s: %s", argv[0], strerror(errno));
	fd = open_by_handle_at(mount_fd, fh, O_RDONLY | O_CLOEXEC);
	report("open_by_handle_at(a file outside the view)", fd, errno);
	if (fd >= 0) {
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		buf[got > 0 ? got : 0] = '\0';
		printf("%s", buf);
		close(fd);
	}
	fh->handle_bytes = MAX_HANDLE_SZ;
	{
		struct file_handle *own = calloc(1, sizeof(*own) + MAX_HANDLE_SZ);
		if (!own)
			die("out of memory");
		own->handle_bytes = MAX_HANDLE_SZ;
		report("name_to_handle_at(.)", name_to_handle_at(AT_FDCWD, ".", own, &mid, 0),
		       errno);
		free(own);
	}
	free(fh);
	close(mount_fd);
	return 0;
}

/* Open @path for writing without O_TRUNC or O_CREAT (so no other right
 * than "write" is needed) and write nothing, or @text when given. */
static int op_write(int argc, char **argv)
{
	char what[4200];
	int fd;

	if (argc < 1)
		die("usage: write PATH [TEXT]");
	fd = open(argv[0], O_WRONLY | O_CLOEXEC);
	snprintf(what, sizeof(what), "open(%s, O_WRONLY)", argv[0]);
	report(what, fd, errno);
	if (fd >= 0 && argc > 1) {
		snprintf(what, sizeof(what), "write(%s)", argv[0]);
		report(what, write(fd, argv[1], strlen(argv[1])), errno);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Write zeros to @path until it fails or @max MiB are written. */
static int op_fill(int argc, char **argv)
{
	static char chunk[1 << 20];
	long max, mib = 0;
	int fd;

	if (argc < 2)
		die("usage: fill PATH MAXMIB");
	max = num_arg(argv[1]);
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", argv[0], strerror(errno));
	signal(SIGXFSZ, SIG_IGN);
	for (; mib < max; mib++) {
		size_t done = 0;
		while (done < sizeof(chunk)) {
			ssize_t n = write(fd, chunk + done, sizeof(chunk) - done);
			if (n < 0) {
				deniedf("fill", "%s after %ld MiB", errname(errno), mib);
				close(fd);
				return 0;
			}
			done += (size_t)n;
		}
	}
	allowedf("fill", "%ld MiB written without a limit", mib);
	close(fd);
	return 0;
}

/* ---- resources ---- */

static void hang_forever(void)
{
	for (;;)
		pause();
}

/* Stay alive; the marker in argv lets the host find the process. */
static int op_hang(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--print-pid") == 0) {
		printf("%d\n", (int)getpid());
		fflush(stdout);
	}
	hang_forever();
	return 0;
}

/*
 * A fork bomb that stops by itself at @max processes, so that a sandbox
 * that fails to contain it still cannot take the machine down. Every
 * process forks until fork fails; the first process reports.
 */
static int op_forkbomb(int argc, char **argv)
{
	struct shared {
		long count;
		int first_errno;
		int stop;
	} * s;
	long max, last = -1;
	int quiet = 0;

	if (argc < 1)
		die("usage: forkbomb MAX");
	max = num_arg(argv[0]);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(s, 0, sizeof(*s));
	fflush(stdout);
	for (int depth = 0; depth < 2; depth++) {
		pid_t pid = fork();
		if (pid == 0) {
			/* A bomb process: fork while the machine lets it. */
			for (;;) {
				pid_t p;
				if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED) ||
				    __atomic_load_n(&s->count, __ATOMIC_RELAXED) >= max)
					hang_forever();
				p = fork();
				if (p < 0) {
					int zero = 0;
					__atomic_compare_exchange_n(&s->first_errno, &zero, errno,
					                            false, __ATOMIC_RELAXED,
					                            __ATOMIC_RELAXED);
					usleep(10000);
					continue;
				}
				if (p > 0)
					__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
			}
		}
		if (pid > 0)
			__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	}
	/* Wait until the count stops growing for a second. */
	for (;;) {
		long now;
		sleep(1);
		now = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
		if (now == last || now >= max)
			break;
		last = now;
		if (++quiet > 60)
			break;
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	if (s->count >= max)
		allowedf("fork", "%ld processes, no limit reached", s->count);
	else if (s->first_errno)
		deniedf("fork", "%s after %ld processes", errname(s->first_errno), s->count);
	else
		allowedf("fork", "stopped at %ld processes without an error", s->count);
	/* Returning ends pid 1 when the probe is the command: the kernel then
	 * kills the whole bomb. Otherwise the sandbox's teardown must. */
	return 0;
}

/* Allocate and touch memory in 16 MiB steps up to @max MiB. */
static long eat_memory(long max)
{
	long mib = 0;

	for (; mib < max; mib += 16) {
		char *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		               -1, 0);
		if (p == MAP_FAILED)
			return -mib - 1;
		for (size_t i = 0; i < (16u << 20); i += 4096)
			p[i] = 1;
	}
	return mib;
}

static int op_membomb(int argc, char **argv)
{
	long max, got;

	if (argc < 2)
		die("usage: membomb MAXMIB PROCESSES");
	max = num_arg(argv[0]);
	if (num_arg(argv[1]) > 1) {
		/* Several processes, each eating up to @max; the total is
		 * reported by the children through a pipe. */
		long procs = num_arg(argv[1]), total = 0, failed = 0;
		int fds[2];
		if (pipe(fds) < 0)
			die("pipe: %s", strerror(errno));
		fflush(stdout);
		for (long i = 0; i < procs; i++) {
			pid_t pid = fork();
			if (pid == 0) {
				long r;
				close(fds[0]);
				r = eat_memory(max);
				if (write(fds[1], &r, sizeof(r)) < 0)
					_exit(1);
				/* Hold the memory until everyone is done. */
				sleep(3);
				_exit(0);
			}
			if (pid < 0)
				failed++;
		}
		close(fds[1]);
		for (;;) {
			long r;
			ssize_t n = read(fds[0], &r, sizeof(r));
			if (n != sizeof(r))
				break;
			if (r < 0) {
				failed++;
				r = -r - 1;
			}
			total += r;
		}
		while (wait(NULL) > 0)
			;
		printf("%s total: note (%ld MiB held at once by %ld processes, %ld stopped "
		       "early)\n",
		       op, total, procs, failed);
		return 0;
	}
	got = eat_memory(max);
	if (got < 0)
		deniedf("allocate", "ENOMEM after %ld MiB", -got - 1);
	else
		allowedf("allocate", "%ld MiB without a limit", got);
	return 0;
}

/* ---- network ---- */

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)num_arg(port));
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		die("bad IPv4 address: %s", ip);
	return 0;
}

/* connect() with a 2 s bound. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (poll(&pfd, 1, 2000) <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int op_connect(int argc, char **argv)
{
	struct sockaddr_in sa;
	int fd;

	if (argc < 2)
		die("usage: connect IP PORT");
	parse_addr(argv[0], argv[1], &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report("socket(AF_INET)", fd, errno);
		return 0;
	}
	report("connect(tcp)", connect_timeout(fd, (struct sockaddr *)&sa, sizeof(sa)), errno);
	close(fd);
	return 0;
}

static int op_udp(int argc, char **argv)
{
	static const char msg[] = "corral-escape-udp";
	struct sockaddr_in sa;
	int fd;

	if (argc < 2)
		die("usage: udp IP PORT");
	parse_addr(argv[0], argv[1], &sa);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report("socket(AF_INET, SOCK_DGRAM)", fd, errno);
		return 0;
	}
	report("sendto(udp)",
	       sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa, sizeof(sa)), errno);
	close(fd);
	return 0;
}

static int op_raw_socket(int argc, char **argv)
{
	static const char payload[] = "corral-escape-raw";
	struct sockaddr_in sa;
	int fd;

	if (argc < 2)
		die("usage: raw-socket IP PORT");
	parse_addr(argv[0], argv[1], &sa);
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	report("socket(AF_INET, SOCK_RAW, IPPROTO_UDP)", fd, errno);
	if (fd >= 0) {
		char pkt[sizeof(struct udphdr) + sizeof(payload)];
		struct udphdr *uh = (struct udphdr *)pkt;
		memset(pkt, 0, sizeof(pkt));
		uh->source = htons(40000);
		uh->dest = sa.sin_port;
		uh->len = htons((uint16_t)sizeof(pkt));
		memcpy(pkt + sizeof(*uh), payload, sizeof(payload));
		report("sendto(raw udp)",
		       sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)), errno);
		close(fd);
	}
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	report("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)", fd, errno);
	if (fd >= 0)
		close(fd);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0003 /* ETH_P_ALL */));
	report("socket(AF_PACKET, SOCK_RAW)", fd, errno);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int op_netifs(int argc, char **argv)
{
	FILE *f;
	char line[256];
	int n = 0;

	f = fopen("/proc/net/dev", "re");
	if (!f)
		die("/proc/net/dev: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *name = line;
		if (!colon || n++ > 1000)
			continue;
		*colon = '\0';
		name += strspn(name, " ");
		if (strcmp(name, "lo") == 0)
			note("interface", "lo");
		else
			allowedf("interface", "%s", name);
	}
	fclose(f);
	return 0;
}

static int op_vsock(int argc, char **argv)
{
	struct {
		unsigned short family;
		unsigned short reserved;
		unsigned int port;
		unsigned int cid;
		unsigned char zero[4];
	} addr = {.family = AF_VSOCK, .port = 1234, .cid = 2 /* the host */};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	report("socket(AF_VSOCK, SOCK_STREAM)", fd, errno);
	if (fd >= 0) {
		note("connect(host cid 2)", "%s",
		     connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? errname(errno)
		                                                             : "connected");
		close(fd);
	}
	fd = socket(AF_VSOCK, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	report("socket(AF_VSOCK, SOCK_DGRAM)", fd, errno);
	if (fd >= 0)
		close(fd);
	return 0;
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *name, bool abstract)
{
	size_t len = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len + 2 > sizeof(sun->sun_path))
		die("socket name too long: %s", name);
	if (abstract) {
		memcpy(sun->sun_path + 1, name, len);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	}
	memcpy(sun->sun_path, name, len + 1);
	return (socklen_t)sizeof(*sun);
}

/* Every way to reach a unix socket by name: socket() + connect/sendto, and
 * a socketpair's datagram end re-aimed with connect() or sendto(). */
static int unix_reach(const char *name, bool abstract)
{
	static const char msg[] = "corral-escape-unix";
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, name, abstract);
	int fd, sv[2];

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report("socket(AF_UNIX, SOCK_STREAM)", fd, errno);
	} else {
		report("connect(SOCK_STREAM)", connect(fd, (struct sockaddr *)&sun, len), errno);
		close(fd);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report("socket(AF_UNIX, SOCK_DGRAM)", fd, errno);
	} else {
		report("sendto(SOCK_DGRAM)",
		       sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sun, len), errno);
		close(fd);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		report("socket(AF_UNIX, SOCK_SEQPACKET)", fd, errno);
	} else {
		report("connect(SOCK_SEQPACKET)", connect(fd, (struct sockaddr *)&sun, len), errno);
		close(fd);
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		note("socketpair(AF_UNIX, SOCK_DGRAM)", "%s", errname(errno));
	} else {
		report("socketpair end: sendto(name)",
		       sendto(sv[0], msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sun, len), errno);
		report("socketpair end: connect(name)",
		       connect(sv[1], (struct sockaddr *)&sun, len), errno);
		close(sv[0]);
		close(sv[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		note("socketpair(AF_UNIX, SOCK_STREAM)", "%s", errname(errno));
	} else {
		report("socketpair stream end: connect(name)",
		       connect(sv[0], (struct sockaddr *)&sun, len), errno);
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}

static int op_unix_connect(int argc, char **argv)
{
	if (argc < 1)
		die("usage: unix-connect PATH");
	return unix_reach(argv[0], false);
}

static int op_abstract_connect(int argc, char **argv)
{
	if (argc < 1)
		die("usage: abstract-connect NAME");
	return unix_reach(argv[0], true);
}

/* ---- the terminal ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int op_tiocsti(int argc, char **argv)
{
	const char *hex;
	int fd, pushed = 0, e = 0;

	if (argc < 1)
		die("usage: tiocsti HEXTEXT");
	hex = argv[0];
	if (!isatty(0))
		die("fd 0 is not a terminal: the case must give the sandbox a pty");
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		char c = (char)(hexval(hex[i]) * 16 + hexval(hex[i + 1]));
		if (ioctl(0, TIOCSTI, &c) == 0)
			pushed++;
		else
			e = errno;
	}
	if (pushed)
		allowedf("ioctl(0, TIOCSTI)", "%d characters pushed", pushed);
	else
		deniedf("ioctl(0, TIOCSTI)", "%s", errname(e));
	{
		char c = '\n';
		report_eperm("ioctl(0, TIOCSTI|1<<32)",
		             syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c), errno);
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		deniedf("open(/dev/tty)", "%s", errname(errno));
	} else {
		char c = '\n';
		report("ioctl(/dev/tty, TIOCSTI)", ioctl(fd, TIOCSTI, &c), errno);
		close(fd);
	}
	report("ioctl(0, TIOCSCTTY, steal)", ioctl(0, TIOCSCTTY, 1), errno);
	return 0;
}

/* ---- host-side helpers ---- */

static void append_line(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

/* Write @text to @file atomically: readers never see half of it. */
static void publish(const char *file, const char *text)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, file) < 0)
		die("cannot write %s: %s", file, strerror(errno));
}

/* Accept (stream) or receive (datagram) forever, logging each to @log. */
static void serve(int fd, bool stream, const char *log)
{
	for (;;) {
		char buf[512], line[600];
		if (stream) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0) {
				if (errno == EINTR)
					continue;
				die("accept: %s", strerror(errno));
			}
			append_line(log, "connection\n");
			close(c);
		} else {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("recv: %s", strerror(errno));
			}
			buf[n] = '\0';
			snprintf(line, sizeof(line), "datagram %zd bytes\n", n);
			append_line(log, line);
		}
	}
}

static int op_listen_inet(int argc, char **argv, bool stream)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char port[32];
	int fd, one = 1;

	if (argc < 3)
		die("usage: listen-%s ADDR PORTFILE LOG", stream ? "tcp" : "udp");
	parse_addr(argv[0], "0", &sa);
	fd = socket(AF_INET, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (stream && listen(fd, 64) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("bind/listen %s: %s", argv[0], strerror(errno));
	append_line(argv[2], "");
	snprintf(port, sizeof(port), "%u\n", ntohs(sa.sin_port));
	publish(argv[1], port);
	serve(fd, stream, argv[2]);
	return 0;
}

static int op_listen_tcp(int argc, char **argv)
{
	return op_listen_inet(argc, argv, true);
}

static int op_listen_udp(int argc, char **argv)
{
	return op_listen_inet(argc, argv, false);
}

/* listen-unix PATH|@NAME READYFILE LOG stream|dgram */
static int op_listen_unix(int argc, char **argv)
{
	struct sockaddr_un sun;
	bool abstract, stream;
	socklen_t len;
	int fd;

	if (argc < 4)
		die("usage: listen-unix PATH|@NAME READYFILE LOG stream|dgram");
	abstract = argv[0][0] == '@';
	stream = strcmp(argv[3], "stream") == 0;
	len = unix_addr(&sun, argv[0] + (abstract ? 1 : 0), abstract);
	fd = socket(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || (stream && listen(fd, 64) < 0))
		die("bind/listen %s: %s", argv[0], strerror(errno));
	/* Anyone may connect: the worst case for the sandbox to hold. */
	if (!abstract)
		chmod(argv[0], 0777);
	append_line(argv[2], "");
	publish(argv[1], "ready\n");
	serve(fd, stream, argv[2]);
	return 0;
}

/*
 * pty-run OUTFILE QUEUEFILE -- CMD...: run CMD with a new pty as its
 * controlling terminal and stdio, copy what it prints to OUTFILE, and once
 * it has exited save to QUEUEFILE whatever waits in the terminal's input
 * queue (characters "typed" into it, i.e. injected with TIOCSTI). Exits
 * with CMD's status (128+N for a signal).
 */
static int op_pty_run(int argc, char **argv)
{
	struct termios tio;
	int master, slave, out, status = 0, i = 0;
	bool done = false;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--") != 0)
		die("usage: pty-run OUTFILE QUEUEFILE -- CMD...");
	if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
		die("openpty: %s", strerror(errno));
	/* Raw input: an injected character is readable at once, line or not. */
	if (tcgetattr(slave, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(slave, TCSANOW, &tio);
	}
	out = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die("%s: %s", argv[0], strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		close(master);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	/* Copy the output while the command runs. */
	while (!done) {
		struct pollfd pfd = {.fd = master, .events = POLLIN};
		char buf[4096];
		int pr = poll(&pfd, 1, 100);
		if (pr > 0 && (pfd.revents & POLLIN)) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n > 0 && write(out, buf, (size_t)n) < 0)
				die("write %s: %s", argv[0], strerror(errno));
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			done = true;
	}
	/* Drain the last output. */
	fcntl(master, F_SETFL, O_NONBLOCK);
	for (;;) {
		char buf[4096];
		ssize_t n = read(master, buf, sizeof(buf));
		if (n <= 0 || write(out, buf, (size_t)n) < 0)
			break;
	}
	close(out);
	/* What is queued on the terminal's input side now was injected. */
	fcntl(slave, F_SETFL, O_NONBLOCK);
	out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		die("%s: %s", argv[1], strerror(errno));
	for (i = 0; i < 100; i++) {
		char buf[4096];
		ssize_t n = read(slave, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (write(out, buf, (size_t)n) < 0)
			die("write %s: %s", argv[1], strerror(errno));
	}
	close(out);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} ops[] = {
    {"caps", op_caps, "capability sets, no_new_privs and seccomp mode"},
    {"capset", op_capset, "try to raise capabilities or drop no_new_privs"},
    {"ids", op_ids, "real/effective/saved ids and capabilities"},
    {"fds", op_fds, "open file descriptors (anything above 2 is a leak)"},
    {"ptrace", op_ptrace, "PID: attach to a process"},
    {"ptrace-parent", op_ptrace_parent, "a child attaches to its parent; TRACEME"},
    {"proc-mem", op_proc_mem, "PID: /proc/PID/mem, process_vm_readv/writev"},
    {"kill", op_kill, "PID: signal a process, pidfd_open"},
    {"proc-peek", op_proc_peek, "PID: /proc/PID/mem, environ, maps, fd, root, cwd"},
    {"signal-all", op_signal_all, "PID: send every signal; is it still alive?"},
    {"int80", op_int80, "i386 getpid through int $0x80"},
    {"x32", op_x32, "x32 getpid (39 | 0x40000000)"},
    {"userns", op_userns, "new namespaces: unshare, clone, clone3"},
    {"hibits", op_hibits, "32-bit arguments with the upper half set"},
    {"personality", op_personality, "personality flags"},
    {"io_uring", op_io_uring, "io_uring_setup/enter/register"},
    {"bpf", op_bpf, "BPF_MAP_CREATE, BPF_PROG_LOAD"},
    {"perf", op_perf, "perf_event_open"},
    {"userfaultfd", op_userfaultfd, "userfaultfd and /dev/userfaultfd"},
    {"keyctl", op_keyctl, "[DESC]: add_key, keyctl, request_key"},
    {"module", op_module, "init_module, finit_module, delete_module"},
    {"kernel-log", op_kernel_log, "syslog, /dev/kmsg, /proc/kmsg, /proc/kcore"},
    {"sethostname", op_sethostname, "[NAME]: sethostname, setdomainname"},
    {"mknod", op_mknod, "DIR: device nodes"},
    {"mount", op_mount, "TARGET: mount tmpfs, a bind of /, proc"},
    {"umount", op_umount, "TARGET: umount2"},
    {"remount", op_remount, "TARGET: remount read-write, then create a file"},
    {"mount-setattr", op_mount_setattr, "TARGET: clear MOUNT_ATTR_RDONLY"},
    {"open-tree", op_open_tree, "SRC DST: open_tree + move_mount"},
    {"fsopen", op_fsopen, "fsopen, fspick"},
    {"pivot-root", op_pivot_root, "[DIR]: pivot_root"},
    {"chroot", op_chroot, "DIR: chroot and the .. break-out"},
    {"mount-cgroup", op_mount_cgroup, "DIR: mount cgroup v1 / v2"},
    {"name-to-handle", op_name_to_handle, "PATH: print TYPE HEX (host side)"},
    {"open-by-handle", op_open_by_handle, "MOUNTDIR TYPE HEX: open_by_handle_at"},
    {"write", op_write, "PATH [TEXT]: open for writing (no O_TRUNC), write TEXT"},
    {"fill", op_fill, "PATH MAXMIB: write until the file system says no"},
    {"hang", op_hang, "MARK [--print-pid]: stay alive"},
    {"forkbomb", op_forkbomb, "MAX: fork until refused (stops at MAX)"},
    {"membomb", op_membomb, "MAXMIB PROCS: allocate until refused (PROCS at once)"},
    {"connect", op_connect, "IP PORT: TCP connect"},
    {"udp", op_udp, "IP PORT: send a datagram"},
    {"raw-socket", op_raw_socket, "IP PORT: raw IP and packet sockets"},
    {"netifs", op_netifs, "network interfaces (anything but lo)"},
    {"vsock", op_vsock, "AF_VSOCK sockets"},
    {"unix-connect", op_unix_connect, "PATH: reach a named unix socket"},
    {"abstract-connect", op_abstract_connect, "NAME: reach an abstract unix socket"},
    {"tiocsti", op_tiocsti, "HEXTEXT: push characters into the terminal on fd 0"},
    {"listen-tcp", op_listen_tcp, "ADDR PORTFILE LOG (host side)"},
    {"listen-udp", op_listen_udp, "ADDR PORTFILE LOG (host side)"},
    {"listen-unix", op_listen_unix, "PATH|@NAME READYFILE LOG stream|dgram (host side)"},
    {"pty-run", op_pty_run, "OUTFILE QUEUEFILE -- CMD... (host side)"},
};

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: probe OP [ARGS...]\n");
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			fprintf(stderr, "  %-16s %s\n", ops[i].name, ops[i].help);
		return 2;
	}
	op = argv[1];
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, op) != 0)
			continue;
		rc = ops[i].fn(argc - 2, argv + 2);
		fflush(stdout);
		if (rc)
			return rc;
		return allowed ? 3 : 0;
	}
	die("unknown operation (see probe --help)");
}
