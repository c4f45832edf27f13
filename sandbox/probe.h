/*
 * probe.h - find out what this machine offers the sandbox, by trying it.
 *
 * sbx_probe() answers one question for `corral doctor` and for the sandbox's
 * own fail-closed checks: which of the kernel mechanisms that the sandbox is
 * built from (user, mount, pid, net, ipc, uts and cgroup namespaces, a fresh
 * /proc, tmpfs and bind mounts, seccomp filters, Landlock, cgroup limits,
 * pidfds) actually work for the calling user, here and now.
 *
 * Reading a sysctl is not enough (container runtimes, AppArmor and seccomp
 * profiles block what the sysctls allow), so every mechanism is exercised for
 * real in a short-lived forked child that reports back through a pipe and
 * exits. The calling process itself never unshares, mounts, installs a filter
 * or restricts itself; it only reads files under /proc and /sys. The probe
 * may create and remove one empty cgroup named "corral-probe-PID" under the
 * caller's own cgroup; it never changes an existing cgroup.
 *
 * Mechanism only: nothing here prints, and nothing here decides what a user
 * should do about a missing mechanism. The detail strings state facts.
 */
#ifndef CORRAL_SANDBOX_PROBE_H
#define CORRAL_SANDBOX_PROBE_H

#include <corral/error.h>

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest detail string of one check, including the terminating NUL. */
#define SBX_PROBE_DETAIL_MAX 192
/* Longest path sbx_features records (cgroup directories), with the NUL. */
#define SBX_PROBE_PATH_MAX 512
/* How long one probe child may take before it is killed (milliseconds). */
#define SBX_PROBE_TIMEOUT_MS 5000
/* The uid and gid used to test user namespaces for an unprivileged user
 * when the caller is root: "nobody" on Debian, present or not. */
#define SBX_PROBE_UNPRIVILEGED_ID 65534

enum sbx_probe_status {
	SBX_PROBE_OK = 0,      /* present and working */
	SBX_PROBE_MISSING = 1, /* absent, disabled or blocked: see detail and sys_errno */
	SBX_PROBE_NA = 2,      /* does not apply here (a sysctl this kernel lacks, ...) */
};

/* How much the sandbox depends on a check. */
enum sbx_probe_need {
	SBX_NEED_REQUIRED = 0,    /* the sandbox refuses to start without it */
	SBX_NEED_RECOMMENDED = 1, /* the sandbox works, with a weaker or cruder fallback */
	SBX_NEED_OPTIONAL = 2,    /* a fallback of the same strength exists */
	SBX_NEED_INFO = 3,        /* a fact about the machine, nothing depends on it */
};

/*
 * Every check sbx_probe() runs, in the order a report should list them. The
 * values are indexes into sbx_features.checks; new checks may be inserted, so
 * store sbx_check_key() rather than a number.
 */
enum sbx_check_id {
	SBX_CHECK_KERNEL,
	SBX_CHECK_PRIVILEGES,
	/* User namespaces: the real test, then the knobs that explain a failure. */
	SBX_CHECK_USERNS,
	SBX_CHECK_USERNS_UNPRIVILEGED,
	SBX_CHECK_SYSCTL_MAX_USERNS,
	SBX_CHECK_SYSCTL_USERNS_CLONE,
	SBX_CHECK_SYSCTL_APPARMOR_USERNS,
	/* Each namespace created together with a new user namespace. */
	SBX_CHECK_NS_MOUNT,
	SBX_CHECK_NS_PID,
	SBX_CHECK_NS_NET,
	SBX_CHECK_NS_IPC,
	SBX_CHECK_NS_UTS,
	SBX_CHECK_NS_CGROUP,
	/* The filesystem view, built as pid 1 of a new user+mount+pid namespace. */
	SBX_CHECK_TMPFS,
	SBX_CHECK_BIND_MOUNT,
	SBX_CHECK_PROC_MOUNT,
	SBX_CHECK_MOUNT_SETATTR,
	SBX_CHECK_PIVOT_ROOT,
	/* Seccomp. */
	SBX_CHECK_SECCOMP,
	SBX_CHECK_SECCOMP_FILTER,
	SBX_CHECK_SECCOMP_KILL_PROCESS,
	SBX_CHECK_SECCOMP_USER_NOTIF,
	/* Landlock. */
	SBX_CHECK_LANDLOCK,
	/* Resource limits. */
	SBX_CHECK_CGROUP2,
	SBX_CHECK_CGROUP2_DELEGATION,
	SBX_CHECK_CGROUP1,
	/* Process handles. */
	SBX_CHECK_PIDFD_OPEN,
	SBX_CHECK_CLONE3_PIDFD,
	/* Facts that matter to the sandbox's threat model. */
	SBX_CHECK_PTRACE_SCOPE,
	SBX_CHECK_LEGACY_TIOCSTI,
	SBX_CHECK__COUNT
};

struct sbx_check {
	int status;    /* enum sbx_probe_status */
	int need;      /* enum sbx_probe_need */
	int sys_errno; /* errno behind a MISSING status, 0 if none */
	char detail[SBX_PROBE_DETAIL_MAX];
};

/* How the sandbox will enforce one kind of resource limit. */
enum sbx_limit_mechanism {
	SBX_MECH_RLIMIT = 0,  /* setrlimit in the child (RLIMIT_DATA, _NPROC, _CPU) */
	SBX_MECH_CGROUP2 = 1, /* a child cgroup of the caller's delegated v2 cgroup */
	SBX_MECH_CGROUP1 = 2, /* a child cgroup in a v1 hierarchy (root only) */
};

/* The resources that have a limits mechanism. */
enum sbx_limit_resource {
	SBX_RESOURCE_MEMORY = 0,
	SBX_RESOURCE_PROCESSES = 1,
	SBX_RESOURCE_CPU = 2,
	SBX_RESOURCE__COUNT
};

/* Value of a sysctl or /proc setting that does not exist on this kernel. */
#define SBX_PROBE_ABSENT (-1L)

/*
 * What sbx_probe() found. Fixed-size and pointer-free, like struct
 * corral_error: it can be copied, stored or sent through a pipe whole.
 */
struct sbx_features {
	struct sbx_check checks[SBX_CHECK__COUNT];

	/* Who is asking. */
	bool root;          /* effective uid 0 */
	bool cap_sys_admin; /* CAP_SYS_ADMIN in the effective set */
	uid_t uid;          /* effective uid */
	gid_t gid;          /* effective gid */
	char kernel[128];   /* uname release and machine: "6.18.4 x86_64" */

	/*
	 * The caller's own seccomp mode (PR_GET_SECCOMP): 2 means it already
	 * runs under a filter, typically a container runtime's profile.
	 */
	int seccomp_mode;

	/* Landlock: the ABI (0 when unusable) and the errno behind a 0. */
	int landlock_abi;
	int landlock_errno;

	/* Settings, or SBX_PROBE_ABSENT when this kernel does not have them. */
	long max_user_namespaces;       /* user.max_user_namespaces */
	long unprivileged_userns_clone; /* kernel.unprivileged_userns_clone (Debian) */
	long apparmor_restrict_userns;  /* kernel.apparmor_restrict_unprivileged_userns */
	long yama_ptrace_scope;         /* kernel.yama.ptrace_scope */
	long legacy_tiocsti;            /* dev.tty.legacy_tiocsti */

	/*
	 * The first mount found on top of a path under /proc (other than
	 * binfmt_misc), empty when none: container runtimes mask /proc this
	 * way, and the kernel then refuses a fresh /proc in a user namespace.
	 */
	char proc_overmount[SBX_PROBE_PATH_MAX];

	/* Cgroups. Empty strings when not found. */
	char cgroup2_mount[SBX_PROBE_PATH_MAX]; /* where cgroup2 is mounted */
	char cgroup2_dir[SBX_PROBE_PATH_MAX];   /* the caller's own v2 cgroup */
	bool cgroup_hybrid; /* cgroup2 mounted, and memory, pids or cpu as cgroup v1 */

	/*
	 * The mechanism for each enum sbx_limit_resource, and the cgroup
	 * directory under which the sandbox creates its per-call cgroups for
	 * it (empty for SBX_MECH_RLIMIT).
	 */
	int limit[SBX_RESOURCE__COUNT];
	char limit_dir[SBX_RESOURCE__COUNT][SBX_PROBE_PATH_MAX];
};

/*
 * Probe this machine and fill @f (all of it, on success). Each mechanism is
 * tried in its own forked child with a timeout of SBX_PROBE_TIMEOUT_MS; a
 * mechanism that fails or hangs is reported as SBX_PROBE_MISSING, not as an
 * error. Returns 0, or a negative corral_code (CORRAL_E_IO) when the probe
 * itself cannot run (no pipe, no fork); @f is then left untouched. Safe to
 * call from a single-threaded process only (it forks). Takes about 30 ms.
 */
int sbx_probe(struct sbx_features *f, struct corral_error *err);

/*
 * True when every SBX_NEED_REQUIRED check in @f is SBX_PROBE_OK: the sandbox
 * can run here.
 */
bool sbx_features_ready(const struct sbx_features *f);

/*
 * The highest Landlock ABI this kernel supports, or 0 when Landlock is not
 * usable (errno is then ENOSYS: not built into the kernel; EOPNOTSUPP:
 * built in but not enabled at boot; EPERM: blocked by a seccomp profile).
 * Only asks the kernel (landlock_create_ruleset with
 * LANDLOCK_CREATE_RULESET_VERSION creates nothing), so it is safe to call in
 * any process.
 */
int sbx_probe_landlock_abi(void);

/* Stable machine name of a check, for JSON and scripts: "userns". Never NULL. */
const char *sbx_check_key(enum sbx_check_id id);

/* Human name of a check, for tables: "user namespaces". Never NULL. */
const char *sbx_check_title(enum sbx_check_id id);

/* "ok", "missing", "n-a" for an enum sbx_probe_status. Never NULL. */
const char *sbx_probe_status_name(int status);

/* "required", "recommended", "optional", "info". Never NULL. */
const char *sbx_probe_need_name(int need);

/* "rlimit", "cgroup2", "cgroup1" for an enum sbx_limit_mechanism. Never NULL. */
const char *sbx_limit_mechanism_name(int mechanism);

/* "memory", "processes", "cpu" for an enum sbx_limit_resource. Never NULL. */
const char *sbx_limit_resource_name(int resource);

#ifdef __cplusplus
}
#endif
#endif
