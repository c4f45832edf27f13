/*
 * probe.c - what this machine offers the sandbox, found by trying it.
 *
 * Every mechanism is exercised in a forked child that reports one fixed-size
 * message through a pipe and exits (probe_run). The calling process only
 * reads files; it never unshares, mounts, installs a filter or restricts
 * itself, so probing cannot change the process that goes on to run tools.
 * Children die with their parent (PR_SET_PDEATHSIG) and are killed after
 * SBX_PROBE_TIMEOUT_MS, so a probe that hangs costs a timeout, not corral.
 */
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/* Syscall numbers newer than some libc headers; the same on every arch. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* CAP_SYS_ADMIN's bit in the CapEff mask of /proc/self/status. */
#define PROBE_CAP_SYS_ADMIN 21
/* Longest line of /proc/self/cgroup we look at; longer ones are skipped. */
#define PROBE_LINE_MAX 4096
/* How often to retry removing a probe cgroup whose last process just died. */
#define PROBE_RMDIR_TRIES   50
#define PROBE_RMDIR_WAIT_US 2000

static const char *const check_keys[SBX_CHECK__COUNT] = {
    [SBX_CHECK_KERNEL] = "kernel",
    [SBX_CHECK_PRIVILEGES] = "privileges",
    [SBX_CHECK_USERNS] = "userns",
    [SBX_CHECK_USERNS_UNPRIVILEGED] = "userns_unprivileged",
    [SBX_CHECK_SYSCTL_MAX_USERNS] = "sysctl_max_user_namespaces",
    [SBX_CHECK_SYSCTL_USERNS_CLONE] = "sysctl_unprivileged_userns_clone",
    [SBX_CHECK_SYSCTL_APPARMOR_USERNS] = "sysctl_apparmor_restrict_unprivileged_userns",
    [SBX_CHECK_NS_MOUNT] = "ns_mount",
    [SBX_CHECK_NS_PID] = "ns_pid",
    [SBX_CHECK_NS_NET] = "ns_net",
    [SBX_CHECK_NS_IPC] = "ns_ipc",
    [SBX_CHECK_NS_UTS] = "ns_uts",
    [SBX_CHECK_NS_CGROUP] = "ns_cgroup",
    [SBX_CHECK_TMPFS] = "tmpfs",
    [SBX_CHECK_BIND_MOUNT] = "bind_mount",
    [SBX_CHECK_PROC_MOUNT] = "proc_mount",
    [SBX_CHECK_MOUNT_SETATTR] = "mount_setattr",
    [SBX_CHECK_PIVOT_ROOT] = "pivot_root",
    [SBX_CHECK_SECCOMP] = "seccomp",
    [SBX_CHECK_SECCOMP_FILTER] = "seccomp_filter",
    [SBX_CHECK_SECCOMP_KILL_PROCESS] = "seccomp_kill_process",
    [SBX_CHECK_SECCOMP_USER_NOTIF] = "seccomp_user_notif",
    [SBX_CHECK_LANDLOCK] = "landlock",
    [SBX_CHECK_CGROUP2] = "cgroup2",
    [SBX_CHECK_CGROUP2_DELEGATION] = "cgroup2_delegation",
    [SBX_CHECK_CGROUP1] = "cgroup1",
    [SBX_CHECK_PIDFD_OPEN] = "pidfd_open",
    [SBX_CHECK_CLONE3_PIDFD] = "clone3_pidfd",
    [SBX_CHECK_PTRACE_SCOPE] = "ptrace_scope",
    [SBX_CHECK_LEGACY_TIOCSTI] = "legacy_tiocsti",
};

static const char *const check_titles[SBX_CHECK__COUNT] = {
    [SBX_CHECK_KERNEL] = "kernel",
    [SBX_CHECK_PRIVILEGES] = "privileges",
    [SBX_CHECK_USERNS] = "user namespaces",
    [SBX_CHECK_USERNS_UNPRIVILEGED] = "user namespaces, unprivileged",
    [SBX_CHECK_SYSCTL_MAX_USERNS] = "max_user_namespaces",
    [SBX_CHECK_SYSCTL_USERNS_CLONE] = "unprivileged_userns_clone",
    [SBX_CHECK_SYSCTL_APPARMOR_USERNS] = "AppArmor userns restriction",
    [SBX_CHECK_NS_MOUNT] = "mount namespace",
    [SBX_CHECK_NS_PID] = "pid namespace",
    [SBX_CHECK_NS_NET] = "network namespace",
    [SBX_CHECK_NS_IPC] = "ipc namespace",
    [SBX_CHECK_NS_UTS] = "uts namespace",
    [SBX_CHECK_NS_CGROUP] = "cgroup namespace",
    [SBX_CHECK_TMPFS] = "tmpfs mount",
    [SBX_CHECK_BIND_MOUNT] = "bind mount",
    [SBX_CHECK_PROC_MOUNT] = "/proc mount",
    [SBX_CHECK_MOUNT_SETATTR] = "mount_setattr",
    [SBX_CHECK_PIVOT_ROOT] = "pivot_root",
    [SBX_CHECK_SECCOMP] = "seccomp",
    [SBX_CHECK_SECCOMP_FILTER] = "seccomp filter",
    [SBX_CHECK_SECCOMP_KILL_PROCESS] = "seccomp kill-process action",
    [SBX_CHECK_SECCOMP_USER_NOTIF] = "seccomp user notification",
    [SBX_CHECK_LANDLOCK] = "Landlock",
    [SBX_CHECK_CGROUP2] = "cgroup v2",
    [SBX_CHECK_CGROUP2_DELEGATION] = "cgroup v2 delegation",
    [SBX_CHECK_CGROUP1] = "cgroup v1 (root fallback)",
    [SBX_CHECK_PIDFD_OPEN] = "pidfd_open",
    [SBX_CHECK_CLONE3_PIDFD] = "clone3 CLONE_PIDFD",
    [SBX_CHECK_PTRACE_SCOPE] = "Yama ptrace_scope",
    [SBX_CHECK_LEGACY_TIOCSTI] = "legacy TIOCSTI",
};

/*
 * What the sandbox needs. Landlock is required: the design enforces the
 * filesystem policy twice (mounts, then Landlock under them), and Landlock is
 * the layer that covers paths that do not exist yet and survives remounts;
 * without it the second layer is silently gone, which corral does not allow.
 * The cgroup namespace only hides the host's cgroup paths, so it is
 * recommended; cgroup limits have an rlimit fallback, so they are optional.
 */
static const int check_needs[SBX_CHECK__COUNT] = {
    [SBX_CHECK_KERNEL] = SBX_NEED_INFO,
    [SBX_CHECK_PRIVILEGES] = SBX_NEED_INFO,
    [SBX_CHECK_USERNS] = SBX_NEED_REQUIRED,
    [SBX_CHECK_USERNS_UNPRIVILEGED] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_SYSCTL_MAX_USERNS] = SBX_NEED_INFO,
    [SBX_CHECK_SYSCTL_USERNS_CLONE] = SBX_NEED_INFO,
    [SBX_CHECK_SYSCTL_APPARMOR_USERNS] = SBX_NEED_INFO,
    [SBX_CHECK_NS_MOUNT] = SBX_NEED_REQUIRED,
    [SBX_CHECK_NS_PID] = SBX_NEED_REQUIRED,
    [SBX_CHECK_NS_NET] = SBX_NEED_REQUIRED,
    [SBX_CHECK_NS_IPC] = SBX_NEED_REQUIRED,
    [SBX_CHECK_NS_UTS] = SBX_NEED_REQUIRED,
    [SBX_CHECK_NS_CGROUP] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_TMPFS] = SBX_NEED_REQUIRED,
    [SBX_CHECK_BIND_MOUNT] = SBX_NEED_REQUIRED,
    [SBX_CHECK_PROC_MOUNT] = SBX_NEED_REQUIRED,
    [SBX_CHECK_MOUNT_SETATTR] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_PIVOT_ROOT] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_SECCOMP] = SBX_NEED_REQUIRED,
    [SBX_CHECK_SECCOMP_FILTER] = SBX_NEED_REQUIRED,
    [SBX_CHECK_SECCOMP_KILL_PROCESS] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_SECCOMP_USER_NOTIF] = SBX_NEED_OPTIONAL,
    [SBX_CHECK_LANDLOCK] = SBX_NEED_REQUIRED,
    [SBX_CHECK_CGROUP2] = SBX_NEED_OPTIONAL,
    [SBX_CHECK_CGROUP2_DELEGATION] = SBX_NEED_OPTIONAL,
    [SBX_CHECK_CGROUP1] = SBX_NEED_OPTIONAL,
    [SBX_CHECK_PIDFD_OPEN] = SBX_NEED_RECOMMENDED,
    [SBX_CHECK_CLONE3_PIDFD] = SBX_NEED_OPTIONAL,
    [SBX_CHECK_PTRACE_SCOPE] = SBX_NEED_INFO,
    [SBX_CHECK_LEGACY_TIOCSTI] = SBX_NEED_INFO,
};

/* The cgroup controllers and limit files behind each sbx_limit_resource. */
static const char *const resource_names[SBX_RESOURCE__COUNT] = {"memory", "processes", "cpu"};
static const char *const cgroup_controllers[SBX_RESOURCE__COUNT] = {"memory", "pids", "cpu"};
/* Writing the default ("no limit") proves the limit file is writable. */
static const char *const cgroup2_files[SBX_RESOURCE__COUNT] = {"memory.max", "pids.max", "cpu.max"};
static const char *const cgroup2_values[SBX_RESOURCE__COUNT] = {"max", "max", "max"};
static const char *const cgroup1_files[SBX_RESOURCE__COUNT] = {"memory.limit_in_bytes", "pids.max",
                                                               "cpu.cfs_quota_us"};
static const char *const cgroup1_values[SBX_RESOURCE__COUNT] = {"-1", "max", "-1"};

const char *sbx_check_key(enum sbx_check_id id)
{
	return (unsigned)id < SBX_CHECK__COUNT ? check_keys[id] : "unknown";
}

const char *sbx_check_title(enum sbx_check_id id)
{
	return (unsigned)id < SBX_CHECK__COUNT ? check_titles[id] : "unknown";
}

const char *sbx_probe_status_name(int status)
{
	switch (status) {
	case SBX_PROBE_OK:
		return "ok";
	case SBX_PROBE_MISSING:
		return "missing";
	case SBX_PROBE_NA:
		return "n-a";
	}
	return "unknown";
}

const char *sbx_probe_need_name(int need)
{
	switch (need) {
	case SBX_NEED_REQUIRED:
		return "required";
	case SBX_NEED_RECOMMENDED:
		return "recommended";
	case SBX_NEED_OPTIONAL:
		return "optional";
	case SBX_NEED_INFO:
		return "info";
	}
	return "unknown";
}

const char *sbx_limit_mechanism_name(int mechanism)
{
	switch (mechanism) {
	case SBX_MECH_RLIMIT:
		return "rlimit";
	case SBX_MECH_CGROUP2:
		return "cgroup2";
	case SBX_MECH_CGROUP1:
		return "cgroup1";
	}
	return "unknown";
}

const char *sbx_limit_resource_name(int resource)
{
	return (unsigned)resource < SBX_RESOURCE__COUNT ? resource_names[resource] : "unknown";
}

bool sbx_features_ready(const struct sbx_features *f)
{
	for (int i = 0; i < SBX_CHECK__COUNT; i++)
		if (f->checks[i].need == SBX_NEED_REQUIRED && f->checks[i].status != SBX_PROBE_OK)
			return false;
	return true;
}

int sbx_probe_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static void check_set(struct sbx_check *c, int status, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_set(struct sbx_check *c, int status, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	c->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/* Append a printf-style remark to @c's detail, as far as it fits. */
static void check_append(struct sbx_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void check_append(struct sbx_check *c, const char *fmt, ...)
{
	size_t used = strlen(c->detail);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->detail + used, sizeof(c->detail) - used, fmt, ap);
	va_end(ap);
}

/* Read up to @size-1 bytes of @path into @buf, NUL-terminated. 0 or errno. */
static int read_text(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	while (got + 1 < size) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

/* The number in @path (a sysctl), or SBX_PROBE_ABSENT when unreadable. */
static long read_setting(const char *path)
{
	char buf[32], *end;
	long v;

	if (read_text(path, buf, sizeof(buf)) != 0)
		return SBX_PROBE_ABSENT;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return SBX_PROBE_ABSENT;
	return v;
}

/* Write @text to @path in one write(2), as /proc and cgroup files want. */
static int write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int e = 0, fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		e = errno;
	else if ((size_t)n != len)
		e = EIO;
	close(fd);
	return e;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is @word one of the @sep-separated words of @list? */
static bool word_in(const char *list, const char *word, char sep)
{
	size_t len = strlen(word);

	for (const char *p = list; *p;) {
		const char *end = strchr(p, sep);
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/*
 * The child side of one probe: the write end of the report pipe. A probe
 * function fills its message; probe_run sends it when the function returns.
 * A function that forks may instead send from the grandchild and _exit.
 */
struct probe_child {
	int fd;
};

typedef void probe_fn(const struct probe_child *pc, void *msg, const void *arg);

static bool probe_send(const struct probe_child *pc, const void *msg, size_t size)
{
	const char *p = msg;

	while (size > 0) {
		ssize_t n = write(pc->fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

/*
 * In a new child: die with the parent, so that no probe outlives corral. A
 * child whose parent already died is too late for the signal: exit. Pid 1 of
 * a new pid namespace sees a parent of 0 and passes @parent = 0.
 */
static void probe_child_setup(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(127);
}

/* Wait for @pid, retrying on EINTR. Returns the wait status, or -1. */
static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Describe a wait status for a detail string. */
static void describe_status(int status, char *buf, size_t size)
{
	if (status == -1)
		snprintf(buf, size, "lost track of it");
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * Run @fn(@arg) in a forked child and read its @size-byte message into
 * @msg. Returns 0 when the whole message arrived; 1 when the child failed,
 * hung or died first (@why says how; @msg is then partly garbage); or a
 * negative errno when no child could be started.
 */
static int probe_run(probe_fn *fn, const void *arg, void *msg, size_t size, char *why,
                     size_t why_size)
{
	pid_t parent = getpid(), pid;
	struct timespec start;
	bool timed_out = false;
	size_t got = 0;
	int fds[2], status, e;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		e = errno;
		snprintf(why, why_size, "pipe: %s", strerror(e));
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		snprintf(why, why_size, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		struct probe_child pc = {.fd = fds[1]};

		close(fds[0]);
		probe_child_setup(parent);
		fn(&pc, msg, arg);
		_exit(probe_send(&pc, msg, size) ? 0 : 1);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (got < size) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		long left = SBX_PROBE_TIMEOUT_MS - elapsed_ms(&start);
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			timed_out = true;
			break;
		}
		n = read(fds[0], (char *)msg + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (got < size)
		kill(pid, SIGKILL);
	status = wait_child(pid);
	if (got == size)
		return 0;
	if (timed_out) {
		snprintf(why, why_size, "the probe did not finish within %d ms",
		         SBX_PROBE_TIMEOUT_MS);
	} else {
		char how[64];

		describe_status(status, how, sizeof(how));
		snprintf(why, why_size, "the probe process was %s", how);
	}
	return 1;
}

/*
 * In a child: a remark for an ENOSYS from a syscall new in Linux @version.
 * Under a seccomp filter (a container's) ENOSYS may come from the filter,
 * not the kernel, so do not blame the kernel then.
 */
static const char *enosys_note(int e, const char *version)
{
	static char note[64];

	if (e != ENOSYS)
		return "";
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2)
		return " (from the kernel or the seccomp filter corral runs under)";
	snprintf(note, sizeof(note), " (needs Linux %s)", version);
	return note;
}

/* Mark @n checks starting at @c missing because their probe failed: @why. */
static void checks_failed(struct sbx_check *c, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		check_set(&c[i], SBX_PROBE_MISSING, 0, "could not probe: %s", why);
}

/*
 * In a child: create a user namespace together with @flags (named @what in
 * messages) and map root inside it to @uid/@gid outside, the one mapping any
 * user may write for itself (setgroups must be denied first). Returns 0, or
 * an errno with @c filled.
 */
static int userns_enter(unsigned long flags, const char *what, uid_t uid, gid_t gid,
                        struct sbx_check *c)
{
	char map[64];
	int e;

	if (unshare(CLONE_NEWUSER | (int)flags) < 0) {
		e = errno;
		check_set(c, SBX_PROBE_MISSING, e, "unshare(%s): %s", what, strerror(e));
		return e;
	}
	e = write_text("/proc/self/setgroups", "deny");
	if (e && e != ENOENT) {
		check_set(c, SBX_PROBE_MISSING, e, "writing /proc/self/setgroups: %s", strerror(e));
		return e;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	e = write_text("/proc/self/uid_map", map);
	if (e) {
		check_set(c, SBX_PROBE_MISSING, e, "writing /proc/self/uid_map: %s", strerror(e));
		return e;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	e = write_text("/proc/self/gid_map", map);
	if (e) {
		check_set(c, SBX_PROBE_MISSING, e, "writing /proc/self/gid_map: %s", strerror(e));
		return e;
	}
	return 0;
}

/*
 * In a child inside a new user+mount namespace: make every mount private
 * (so nothing propagates back to the host) and cover a scratch directory
 * with a tmpfs, the first step of building a sandbox root. The scratch
 * directory is only covered inside this namespace; the host never sees it.
 * Writes the directory to @base. Returns 0, or an errno with @c filled.
 */
static int scratch_tmpfs(char *base, size_t size, struct sbx_check *c)
{
	static const char *const candidates[] = {"/tmp", "/mnt", "/var/tmp", "/run", "/dev"};
	const char *dir = NULL;
	int e;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		e = errno;
		check_set(c, SBX_PROBE_MISSING, e, "making mounts private: %s", strerror(e));
		return e;
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !dir; i++)
		if (is_dir(candidates[i]))
			dir = candidates[i];
	if (!dir) {
		check_set(c, SBX_PROBE_MISSING, ENOENT,
		          "no directory to mount on (/tmp, /mnt, ...)");
		return ENOENT;
	}
	snprintf(base, size, "%s", dir);
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0) {
		e = errno;
		check_set(c, SBX_PROBE_MISSING, e, "mount -t tmpfs: %s", strerror(e));
		return e;
	}
	return 0;
}

/* ---- user namespaces ---- */

struct userns_arg {
	uid_t uid;
	gid_t gid;
	bool drop; /* become uid/gid first: the caller is root testing for others */
};

static void probe_userns(const struct probe_child *pc, void *msg, const void *varg)
{
	const struct userns_arg *arg = varg;
	struct sbx_check *c = msg;
	char base[PATH_MAX];

	(void)pc;
	if (arg->drop) {
		/*
		 * A process that changed its uid is not dumpable, so its
		 * /proc/self files stay root's and it could not write its own
		 * uid_map; a real user's process is dumpable, so restore that.
		 */
		if (setgroups(0, NULL) < 0 || setgid(arg->gid) < 0 || setuid(arg->uid) < 0) {
			int e = errno;
			check_set(c, SBX_PROBE_NA, e, "could not become uid %u to test: %s",
			          (unsigned)arg->uid, strerror(e));
			return;
		}
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	if (userns_enter(arg->drop ? CLONE_NEWNS : 0,
	                 arg->drop ? "CLONE_NEWUSER|CLONE_NEWNS" : "CLONE_NEWUSER", arg->uid,
	                 arg->gid, c) != 0)
		return;
	if (geteuid() != 0) {
		check_set(c, SBX_PROBE_MISSING, 0, "uid %u is not root in its new user namespace",
		          (unsigned)arg->uid);
		return;
	}
	if (!arg->drop) {
		check_set(c, SBX_PROBE_OK, 0,
		          "unshare(CLONE_NEWUSER) and a uid/gid map work for uid %u",
		          (unsigned)arg->uid);
		return;
	}
	/*
	 * AppArmor's restriction lets the namespace be created but takes the
	 * capabilities inside it away, so for other users also try to mount.
	 */
	if (scratch_tmpfs(base, sizeof(base), c) != 0) {
		check_append(c, " (as uid %u)", (unsigned)arg->uid);
		return;
	}
	check_set(c, SBX_PROBE_OK, 0, "uid %u can create a user namespace and mount in it",
	          (unsigned)arg->uid);
}

/* ---- each namespace together with a user namespace ---- */

struct ns_arg {
	int flag; /* CLONE_NEWxxx */
	const char *what;
	uid_t uid;
	gid_t gid;
};

static void probe_namespace(const struct probe_child *pc, void *msg, const void *varg)
{
	const struct ns_arg *arg = varg;
	struct sbx_check *c = msg;
	int e, status;
	pid_t pid;

	(void)pc;
	if (userns_enter((unsigned long)arg->flag, arg->what, arg->uid, arg->gid, c) != 0)
		return;
	/* Use each namespace a little, so "created" also means "works". */
	switch (arg->flag) {
	case CLONE_NEWNS:
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			e = errno;
			check_set(c, SBX_PROBE_MISSING, e, "making mounts private: %s",
			          strerror(e));
			return;
		}
		break;
	case CLONE_NEWPID:
		pid = fork();
		if (pid < 0) {
			e = errno;
			check_set(c, SBX_PROBE_MISSING, e, "fork into the new pid namespace: %s",
			          strerror(e));
			return;
		}
		if (pid == 0)
			_exit(getpid() == 1 ? 0 : 1);
		status = wait_child(pid);
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			check_set(c, SBX_PROBE_MISSING, 0,
			          "the first child is not pid 1 of the new namespace");
			return;
		}
		break;
	case CLONE_NEWUTS:
		if (sethostname("corral-probe", strlen("corral-probe")) < 0) {
			e = errno;
			check_set(c, SBX_PROBE_MISSING, e, "sethostname in it: %s", strerror(e));
			return;
		}
		break;
	}
	check_set(c, SBX_PROBE_OK, 0, "unshare(%s) works", arg->what);
}

/* ---- the filesystem view: tmpfs, bind, /proc, mount_setattr, pivot_root ---- */

struct fs_msg {
	struct sbx_check tmpfs, bind, proc, setattr, pivot;
};

#define FS_MSG_CHECKS (sizeof(struct fs_msg) / sizeof(struct sbx_check))

/* Mark every check of @m from @first on as not tried because of @c. */
static void fs_not_tried(struct fs_msg *m, struct sbx_check *first, const struct sbx_check *c)
{
	struct sbx_check *all = &m->tmpfs;

	for (size_t i = (size_t)(first - all); i < FS_MSG_CHECKS; i++)
		if (&all[i] != c)
			check_set(&all[i], SBX_PROBE_MISSING, c->sys_errno, "not tried: %s",
			          c->detail);
}

/* As pid 1 of a new user+mount+pid namespace: build a small sandbox root. */
static void fs_build(struct fs_msg *m)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	char base[PATH_MAX], proc[PATH_MAX + 8], bind[PATH_MAX + 8], self[PATH_MAX + 16];
	char link[16];
	const char *src = is_dir("/usr") ? "/usr" : "/";
	struct statvfs sv;
	ssize_t n;
	int e;

	if (scratch_tmpfs(base, sizeof(base), &m->tmpfs) != 0) {
		fs_not_tried(m, &m->bind, &m->tmpfs);
		return;
	}
	check_set(&m->tmpfs, SBX_PROBE_OK, 0, "mounted a tmpfs in a new user+mount namespace");

	snprintf(proc, sizeof(proc), "%s/proc", base);
	snprintf(self, sizeof(self), "%s/self", proc);
	if (mkdir(proc, 0755) < 0 ||
	    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		e = errno;
		check_set(&m->proc, SBX_PROBE_MISSING, e, "mount -t proc: %s", strerror(e));
	} else if ((n = readlink(self, link, sizeof(link) - 1)) != 1 || link[0] != '1') {
		check_set(&m->proc, SBX_PROBE_MISSING, 0,
		          "the new /proc does not show the new pid namespace");
	} else {
		check_set(&m->proc, SBX_PROBE_OK, 0,
		          "mounted a fresh /proc as pid 1 of a new pid namespace");
	}

	snprintf(bind, sizeof(bind), "%s/bind", base);
	if (mkdir(bind, 0755) < 0 || mount(src, bind, NULL, MS_BIND | MS_REC, NULL) < 0) {
		e = errno;
		check_set(&m->bind, SBX_PROBE_MISSING, e, "bind mount of %s: %s", src, strerror(e));
		check_set(&m->setattr, SBX_PROBE_MISSING, 0, "not tried: the bind mount failed");
	} else {
		check_set(&m->bind, SBX_PROBE_OK, 0, "bind-mounted %s recursively", src);
		if (syscall(SYS_mount_setattr, AT_FDCWD, bind, AT_RECURSIVE, &attr, sizeof(attr)) <
		    0) {
			e = errno;
			check_set(&m->setattr, SBX_PROBE_MISSING, e, "mount_setattr: %s%s",
			          strerror(e), enosys_note(e, "5.12"));
		} else if (statvfs(bind, &sv) < 0 || !(sv.f_flag & ST_RDONLY)) {
			check_set(&m->setattr, SBX_PROBE_MISSING, 0,
			          "MOUNT_ATTR_RDONLY did not make the bind mount read-only");
		} else {
			check_set(&m->setattr, SBX_PROBE_OK, 0,
			          "made a bind mount read-only recursively (MOUNT_ATTR_RDONLY)");
		}
	}

	/* Last, since it changes this process's root. */
	if (chdir(base) < 0 || syscall(SYS_pivot_root, ".", ".") < 0) {
		e = errno;
		check_set(&m->pivot, SBX_PROBE_MISSING, e, "pivot_root: %s", strerror(e));
	} else if (umount2(".", MNT_DETACH) < 0) {
		e = errno;
		check_set(&m->pivot, SBX_PROBE_MISSING, e, "detaching the old root: %s",
		          strerror(e));
	} else {
		check_set(&m->pivot, SBX_PROBE_OK, 0,
		          "switched to a tmpfs root and detached the old one");
	}
}

static void probe_fs(const struct probe_child *pc, void *msg, const void *varg)
{
	const struct userns_arg *arg = varg;
	struct fs_msg *m = msg;
	char how[64];
	int status;
	pid_t pid;

	memset(m, 0, sizeof(*m));
	if (userns_enter(CLONE_NEWNS | CLONE_NEWPID, "CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID",
	                 arg->uid, arg->gid, &m->tmpfs) != 0) {
		fs_not_tried(m, &m->tmpfs, &m->tmpfs);
		return;
	}
	/* Mounting /proc for a pid namespace takes a process inside it. */
	pid = fork();
	if (pid < 0) {
		int e = errno;
		check_set(&m->tmpfs, SBX_PROBE_MISSING, e, "fork into a new pid namespace: %s",
		          strerror(e));
		fs_not_tried(m, &m->tmpfs, &m->tmpfs);
		return;
	}
	if (pid == 0) {
		probe_child_setup(0);
		fs_build(m);
		_exit(probe_send(pc, m, sizeof(*m)) ? 0 : 1);
	}
	status = wait_child(pid);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		_exit(0); /* pid 1 of the namespace sent the message */
	describe_status(status, how, sizeof(how));
	check_set(&m->tmpfs, SBX_PROBE_MISSING, 0, "pid 1 of a new pid namespace was %s", how);
	fs_not_tried(m, &m->tmpfs, &m->tmpfs);
}

/* ---- seccomp ---- */

struct seccomp_msg {
	struct sbx_check mode, filter, kill, notif;
	int seccomp_mode;
};

static long seccomp_call(unsigned op, unsigned flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

static void probe_seccomp(const struct probe_child *pc, void *msg, const void *arg)
{
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {.len = 1, .filter = allow};
	struct seccomp_notif_sizes sizes;
	struct seccomp_msg *m = msg;
	uint32_t action;
	bool notif;
	int e;

	(void)pc;
	(void)arg;
	memset(m, 0, sizeof(*m));
	m->seccomp_mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (m->seccomp_mode < 0) {
		e = errno;
		check_set(&m->mode, SBX_PROBE_MISSING, e, "PR_GET_SECCOMP: %s%s", strerror(e),
		          e == EINVAL ? " (kernel built without CONFIG_SECCOMP)" : "");
	} else if (m->seccomp_mode == 0) {
		check_set(&m->mode, SBX_PROBE_OK, 0, "available; corral runs under no filter");
	} else {
		check_set(&m->mode, SBX_PROBE_OK, 0,
		          "available; corral already runs under a seccomp filter (mode %d)",
		          m->seccomp_mode);
	}

	action = SECCOMP_RET_KILL_PROCESS;
	if (seccomp_call(SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
		e = errno;
		check_set(&m->kill, SBX_PROBE_MISSING, e, "SECCOMP_RET_KILL_PROCESS: %s",
		          strerror(e));
	} else {
		check_set(&m->kill, SBX_PROBE_OK, 0, "SECCOMP_RET_KILL_PROCESS available");
	}

	action = SECCOMP_RET_USER_NOTIF;
	notif = false;
	if (seccomp_call(SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
		e = errno;
		check_set(&m->notif, SBX_PROBE_MISSING, e, "SECCOMP_RET_USER_NOTIF: %s",
		          strerror(e));
	} else if (seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		e = errno;
		check_set(&m->notif, SBX_PROBE_MISSING, e, "SECCOMP_GET_NOTIF_SIZES: %s",
		          strerror(e));
	} else {
		notif = true;
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		e = errno;
		check_set(&m->filter, SBX_PROBE_MISSING, e, "PR_SET_NO_NEW_PRIVS: %s", strerror(e));
		if (notif)
			check_set(&m->notif, SBX_PROBE_MISSING, e, "not tried: no filter");
		return;
	}
	if (seccomp_call(SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		e = errno;
		check_set(&m->filter, SBX_PROBE_MISSING, e, "seccomp(SECCOMP_SET_MODE_FILTER): %s",
		          strerror(e));
	} else if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2) {
		check_set(&m->filter, SBX_PROBE_MISSING, 0,
		          "a filter was accepted but is not in force");
	} else {
		check_set(&m->filter, SBX_PROBE_OK, 0, "installed a filter after no_new_privs");
	}
	if (!notif)
		return;
	/* A second, stacked filter that hands out a notification fd. */
	e = (int)seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (e < 0) {
		e = errno;
		check_set(&m->notif, SBX_PROBE_MISSING, e, "SECCOMP_FILTER_FLAG_NEW_LISTENER: %s",
		          strerror(e));
	} else {
		close(e);
		check_set(&m->notif, SBX_PROBE_OK, 0, "installed a filter with a listener fd");
	}
}

/* ---- Landlock ---- */

struct landlock_msg {
	struct sbx_check check;
	int abi;
	int abi_errno;
};

static void probe_landlock(const struct probe_child *pc, void *msg, const void *arg)
{
	struct landlock_ruleset_attr attr = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_DIR};
	struct landlock_msg *m = msg;
	int fd, e;

	(void)pc;
	(void)arg;
	memset(m, 0, sizeof(*m));
	errno = 0;
	m->abi = sbx_probe_landlock_abi();
	m->abi_errno = m->abi > 0 ? 0 : errno;
	if (m->abi <= 0) {
		e = m->abi_errno;
		if (e == ENOSYS && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 2)
			check_set(&m->check, SBX_PROBE_MISSING, e,
			          "landlock_create_ruleset: ENOSYS, from the kernel or the seccomp "
			          "filter corral runs under");
		else if (e == ENOSYS)
			check_set(&m->check, SBX_PROBE_MISSING, e,
			          "not built into this kernel (ENOSYS: needs Linux >= 5.13 with "
			          "CONFIG_SECURITY_LANDLOCK)");
		else if (e == EOPNOTSUPP)
			check_set(&m->check, SBX_PROBE_MISSING, e,
			          "built in but disabled at boot (EOPNOTSUPP: landlock is not "
			          "in the lsm= list)");
		else
			check_set(&m->check, SBX_PROBE_MISSING, e, "landlock_create_ruleset: %s",
			          strerror(e));
		return;
	}
	/* Prove enforcement: a ruleset that handles READ_DIR and allows nothing. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		e = errno;
		check_set(&m->check, SBX_PROBE_MISSING, e, "ABI %d, but PR_SET_NO_NEW_PRIVS: %s",
		          m->abi, strerror(e));
		return;
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		e = errno;
		check_set(&m->check, SBX_PROBE_MISSING, e, "ABI %d, but restricting failed: %s",
		          m->abi, strerror(e));
		return;
	}
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES) {
		if (fd >= 0)
			close(fd);
		check_set(&m->check, SBX_PROBE_MISSING, 0,
		          "ABI %d, but a test ruleset did not stop reading /", m->abi);
		return;
	}
	check_set(&m->check, SBX_PROBE_OK, 0, "ABI %d; a test ruleset was enforced", m->abi);
}

/* ---- cgroups ---- */

/* Per controller, what the cgroup probe found. */
enum cgroup_state {
	CGROUP_ABSENT = 0,  /* not available at this level / hierarchy not mounted */
	CGROUP_NOT_ENABLED, /* v2: available, but not enabled for child cgroups */
	CGROUP_FAILED,      /* enabled, but creating, limiting or joining failed */
	CGROUP_USABLE,      /* a child cgroup took a limit and a process */
};

struct cgroup_arg {
	bool v2;
	char dir[SBX_RESOURCE__COUNT][SBX_PROBE_PATH_MAX]; /* parent of the probe cgroup */
};

struct cgroup_msg {
	int state[SBX_RESOURCE__COUNT];
	int sys_errno[SBX_RESOURCE__COUNT];
	char step[SBX_RESOURCE__COUNT][32]; /* what failed, for CGROUP_FAILED */
	char controllers[96];               /* v2: cgroup.controllers of dir */
	bool writable;                      /* v2: dir is writable */
};

/*
 * In a child: create "corral-probe-PID" under @dir, write @value to @file in
 * it, move a short-lived grandchild into it, and remove it again. Returns 0,
 * or an errno with the failing step in @step.
 */
static int cgroup_try(const char *dir, const char *file, const char *value, char *step,
                      size_t step_size)
{
	char probe[PATH_MAX], path[PATH_MAX + 32];
	int e = 0, status;
	pid_t pid;

	if (snprintf(probe, sizeof(probe), "%s/corral-probe-%d", dir, (int)getpid()) >=
	    (int)sizeof(probe)) {
		snprintf(step, step_size, "path");
		return ENAMETOOLONG;
	}
	if (mkdir(probe, 0755) < 0) {
		snprintf(step, step_size, "mkdir");
		return errno;
	}
	snprintf(path, sizeof(path), "%s/%s", probe, file);
	e = write_text(path, value);
	if (e) {
		snprintf(step, step_size, "writing %s", file);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", probe);
	pid = fork();
	if (pid < 0) {
		e = errno;
		snprintf(step, step_size, "fork");
		goto out;
	}
	if (pid == 0) {
		char self[32];

		snprintf(self, sizeof(self), "%d", (int)getpid());
		_exit(write_text(path, self) & 0xff);
	}
	status = wait_child(pid);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		e = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
		snprintf(step, step_size, "moving a process in");
	}
out:
	/* The grandchild is reaped, but the cgroup may take a moment to empty. */
	for (int i = 0; i < PROBE_RMDIR_TRIES && rmdir(probe) < 0 && errno == EBUSY; i++)
		usleep(PROBE_RMDIR_WAIT_US);
	return e;
}

static void probe_cgroup(const struct probe_child *pc, void *msg, const void *varg)
{
	const struct cgroup_arg *arg = varg;
	struct cgroup_msg *m = msg;
	char path[PATH_MAX + 32], subtree[256] = "";

	(void)pc;
	memset(m, 0, sizeof(*m));
	if (arg->v2) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", arg->dir[0]);
		if (read_text(path, m->controllers, sizeof(m->controllers)) != 0)
			m->controllers[0] = '\0';
		m->controllers[strcspn(m->controllers, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", arg->dir[0]);
		if (read_text(path, subtree, sizeof(subtree)) != 0)
			subtree[0] = '\0';
		m->writable = access(arg->dir[0], W_OK) == 0;
	}
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
		const char *file = arg->v2 ? cgroup2_files[r] : cgroup1_files[r];
		const char *value = arg->v2 ? cgroup2_values[r] : cgroup1_values[r];
		int e;

		if (!arg->dir[r][0])
			continue;
		if (arg->v2 && !word_in(m->controllers, cgroup_controllers[r], ' '))
			continue;
		if (arg->v2 && !word_in(subtree, cgroup_controllers[r], ' ')) {
			m->state[r] = CGROUP_NOT_ENABLED;
			continue;
		}
		e = cgroup_try(arg->dir[r], file, value, m->step[r], sizeof(m->step[r]));
		m->state[r] = e ? CGROUP_FAILED : CGROUP_USABLE;
		m->sys_errno[r] = e;
	}
}

/* ---- process handles ---- */

struct pidfd_msg {
	struct sbx_check open, clone3;
};

/* The first version of struct clone_args (Linux 5.3), all clone3 needs here. */
struct probe_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

static void probe_pidfd(const struct probe_child *pc, void *msg, const void *arg)
{
	struct pidfd_msg *m = msg;
	int fd = -1, e;
	struct probe_clone_args args = {
	    .flags = CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)&fd,
	    .exit_signal = SIGCHLD,
	};
	long pid;

	(void)pc;
	(void)arg;
	memset(m, 0, sizeof(*m));
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0) {
		e = errno;
		check_set(&m->open, SBX_PROBE_MISSING, e, "pidfd_open: %s%s", strerror(e),
		          enosys_note(e, "5.3"));
	} else {
		close(fd);
		check_set(&m->open, SBX_PROBE_OK, 0, "available");
	}
	fd = -1;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		e = errno;
		check_set(&m->clone3, SBX_PROBE_MISSING, e, "clone3: %s%s", strerror(e),
		          enosys_note(e, "5.3"));
		return;
	}
	wait_child((pid_t)pid);
	if (fd < 0) {
		check_set(&m->clone3, SBX_PROBE_MISSING, 0, "clone3 returned no pidfd");
		return;
	}
	close(fd);
	check_set(&m->clone3, SBX_PROBE_OK, 0, "available");
}

/* ---- facts read from files in the calling process ---- */

/* Undo the octal escapes (\040 for space) of /proc/self/mountinfo, in place. */
static void mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* What the probe needs from /proc/self/mountinfo and /proc/self/cgroup. */
struct mount_scan {
	char cg2_mount[SBX_PROBE_PATH_MAX], cg2_root[SBX_PROBE_PATH_MAX];
	char cg1_mount[SBX_RESOURCE__COUNT][SBX_PROBE_PATH_MAX],
	    cg1_root[SBX_RESOURCE__COUNT][SBX_PROBE_PATH_MAX];
	char cg2_path[SBX_PROBE_PATH_MAX];                      /* from the "0::" line */
	char cg1_path[SBX_RESOURCE__COUNT][SBX_PROBE_PATH_MAX]; /* from the v1 lines */
	bool cg1_any; /* memory, pids or cpu is mounted as cgroup v1 */
	char proc_overmount[SBX_PROBE_PATH_MAX];
};

static void scan_mount(struct mount_scan *s, char *line)
{
	char *save = NULL, *root = NULL, *point = NULL, *fstype = NULL, *opts = NULL;
	int field = 0;

	for (char *tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 3) {
			root = tok;
		} else if (field == 4) {
			point = tok;
		} else if (field >= 6 && strcmp(tok, "-") == 0) {
			fstype = strtok_r(NULL, " \n", &save);
			if (fstype && strtok_r(NULL, " \n", &save))
				opts = strtok_r(NULL, " \n", &save);
			break;
		}
	}
	if (!root || !point || !fstype || !opts)
		return;
	mountinfo_unescape(root);
	mountinfo_unescape(point);
	/* binfmt_misc sits on an always-empty proc directory; the kernel allows it. */
	if (strncmp(point, "/proc/", 6) == 0 && strcmp(point, "/proc/sys/fs/binfmt_misc") != 0 &&
	    !s->proc_overmount[0])
		snprintf(s->proc_overmount, sizeof(s->proc_overmount), "%s", point);
	/* A cgroup path that does not fit is skipped, never truncated. */
	if (strlen(point) >= SBX_PROBE_PATH_MAX || strlen(root) >= SBX_PROBE_PATH_MAX)
		return;
	if (strcmp(fstype, "cgroup2") == 0 && !s->cg2_mount[0]) {
		snprintf(s->cg2_mount, sizeof(s->cg2_mount), "%s", point);
		snprintf(s->cg2_root, sizeof(s->cg2_root), "%s", root);
	} else if (strcmp(fstype, "cgroup") == 0) {
		for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
			if (s->cg1_mount[r][0] || !word_in(opts, cgroup_controllers[r], ','))
				continue;
			s->cg1_any = true;
			snprintf(s->cg1_mount[r], sizeof(s->cg1_mount[r]), "%s", point);
			snprintf(s->cg1_root[r], sizeof(s->cg1_root[r]), "%s", root);
		}
	}
}

static void scan_cgroup_line(struct mount_scan *s, char *line)
{
	char *ctrls = strchr(line, ':'), *path;

	if (!ctrls)
		return;
	*ctrls++ = '\0';
	path = strchr(ctrls, ':');
	if (!path)
		return;
	*path++ = '\0';
	path[strcspn(path, "\n")] = '\0';
	if (strlen(path) >= SBX_PROBE_PATH_MAX)
		return;
	if (strcmp(line, "0") == 0 && !ctrls[0]) {
		snprintf(s->cg2_path, sizeof(s->cg2_path), "%s", path);
		return;
	}
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++)
		if (word_in(ctrls, cgroup_controllers[r], ','))
			snprintf(s->cg1_path[r], sizeof(s->cg1_path[r]), "%s", path);
}

static void scan_file(struct mount_scan *s, const char *path,
                      void (*fn)(struct mount_scan *, char *))
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!fp)
		return;
	while (getline(&line, &cap, fp) > 0)
		if (strlen(line) < PROBE_LINE_MAX)
			fn(s, line);
	free(line);
	fclose(fp);
}

/*
 * The directory of cgroup @path (as /proc/self/cgroup shows it) in a
 * hierarchy mounted at @mount from @root. False when it is not under the
 * mount (a cgroup namespace or a bind of another subtree) or too long.
 */
static bool cgroup_dir(char *out, size_t size, const char *mount, const char *root,
                       const char *path)
{
	size_t len = strlen(root);
	const char *rel = path;

	if (!mount[0] || path[0] != '/')
		return false;
	if (strcmp(root, "/") != 0) {
		if (strncmp(path, root, len) != 0 || (path[len] && path[len] != '/'))
			return false;
		rel = path + len;
	}
	if (strcmp(rel, "/") == 0)
		rel = "";
	return snprintf(out, size, "%s%s", mount, rel) < (int)size;
}

/* Does this process run in the initial user namespace (identity uid map)? */
static bool in_initial_userns(void)
{
	char map[128];
	unsigned long inside, outside, count;

	if (read_text("/proc/self/uid_map", map, sizeof(map)) != 0)
		return true;
	return sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
	       outside == 0 && count == 4294967295UL;
}

static void probe_identity(struct sbx_features *f)
{
	char status[4096], *cap;
	struct utsname u;
	unsigned long long eff = 0;

	f->uid = geteuid();
	f->gid = getegid();
	f->root = f->uid == 0;
	if (read_text("/proc/self/status", status, sizeof(status)) == 0 &&
	    (cap = strstr(status, "\nCapEff:")) != NULL)
		eff = strtoull(cap + strlen("\nCapEff:"), NULL, 16);
	f->cap_sys_admin = (eff >> PROBE_CAP_SYS_ADMIN) & 1;

	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%.63s %.40s", u.release, u.machine);
	else
		snprintf(f->kernel, sizeof(f->kernel), "unknown");
	check_set(&f->checks[SBX_CHECK_KERNEL], SBX_PROBE_OK, 0, "%s", f->kernel);

	if (f->root)
		check_set(&f->checks[SBX_CHECK_PRIVILEGES], SBX_PROBE_OK, 0,
		          "root (uid 0, gid %u), %s%s", (unsigned)f->gid,
		          f->cap_sys_admin ? "with CAP_SYS_ADMIN" : "without CAP_SYS_ADMIN",
		          in_initial_userns() ? "" : ", inside a user namespace");
	else
		check_set(&f->checks[SBX_CHECK_PRIVILEGES], SBX_PROBE_OK, 0,
		          "unprivileged (uid %u, gid %u)", (unsigned)f->uid, (unsigned)f->gid);
}

static void probe_settings(struct sbx_features *f)
{
	struct sbx_check *c;

	f->max_user_namespaces = read_setting("/proc/sys/user/max_user_namespaces");
	f->unprivileged_userns_clone = read_setting("/proc/sys/kernel/unprivileged_userns_clone");
	f->apparmor_restrict_userns =
	    read_setting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	f->yama_ptrace_scope = read_setting("/proc/sys/kernel/yama/ptrace_scope");
	f->legacy_tiocsti = read_setting("/proc/sys/dev/tty/legacy_tiocsti");

	c = &f->checks[SBX_CHECK_SYSCTL_MAX_USERNS];
	if (f->max_user_namespaces == SBX_PROBE_ABSENT)
		check_set(c, SBX_PROBE_NA, 0, "user.max_user_namespaces not present");
	else if (f->max_user_namespaces == 0)
		check_set(c, SBX_PROBE_MISSING, 0,
		          "user.max_user_namespaces = 0: no user namespaces at all");
	else
		check_set(c, SBX_PROBE_OK, 0, "user.max_user_namespaces = %ld",
		          f->max_user_namespaces);

	c = &f->checks[SBX_CHECK_SYSCTL_USERNS_CLONE];
	if (f->unprivileged_userns_clone == SBX_PROBE_ABSENT)
		check_set(c, SBX_PROBE_NA, 0,
		          "kernel.unprivileged_userns_clone not present (not a Debian patch)");
	else if (f->unprivileged_userns_clone == 0)
		check_set(c, SBX_PROBE_MISSING, 0,
		          "kernel.unprivileged_userns_clone = 0: only root may create user "
		          "namespaces");
	else
		check_set(c, SBX_PROBE_OK, 0, "kernel.unprivileged_userns_clone = %ld",
		          f->unprivileged_userns_clone);

	c = &f->checks[SBX_CHECK_SYSCTL_APPARMOR_USERNS];
	if (f->apparmor_restrict_userns == SBX_PROBE_ABSENT)
		check_set(c, SBX_PROBE_NA, 0,
		          "kernel.apparmor_restrict_unprivileged_userns not present");
	else if (f->apparmor_restrict_userns != 0)
		check_set(c, SBX_PROBE_MISSING, 0,
		          "kernel.apparmor_restrict_unprivileged_userns = %ld: unprivileged "
		          "user namespaces get no capabilities",
		          f->apparmor_restrict_userns);
	else
		check_set(c, SBX_PROBE_OK, 0, "kernel.apparmor_restrict_unprivileged_userns = 0");

	c = &f->checks[SBX_CHECK_PTRACE_SCOPE];
	if (f->yama_ptrace_scope == SBX_PROBE_ABSENT)
		check_set(c, SBX_PROBE_NA, 0, "Yama is not enabled");
	else
		check_set(c, SBX_PROBE_OK, 0, "kernel.yama.ptrace_scope = %ld%s",
		          f->yama_ptrace_scope,
		          f->yama_ptrace_scope == 0   ? " (classic ptrace permissions)"
		          : f->yama_ptrace_scope == 1 ? " (descendants only)"
		          : f->yama_ptrace_scope == 2 ? " (CAP_SYS_PTRACE only)"
		                                      : " (no attach)");

	c = &f->checks[SBX_CHECK_LEGACY_TIOCSTI];
	if (f->legacy_tiocsti == SBX_PROBE_ABSENT)
		check_set(c, SBX_PROBE_NA, 0,
		          "dev.tty.legacy_tiocsti not present (Linux < 6.2: TIOCSTI always "
		          "allowed)");
	else
		check_set(c, SBX_PROBE_OK, 0, "dev.tty.legacy_tiocsti = %ld%s", f->legacy_tiocsti,
		          f->legacy_tiocsti ? " (TIOCSTI can inject terminal input)"
		                            : " (TIOCSTI needs CAP_SYS_ADMIN)");
}

/* ---- the probes, run one after the other ---- */

static int probe_namespaces(struct sbx_features *f, char *why, size_t why_size)
{
	static const struct {
		enum sbx_check_id id;
		int flag;
		const char *what;
	} spaces[] = {
	    {SBX_CHECK_NS_MOUNT, CLONE_NEWNS, "CLONE_NEWUSER|CLONE_NEWNS"},
	    {SBX_CHECK_NS_PID, CLONE_NEWPID, "CLONE_NEWUSER|CLONE_NEWPID"},
	    {SBX_CHECK_NS_NET, CLONE_NEWNET, "CLONE_NEWUSER|CLONE_NEWNET"},
	    {SBX_CHECK_NS_IPC, CLONE_NEWIPC, "CLONE_NEWUSER|CLONE_NEWIPC"},
	    {SBX_CHECK_NS_UTS, CLONE_NEWUTS, "CLONE_NEWUSER|CLONE_NEWUTS"},
	    {SBX_CHECK_NS_CGROUP, CLONE_NEWCGROUP, "CLONE_NEWUSER|CLONE_NEWCGROUP"},
	};
	struct userns_arg ua = {.uid = f->uid, .gid = f->gid};
	struct sbx_check *c;
	int rc;

	c = &f->checks[SBX_CHECK_USERNS];
	rc = probe_run(probe_userns, &ua, c, sizeof(*c), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0)
		checks_failed(c, 1, why);

	c = &f->checks[SBX_CHECK_USERNS_UNPRIVILEGED];
	if (f->root) {
		ua.uid = SBX_PROBE_UNPRIVILEGED_ID;
		ua.gid = SBX_PROBE_UNPRIVILEGED_ID;
		ua.drop = true;
		rc = probe_run(probe_userns, &ua, c, sizeof(*c), why, why_size);
		if (rc < 0)
			return rc;
		if (rc > 0)
			checks_failed(c, 1, why);
	} else {
		check_set(c, SBX_PROBE_NA, 0, "corral already runs unprivileged (uid %u)",
		          (unsigned)f->uid);
	}

	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		struct ns_arg na = {spaces[i].flag, spaces[i].what, f->uid, f->gid};

		c = &f->checks[spaces[i].id];
		rc = probe_run(probe_namespace, &na, c, sizeof(*c), why, why_size);
		if (rc < 0)
			return rc;
		if (rc > 0)
			checks_failed(c, 1, why);
	}
	return 0;
}

static int probe_filesystem(struct sbx_features *f, char *why, size_t why_size)
{
	struct userns_arg ua = {.uid = f->uid, .gid = f->gid};
	struct fs_msg m;
	struct sbx_check *proc = &f->checks[SBX_CHECK_PROC_MOUNT];
	int rc;

	rc = probe_run(probe_fs, &ua, &m, sizeof(m), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0)
		checks_failed(&m.tmpfs, FS_MSG_CHECKS, why);
	f->checks[SBX_CHECK_TMPFS] = m.tmpfs;
	f->checks[SBX_CHECK_BIND_MOUNT] = m.bind;
	*proc = m.proc;
	f->checks[SBX_CHECK_MOUNT_SETATTR] = m.setattr;
	f->checks[SBX_CHECK_PIVOT_ROOT] = m.pivot;
	/* The kernel refuses a new /proc while the host's has mounts on top. */
	if (proc->status != SBX_PROBE_OK && f->proc_overmount[0])
		check_append(proc, "; the host's /proc has mounts on top (%s)", f->proc_overmount);
	return 0;
}

static int probe_security(struct sbx_features *f, char *why, size_t why_size)
{
	struct seccomp_msg sm;
	struct landlock_msg lm;
	struct pidfd_msg pm;
	int rc;

	rc = probe_run(probe_seccomp, NULL, &sm, sizeof(sm), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		checks_failed(&sm.mode, 4, why);
		sm.seccomp_mode = -1;
	}
	f->checks[SBX_CHECK_SECCOMP] = sm.mode;
	f->checks[SBX_CHECK_SECCOMP_FILTER] = sm.filter;
	f->checks[SBX_CHECK_SECCOMP_KILL_PROCESS] = sm.kill;
	f->checks[SBX_CHECK_SECCOMP_USER_NOTIF] = sm.notif;
	f->seccomp_mode = sm.seccomp_mode;

	rc = probe_run(probe_landlock, NULL, &lm, sizeof(lm), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		checks_failed(&lm.check, 1, why);
		lm.abi = 0;
		lm.abi_errno = 0;
	}
	f->checks[SBX_CHECK_LANDLOCK] = lm.check;
	f->landlock_abi = lm.abi;
	f->landlock_errno = lm.abi_errno;

	rc = probe_run(probe_pidfd, NULL, &pm, sizeof(pm), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0)
		checks_failed(&pm.open, 2, why);
	f->checks[SBX_CHECK_PIDFD_OPEN] = pm.open;
	f->checks[SBX_CHECK_CLONE3_PIDFD] = pm.clone3;
	return 0;
}

/* Join the names of the resources whose state is @state: "memory, cpu". */
static void cgroup_names(const struct cgroup_msg *m, int state, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int r = 0; r < SBX_RESOURCE__COUNT && used < size; r++)
		if (m->state[r] == state)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
			                         cgroup_controllers[r]);
}

static bool cgroup_all_absent(const struct cgroup_msg *m)
{
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++)
		if (m->state[r] != CGROUP_ABSENT)
			return false;
	return true;
}

/* Describe the first failure among @m's resources into @c. */
static void cgroup_describe_failure(struct sbx_check *c, const struct cgroup_msg *m,
                                    const char *dir)
{
	char names[64];

	for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
		if (m->state[r] != CGROUP_FAILED)
			continue;
		check_set(c, SBX_PROBE_MISSING, m->sys_errno[r], "%s in a child of %s: %s: %s",
		          cgroup_controllers[r], dir, m->step[r], strerror(m->sys_errno[r]));
		return;
	}
	cgroup_names(m, CGROUP_NOT_ENABLED, names, sizeof(names));
	if (names[0]) {
		check_set(c, SBX_PROBE_MISSING, 0,
		          "%s available in %s but not enabled for child cgroups", names, dir);
		return;
	}
	check_set(c, SBX_PROBE_MISSING, 0, "no memory, pids or cpu controller in %s", dir);
}

static int probe_cgroups(struct sbx_features *f, const struct mount_scan *s, char *why,
                         size_t why_size)
{
	struct cgroup_arg arg;
	struct cgroup_msg m;
	struct sbx_check *v2 = &f->checks[SBX_CHECK_CGROUP2];
	struct sbx_check *deleg = &f->checks[SBX_CHECK_CGROUP2_DELEGATION];
	struct sbx_check *v1 = &f->checks[SBX_CHECK_CGROUP1];
	char names[64];
	bool need_v1 = false;
	int rc;

	for (int r = 0; r < SBX_RESOURCE__COUNT; r++)
		f->limit[r] = SBX_MECH_RLIMIT;
	f->cgroup_hybrid = s->cg2_mount[0] && s->cg1_any;

	/* cgroup v2: mounted, and is the caller's own cgroup delegated to it? */
	memset(&arg, 0, sizeof(arg));
	memset(&m, 0, sizeof(m));
	if (!s->cg2_mount[0]) {
		check_set(v2, SBX_PROBE_MISSING, 0, "no cgroup2 file system is mounted");
		check_set(deleg, SBX_PROBE_NA, 0, "needs cgroup v2");
	} else if (!s->cg2_path[0] || !cgroup_dir(arg.dir[0], sizeof(arg.dir[0]), s->cg2_mount,
	                                          s->cg2_root, s->cg2_path)) {
		check_set(v2, SBX_PROBE_OK, 0, "mounted at %s%s", s->cg2_mount,
		          f->cgroup_hybrid ? " (hybrid: v1 controllers mounted too)" : "");
		check_set(deleg, SBX_PROBE_MISSING, 0, "corral's own cgroup (%s) is not under %s",
		          s->cg2_path, s->cg2_mount);
	} else {
		snprintf(f->cgroup2_mount, sizeof(f->cgroup2_mount), "%s", s->cg2_mount);
		snprintf(f->cgroup2_dir, sizeof(f->cgroup2_dir), "%s", arg.dir[0]);
		arg.v2 = true;
		for (int r = 1; r < SBX_RESOURCE__COUNT; r++)
			memcpy(arg.dir[r], arg.dir[0], sizeof(arg.dir[r]));
		rc = probe_run(probe_cgroup, &arg, &m, sizeof(m), why, why_size);
		if (rc < 0)
			return rc;
		if (rc > 0)
			memset(&m, 0, sizeof(m));
		check_set(v2, SBX_PROBE_OK, 0, "mounted at %s%s; controllers: %s", s->cg2_mount,
		          f->cgroup_hybrid ? " (hybrid)" : "",
		          m.controllers[0] ? m.controllers : "none");
		cgroup_names(&m, CGROUP_USABLE, names, sizeof(names));
		if (rc > 0)
			check_set(deleg, SBX_PROBE_MISSING, 0, "could not probe: %s", why);
		else if (names[0])
			check_set(deleg, SBX_PROBE_OK, 0, "%s limits work in child cgroups of %s",
			          names, f->cgroup2_dir);
		else if (!m.writable)
			check_set(deleg, SBX_PROBE_MISSING, EACCES, "%s is not writable by uid %u",
			          f->cgroup2_dir, (unsigned)f->uid);
		else
			cgroup_describe_failure(deleg, &m, f->cgroup2_dir);
		if (deleg->status == SBX_PROBE_MISSING && f->cgroup_hybrid && rc == 0 &&
		    m.writable && cgroup_all_absent(&m))
			check_append(deleg, " (hybrid: they are cgroup v1 controllers here)");
		for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
			if (m.state[r] != CGROUP_USABLE)
				continue;
			f->limit[r] = SBX_MECH_CGROUP2;
			snprintf(f->limit_dir[r], sizeof(f->limit_dir[r]), "%s", f->cgroup2_dir);
		}
	}

	/* cgroup v1, for root, for what v2 cannot limit. */
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++)
		need_v1 |= f->limit[r] == SBX_MECH_RLIMIT;
	if (!need_v1) {
		check_set(v1, SBX_PROBE_NA, 0, "not needed: cgroup v2 limits everything");
		return 0;
	}
	if (!f->root) {
		check_set(v1, SBX_PROBE_NA, 0, "cgroup v1 limits are used only as root");
		return 0;
	}
	if (!s->cg1_any) {
		check_set(v1, SBX_PROBE_NA, 0, "no cgroup v1 memory, pids or cpu hierarchy");
		return 0;
	}
	memset(&arg, 0, sizeof(arg));
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
		if (f->limit[r] != SBX_MECH_RLIMIT || !s->cg1_path[r][0])
			continue;
		if (!cgroup_dir(arg.dir[r], sizeof(arg.dir[r]), s->cg1_mount[r], s->cg1_root[r],
		                s->cg1_path[r]))
			arg.dir[r][0] = '\0';
	}
	rc = probe_run(probe_cgroup, &arg, &m, sizeof(m), why, why_size);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		check_set(v1, SBX_PROBE_MISSING, 0, "could not probe: %s", why);
		return 0;
	}
	for (int r = 0; r < SBX_RESOURCE__COUNT; r++) {
		if (m.state[r] != CGROUP_USABLE)
			continue;
		f->limit[r] = SBX_MECH_CGROUP1;
		snprintf(f->limit_dir[r], sizeof(f->limit_dir[r]), "%s", arg.dir[r]);
	}
	cgroup_names(&m, CGROUP_USABLE, names, sizeof(names));
	if (names[0])
		check_set(v1, SBX_PROBE_OK, 0, "%s limits work in child cgroups (v1)", names);
	else
		cgroup_describe_failure(v1, &m, "the v1 hierarchies");
	return 0;
}

int sbx_probe(struct sbx_features *out, struct corral_error *err)
{
	struct sbx_features *f;
	struct mount_scan *s;
	char why[160];
	int rc;

	/* Together about 16 KiB: kept off the caller's stack. */
	f = calloc(1, sizeof(*f));
	s = calloc(1, sizeof(*s));
	if (!f || !s) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "probing the sandbox: %s",
		                      strerror(ENOMEM));
		goto out;
	}
	probe_identity(f);
	probe_settings(f);
	scan_file(s, "/proc/self/mountinfo", scan_mount);
	scan_file(s, "/proc/self/cgroup", scan_cgroup_line);
	snprintf(f->proc_overmount, sizeof(f->proc_overmount), "%s", s->proc_overmount);

	if ((rc = probe_namespaces(f, why, sizeof(why))) < 0 ||
	    (rc = probe_filesystem(f, why, sizeof(why))) < 0 ||
	    (rc = probe_security(f, why, sizeof(why))) < 0 ||
	    (rc = probe_cgroups(f, s, why, sizeof(why))) < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, -rc, "probing the sandbox: %s", why);
		goto out;
	}
	for (int i = 0; i < SBX_CHECK__COUNT; i++)
		f->checks[i].need = check_needs[i];
	*out = *f;
	rc = 0;
out:
	free(f);
	free(s);
	return rc;
}
