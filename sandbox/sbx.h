/*
 * sbx.h - the sandbox: a config struct in, an isolated child out.
 *
 * This module is mechanism only. It builds exactly the sandbox that a
 * struct sbx_config describes and decides nothing: which paths are visible,
 * writable or protected, which environment the child gets and which limits
 * apply are all the caller's choices (the runtime's policy compiler).
 *
 * What every sandbox gets, whatever the config says:
 *  - new user, mount, pid, ipc, uts and cgroup namespaces, and a new, empty
 *    network namespace unless share_net is set;
 *  - a fresh root on tmpfs (read-only once built) holding only the config's
 *    mounts, plus a fresh /proc, a minimal /dev (null, zero, full, random,
 *    urandom, tty) and a private, size-bounded /tmp;
 *  - a Landlock ruleset matching that view, as a second layer;
 *  - a seccomp filter (sandbox/seccomp.h);
 *  - setsid, no_new_privs, every capability dropped, RLIMIT_CORE 0, only
 *    the fds 0-2, only the config's environment;
 *  - the command runs as pid 1 of its pid namespace, so when it exits the
 *    kernel kills everything it started, orphans and daemons included.
 *
 * Threading: sbx_run() may be called from several threads at once. The child
 * is started vfork-style (it shares the caller's memory until it execs) and
 * performs only system calls before exec: no allocation, no locks.
 */
#ifndef CORRAL_SBX_H
#define CORRAL_SBX_H

#include <corral/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sbx_mount_type {
	/* Bind the host path @src at @dst, read-only, nosuid, nodev. */
	SBX_MOUNT_RO = 0,
	/* Bind the host path @src at @dst, read-write, nosuid, nodev. */
	SBX_MOUNT_RW,
	/* A symlink at @dst whose target is the text @src (e.g. /bin -> usr/bin). */
	SBX_MOUNT_SYMLINK,
	/*
	 * Make @dst unreadable: an empty read-only directory over a directory,
	 * an empty file with mode 000 over anything else. A missing @dst is
	 * skipped: there is nothing to hide.
	 */
	SBX_MOUNT_MASK,
	/*
	 * @dst, which lies under an earlier RW mount, stays read-only. It must
	 * exist (the caller creates a missing one as an empty directory first,
	 * see sbx_protect_prepare()). Its ancestors up to the RW mount are
	 * pinned (bound onto themselves) so that renaming an ancestor aside
	 * fails with EBUSY instead of moving the protection away. Lookups never
	 * follow a symlink: a symlink in the way is refused.
	 */
	SBX_MOUNT_PROTECT,
};

#define SBX_MOUNT_OPTIONAL 1u /* skip without error when @src is missing */

struct sbx_mount {
	enum sbx_mount_type type;
	unsigned flags;
	const char *src; /* host path (RO, RW), link target (SYMLINK), unused otherwise */
	const char *dst; /* absolute path inside the sandbox */
};

/* Bits of sbx_result.limits_hit. */
#define SBX_LIMIT_TIMEOUT   1u
#define SBX_LIMIT_MEMORY    2u
#define SBX_LIMIT_PROCESSES 4u
#define SBX_LIMIT_OUTPUT    8u

struct sbx_limits {
	uint64_t timeout_ms; /* wall clock for the whole tree; 0 = none */
	uint64_t memory;     /* bytes; 0 = none */
	uint64_t file_size;  /* RLIMIT_FSIZE bytes; 0 = none */
	uint64_t tmp_size;   /* size of the private /tmp, bytes (required) */
	uint64_t output;     /* bytes captured per stream in SBX_IO_CAPTURE */
	uint32_t processes;  /* tasks at once; 0 = none */
	uint32_t open_files; /* RLIMIT_NOFILE; 0 = inherit */
};

enum sbx_io {
	SBX_IO_NULL = 0, /* /dev/null */
	SBX_IO_INHERIT,  /* the caller's fd (stdin_fd/stdout_fd/stderr_fd), streamed as is */
	SBX_IO_CAPTURE,  /* a pipe read into sbx_result, up to limits.output */
};

struct sbx_config {
	/* argv[0] is looked up in envp's PATH when it has no '/'; a path
	 * "/proc/self/fd/N" names one of pass_fds as the program to run. */
	char *const *argv;
	char *const *envp; /* the child's whole environment */
	const char *cwd;   /* inside the sandbox */
	const struct sbx_mount *mounts;
	size_t nmounts; /* applied in order: parents before children */
	bool share_net; /* true: the host's network (explicit opt-in) */
	bool allow_unix_sockets;
	struct sbx_limits limits;
	enum sbx_io stdin_mode, stdout_mode, stderr_mode;
	int stdin_fd, stdout_fd, stderr_fd; /* for SBX_IO_INHERIT */
	/*
	 * Further fds the command gets, as 3, 4, ... in this order (a plugin
	 * for the worker, a script). Borrowed; opened by the caller.
	 */
	const int *pass_fds;
	size_t npass_fds; /* at most SBX_PASS_FDS_MAX */
	/*
	 * When >= 0, read while the command runs, and each chunk handed to
	 * on_watch(watch_ctx, data, len) from the caller's thread: progress
	 * lines from a tool. Borrowed. Reading stops when the command exits,
	 * so nothing is reported after the result.
	 */
	int watch_fd;
	void (*on_watch)(void *ctx, const char *data, size_t len);
	void *watch_ctx;
	/*
	 * On cancellation, the command (pid 2) gets SIGTERM and this long to
	 * end before the whole tree is killed; 0 kills at once.
	 */
	uint64_t cancel_grace_ms;
	/*
	 * When >= 0 and readable, the run is cancelled: the whole tree is
	 * killed and the result says so (signalfd for Ctrl-C, eventfd for an
	 * MCP cancellation). Borrowed, never closed.
	 */
	int cancel_fd;
};

#define SBX_PASS_FDS_MAX   8

#define SBX_VIOLATIONS_MAX 16
#define SBX_VIOLATION_LEN  160

struct sbx_output {
	char *data;      /* captured bytes, NUL-terminated; owned by the result */
	size_t len;      /* bytes in data */
	uint64_t total;  /* bytes the command wrote */
	bool truncated;  /* total > len */
	size_t capacity; /* bytes allocated for data (internal) */
};

struct sbx_result {
	int exit_code; /* the command's status, or -1 when killed by a signal */
	int signal;    /* the signal that killed it, 0 if none */
	bool cancelled;
	uint64_t duration_ms;
	unsigned limits_hit; /* SBX_LIMIT_* */
	unsigned killed;     /* processes alive when the sandbox was torn down */
	struct sbx_output out, err;
	size_t nviolations;
	size_t violations_dropped;
	char violations[SBX_VIOLATIONS_MAX][SBX_VIOLATION_LEN];
};

/* "timeout", "memory", "processes" or "output" for one SBX_LIMIT_* bit;
 * NULL for anything else. */
const char *sbx_limit_name(unsigned bit);

/* Initialise @cfg with safe values: no mounts, empty env, all IO null. */
void sbx_config_init(struct sbx_config *cfg);

/*
 * Run @cfg's command in a new sandbox and wait for it. Returns 0 when the
 * command ran (whatever its status: see @res), or a negative corral_code
 * when the sandbox could not be set up (CORRAL_E_SANDBOX,
 * CORRAL_E_UNSUPPORTED) or the command could not be started
 * (CORRAL_E_NOTFOUND with res->exit_code 127, or 126 when not executable).
 * @res is always initialised; release it with sbx_result_release().
 */
int sbx_run(const struct sbx_config *cfg, struct sbx_result *res, struct corral_error *err);

/* Free what @res owns. Accepts a zeroed result. */
void sbx_result_release(struct sbx_result *res);

/*
 * Make sure the protected path @path exists so that it can be mounted
 * read-only: when it is missing, create its first missing component (which
 * must lie strictly under @root) as an empty directory, without following
 * symlinks. On success *@created is the newly created path (caller frees
 * and passes it to sbx_protect_cleanup() after the run) or NULL. Runs of
 * one process share a placeholder another run made and still uses: *@created
 * is then that path, and each run holds a reference. Thread-safe.
 */
int sbx_protect_prepare(const char *root, const char *path, char **created,
                        struct corral_error *err);

/* Drop a reference to @created; the last one removes it if it is still an
 * empty directory. Thread-safe. */
void sbx_protect_cleanup(const char *created);

/* Record a violation line in @res (printf-style); extra lines are counted. */
void sbx_result_violation(struct sbx_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
