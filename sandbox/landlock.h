/*
 * landlock.h - Landlock, the sandbox's second, path-based layer.
 *
 * The mounts decide what the child can see; Landlock decides, again and
 * independently, what it may do beneath each path. It holds when the mount
 * layer is fooled or undone, covers paths that do not exist yet (a rule is
 * on a directory and everything later created beneath it), and checks
 * renames and links between directories (the REFER right).
 *
 * Rules name inodes, not path strings: a rule added in the parent on a
 * host directory keeps applying to a bind mount of that directory inside
 * the child's new mount namespace, wherever it is mounted.
 *
 * Raw system calls only (no liblandlock). Every Landlock ABI from 1 to the
 * running one is handled: rights the running kernel lacks are dropped from
 * both the ruleset and the rules, so the same call works everywhere and
 * restricts as much as the kernel can. Known gaps of old ABIs: before ABI 2
 * every rename or link between directories fails (EXDEV); before ABI 3
 * truncate() is not checked; before ABI 5 ioctl on devices is not checked;
 * before ABI 6 signals and abstract unix sockets are not scoped.
 */
#ifndef CORRAL_SBX_LANDLOCK_H
#define CORRAL_SBX_LANDLOCK_H

#include <corral/error.h>

#include <stdbool.h>

/*
 * The running kernel's Landlock ABI version (1, 2, ...), or 0 when Landlock
 * is unavailable (not built, or left out of the boot-time LSM list).
 */
int sbx_landlock_abi(void);

/* What a rule allows beneath its path. Combine with |. */
enum sbx_landlock_access {
	/* Read files, list directories, execute. */
	SBX_LL_READ = 1,
	/*
	 * Everything the running ABI knows, READ included: write, create,
	 * remove, truncate, make nodes, and move or link files in and out
	 * (REFER; both sides of a rename need it).
	 */
	SBX_LL_WRITE = 2,
	/*
	 * Device use: read and write files and ioctl on device files; no
	 * creation, no listing. For /dev/null and its kind.
	 */
	SBX_LL_DEV = 4,
	/* List directories beneath, nothing else: for the sandbox's root, so
	 * that `ls /` works without granting reads of what lies below. */
	SBX_LL_LIST = 8,
};

struct sbx_landlock {
	int ruleset_fd; /* -1 when released */
	int abi;        /* the ABI the ruleset was built for */
};

/* A released ruleset, for initialisers: release accepts it. */
#define SBX_LANDLOCK_INIT                                                                          \
	{                                                                                          \
		.ruleset_fd = -1, .abi = 0                                                         \
	}

/*
 * Parent: create a ruleset that handles every file system right of the
 * running ABI, scopes abstract unix sockets and signals to the sandbox
 * (ABI 6+), and, with @restrict_tcp, handles TCP bind and connect (ABI 4+)
 * so that, with no port rule, both are denied. @ll owns the new fd
 * (O_CLOEXEC) until sbx_landlock_release(); the vfork-style child uses it
 * through the shared memory. Fails with CORRAL_E_UNSUPPORTED when the
 * kernel lacks Landlock, or lacks TCP rights and @restrict_tcp is set (fail
 * closed), CORRAL_E_SANDBOX otherwise; @ll is untouched on failure.
 */
int sbx_landlock_create(struct sbx_landlock *ll, bool restrict_tcp, struct corral_error *err);

/*
 * Allow @access (SBX_LL_*) beneath @path, or on @path alone when it is not
 * a directory. @path is opened O_PATH|O_CLOEXEC, following symlinks (the
 * rule is on the target), and closed again. On a non-directory only file
 * rights are granted (execute, read, write, truncate, device ioctl); the
 * directory-only rights that @access implies are masked out.
 *
 * Raw system calls, no allocation, errno left as it was: usable in the
 * parent and in the vfork-style child, so it returns -errno and takes no
 * error struct. -ENOENT for a missing @path (the caller decides whether
 * that matters), -EINVAL for an empty @access or a released @ll.
 */
int sbx_landlock_allow(const struct sbx_landlock *ll, const char *path, unsigned access);

/* Like sbx_landlock_allow() for an open @fd (borrowed; O_PATH is enough). */
int sbx_landlock_allow_fd(const struct sbx_landlock *ll, int fd, unsigned access);

/*
 * Child: restrict the calling thread (and what it later starts) to @ll's
 * rules. Needs PR_SET_NO_NEW_PRIVS first (or CAP_SYS_ADMIN in the user
 * namespace). Raw system call, no allocation, errno left as it was.
 * Returns 0 or -errno. @ll stays owned by the caller; its fd is O_CLOEXEC
 * and so does not survive exec.
 */
int sbx_landlock_enforce(const struct sbx_landlock *ll);

/* Close @ll's ruleset fd and mark it released. Accepts NULL or a released @ll. */
void sbx_landlock_release(struct sbx_landlock *ll);

#endif
