/*
 * spawn.c - build the sandbox a struct sbx_config describes and run one
 * command in it.
 *
 * The child is cloned with CLONE_VM|CLONE_VFORK into every new namespace at
 * once. It shares the caller's memory until it execs, so it does nothing but
 * system calls on data the parent prepared: no malloc, no stdio, no locks.
 * It reports a failure by filling the shared struct corral_error and exiting;
 * the parent, which the kernel keeps suspended until the child execs or
 * exits, reads it afterwards.
 *
 * Order of the child's work, and why:
 *  1. uid/gid maps (it is root of its own user namespace, mapped to the
 *     caller's uid, so files keep their owners and nothing new is gained);
 *  2. every mount source is captured as a detached clone (open_tree) while
 *     the host view is still intact, and made read-only, nosuid and nodev
 *     before it is ever attached, so there is no writable window;
 *  3. a fresh tmpfs root is assembled from those clones, /dev, /proc and
 *     /tmp; protected paths and masks go on top; pivot_root; the old root
 *     is detached; the new root is made read-only;
 *  4. Landlock rules for the same view, then setsid, rlimits, capabilities
 *     dropped, no_new_privs, Landlock enforced, seccomp installed last;
 *  5. stdio, every other fd closed, exec.
 */
#define _GNU_SOURCE
#include "sbx.h"
#include "beneath.h"
#include "cgroup.h"
#include "landlock.h"
#include "sbx_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u /* Linux 6.3 */
#endif
#define CHILD_STACK_SIZE (256 * 1024)
/*
 * The functions that end the sandbox's own processes with _exit() run on
 * stacks AddressSanitizer did not allocate; its no-return hook would warn
 * into the command's stderr. They only make system calls.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CHILD_ENTRY __attribute__((no_sanitize("address")))
#else
#define CHILD_ENTRY
#endif
#define ROOT_TMPFS_OPTS  "mode=0755,size=4m,nr_inodes=65536"
#define SANDBOX_HOSTNAME "corral"
/* Where the new root is assembled. Any existing directory works: the mount
 * is private to the child's mount namespace and every source was captured
 * before it covers anything. */
#define STAGING_DIRS                                                                               \
	{                                                                                          \
		"/tmp", "/mnt", "/var/tmp", "/run"                                                 \
	}
/* How long to keep draining pipes after the sandbox is gone. */
#define DRAIN_GRACE_MS 200
#define READ_CHUNK     65536

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define NDEV (sizeof(dev_nodes) / sizeof(dev_nodes[0]))

/* Everything the child needs, prepared by the parent. */
struct child_ctx {
	const struct sbx_config *cfg;
	struct corral_error err; /* filled by the child on failure */
	int exec_errno;          /* why the command cannot be run (not ENOENT), else 0 */
	uid_t uid;
	gid_t gid;
	char uid_map[64];
	char gid_map[64];
	int *src_fds; /* per mount, -1 when unused */
	int dev_fds[NDEV];
	const char *staging;
	int stdio[3];                          /* fds to dup onto 0, 1, 2 */
	bool tty;                              /* one of them is a terminal */
	const struct sock_fprog *filter;       /* denials reported to the listener */
	const struct sock_fprog *filter_plain; /* denials fail at once, unreported */
	int notify_sock; /* child end of the socketpair that carries the listener */
	struct sbx_landlock landlock;
	struct sbx_cgroup cgroup;
	dev_t own_devs[2]; /* the root tmpfs and the private /tmp: mount points may be made there */
	int status_fd;     /* write end of init's status pipe */
	int init_fd;       /* the init program, a sealed memfd */
	char *const *init_argv; /* "corral-init", status fd, path, the command's argv */
	char path[PATH_MAX];    /* the command, resolved in the sandbox */
	char status_arg[16];    /* init's status fd, as its argv[1] */
};

static int child_fail(struct child_ctx *c, int code, int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* vsnprintf with %s and %d does not allocate in glibc; it is the only libc
 * formatting the child uses. */
static int child_fail(struct child_ctx *c, int code, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	corral_error_vset(&c->err, code, sys_errno, fmt, ap);
	va_end(ap);
	return -1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(text);

	if (fd < 0)
		return -1;
	n = write(fd, text, (size_t)len);
	close(fd);
	return n == len ? 0 : -1;
}

/* Skip the leading '/' of an absolute sandbox path. */
static const char *rel_of(const char *dst)
{
	while (*dst == '/')
		dst++;
	return *dst ? dst : ".";
}

static bool own_dev(const struct child_ctx *c, dev_t dev)
{
	return dev == c->own_devs[0] || dev == c->own_devs[1];
}

/*
 * mkdir -p of @rel beneath @rootfd, creating components only on corral's
 * own tmpfs mounts (the root and the private /tmp): a missing directory
 * inside a bind-mounted host tree is an error, never created on the host.
 */
static int mkdir_beneath(struct child_ctx *c, int rootfd, const char *rel, bool last_is_file)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(rel);

	if (len >= sizeof(path))
		return child_fail(c, CORRAL_E_SANDBOX, ENAMETOOLONG, "path too long: %s", rel);
	memcpy(path, rel, len + 1);
	for (char *p = path;; p++) {
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			int fd, parent_ok;
			char *slash = strrchr(path, '/');
			struct stat pst;
			if (errno != ENOENT)
				return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot look up /%s",
				                  path);
			if (slash) {
				*slash = '\0';
				parent_ok =
				    fstatat(rootfd, path, &pst, 0) == 0 && own_dev(c, pst.st_dev);
				*slash = '/';
			} else {
				parent_ok = fstat(rootfd, &pst) == 0 && own_dev(c, pst.st_dev);
			}
			if (!parent_ok)
				return child_fail(c, CORRAL_E_SANDBOX, ENOENT,
				                  "mount point /%s does not exist", path);
			if (last && last_is_file) {
				fd = openat(rootfd, path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
				            0444);
				if (fd < 0)
					return child_fail(c, CORRAL_E_SANDBOX, errno,
					                  "cannot create /%s", path);
				close(fd);
			} else if (mkdirat(rootfd, path, 0755) < 0) {
				return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create /%s",
				                  path);
			}
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

static int mount_setattr_fd(int fd, uint64_t set, bool recursive)
{
	struct mount_attr attr = {.attr_set = set};
	unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

	return mount_setattr(fd, "", flags, &attr, sizeof(attr));
}

/* Attach the detached mount @mfd onto @target_fd (an O_PATH fd). */
static int attach_fd(int mfd, int target_fd)
{
	return move_mount(mfd, "", target_fd, "",
	                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* A fresh tmpfs as a detached mount, with @opts and mount attributes @attr. */
static int new_tmpfs(const char *size_opts, const char *mode, uint64_t attr)
{
	int fsfd, mfd;

	fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -1;
	if ((size_opts && fsconfig(fsfd, FSCONFIG_SET_STRING, "size", size_opts, 0) < 0) ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		close(fsfd);
		return -1;
	}
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attr);
	close(fsfd);
	return mfd;
}

/* Step 2: capture every source as a detached, already-restricted clone. */
static int capture_sources(struct child_ctx *c)
{
	const struct sbx_config *cfg = c->cfg;

	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sbx_mount *m = &cfg->mounts[i];
		uint64_t attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
		int fd;

		c->src_fds[i] = -1;
		if (m->type != SBX_MOUNT_RO && m->type != SBX_MOUNT_RW)
			continue;
		fd =
		    open_tree(AT_FDCWD, m->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fd < 0) {
			if (errno == ENOENT && (m->flags & SBX_MOUNT_OPTIONAL))
				continue;
			return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot bind %s: %s", m->src,
			                  strerror(errno));
		}
		if (m->type == SBX_MOUNT_RO)
			attr |= MOUNT_ATTR_RDONLY;
		if (mount_setattr_fd(fd, attr, true) < 0)
			return child_fail(c, CORRAL_E_SANDBOX, errno,
			                  "cannot make the bind of %s read-only: %s", m->src,
			                  strerror(errno));
		c->src_fds[i] = fd;
	}
	for (size_t i = 0; i < NDEV; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		c->dev_fds[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (c->dev_fds[i] < 0)
			return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot bind %s: %s", path,
			                  strerror(errno));
		if (mount_setattr_fd(c->dev_fds[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false) <
		    0)
			return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot restrict %s", path);
	}
	return 0;
}

/* Is @fd the root of a mount? */
static bool is_mount_root(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/*
 * Bind the directory behind @fd onto itself, so that it becomes a mount
 * point: rename(2) and rmdir(2) of a mount point fail with EBUSY, which
 * stops "mv .git .git2 && mkdir -p .git/hooks".
 */
static int pin(int fd)
{
	int mfd;

	if (is_mount_root(fd))
		return 0;
	mfd = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (mfd < 0)
		return -1;
	if (attach_fd(mfd, fd) < 0) {
		close(mfd);
		return -1;
	}
	close(mfd);
	return 0;
}

/* The longest RW mount whose dst is a proper prefix of @path. */
static const struct sbx_mount *enclosing_rw(const struct sbx_config *cfg, const char *path)
{
	const struct sbx_mount *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sbx_mount *m = &cfg->mounts[i];
		size_t len = strlen(m->dst);
		if (m->type != SBX_MOUNT_RW)
			continue;
		if (len == 1 && m->dst[0] == '/')
			len = 0;
		if (strncmp(path, m->dst, len) == 0 && path[len] == '/' && len >= best_len) {
			best = m;
			best_len = len;
		}
	}
	return best;
}

static int apply_protect(struct child_ctx *c, int rootfd, const struct sbx_mount *m)
{
	const struct sbx_mount *rw = enclosing_rw(c->cfg, m->dst);
	char rel[PATH_MAX];
	int fd = -1, mfd;

	if (!rw)
		return 0; /* not under a writable mount: already read-only */
	if (strlen(m->dst) >= sizeof(rel))
		return child_fail(c, CORRAL_E_SANDBOX, ENAMETOOLONG, "path too long: %s", m->dst);
	memcpy(rel, rel_of(m->dst), strlen(rel_of(m->dst)) + 1);
	/*
	 * Walk from the RW mount down to the target. Every directory on the
	 * way is pinned (bound onto itself); a non-directory on the way is
	 * itself what gets protected (a .git file of a worktree protects the
	 * .git/config behind it). Symlinks are refused at every step.
	 */
	for (char *p = strcmp(rw->dst, "/") == 0 ? rel : rel + strlen(rel_of(rw->dst)) + 1;; p++) {
		struct stat st;
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		fd = sbx_open_beneath(rootfd, rel, O_PATH | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return child_fail(c, CORRAL_E_SANDBOX, e, "cannot protect %s: /%s: %s%s",
			                  m->dst, rel, strerror(e),
			                  e == ELOOP ? " (a symlink is in the way)" : "");
		}
		if (!slash || !S_ISDIR(st.st_mode))
			break;
		if (pin(fd) < 0) {
			int e = errno;
			close(fd);
			return child_fail(c, CORRAL_E_SANDBOX, e, "cannot pin /%s: %s", rel,
			                  strerror(e));
		}
		close(fd);
		*slash = '/';
		p = slash;
	}
	mfd = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (mfd < 0 ||
	    mount_setattr_fd(mfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true) <
	        0 ||
	    attach_fd(mfd, fd) < 0) {
		int e = errno;
		if (mfd >= 0)
			close(mfd);
		close(fd);
		return child_fail(c, CORRAL_E_SANDBOX, e, "cannot protect %s: %s", m->dst,
		                  strerror(e));
	}
	close(mfd);
	close(fd);
	return 0;
}

static int apply_mask(struct child_ctx *c, int rootfd, const struct sbx_mount *m)
{
	struct stat st;
	int fd, mfd;

	fd = sbx_open_beneath(rootfd, rel_of(m->dst), O_PATH | O_NOFOLLOW);
	if (fd < 0) {
		/* Nothing there, or reached through a symlink (the real path is
		 * masked on its own): nothing to hide. */
		if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
			return 0;
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot hide %s: %s", m->dst,
		                  strerror(errno));
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		mfd = new_tmpfs("4k", "0000",
		                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
		                    MOUNT_ATTR_NOEXEC);
	} else if (S_ISLNK(st.st_mode)) {
		close(fd);
		return 0; /* a symlink shows no content of its own */
	} else {
		/* /.empty is a 000 file on the root tmpfs, made in build_root(). */
		mfd = open_tree(rootfd, ".empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mfd >= 0 &&
		    mount_setattr_fd(mfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC, false) < 0) {
			close(mfd);
			mfd = -1;
		}
	}
	if (mfd < 0)
		goto fail;
	if (attach_fd(mfd, fd) < 0) {
		close(mfd);
		goto fail;
	}
	close(mfd);
	close(fd);
	return 0;
fail:
	child_fail(c, CORRAL_E_SANDBOX, errno, "cannot hide %s: %s", m->dst, strerror(errno));
	close(fd);
	return -1;
}

static int attach_at(struct child_ctx *c, int rootfd, int mfd, const char *dst, bool is_file)
{
	int tfd;

	if (mkdir_beneath(c, rootfd, rel_of(dst), is_file) < 0)
		return -1;
	tfd = sbx_open_beneath(rootfd, rel_of(dst), O_PATH | O_NOFOLLOW);
	if (tfd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot open mount point %s: %s", dst,
		                  strerror(errno));
	if (attach_fd(mfd, tfd) < 0) {
		int e = errno;
		close(tfd);
		return child_fail(c, CORRAL_E_SANDBOX, e, "cannot mount %s: %s", dst, strerror(e));
	}
	close(tfd);
	return 0;
}

/*
 * /dev lives on the root tmpfs (read-only once the root is): the device
 * nodes are binds of the host's, POSIX shared memory gets a bounded tmpfs
 * of its own, the rest are symlinks into /proc.
 */
static int build_dev(struct child_ctx *c, int rootfd)
{
	static const char *const links[][2] = {
	    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
	    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
	    {"ptmx", "pts/ptmx"},
	};
	char shm_size[32];
	int devfd, shm;

	if (mkdirat(rootfd, "dev", 0755) < 0 || mkdirat(rootfd, "dev/pts", 0755) < 0 ||
	    mkdirat(rootfd, "dev/shm", 01777) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create /dev: %s",
		                  strerror(errno));
	devfd = sbx_open_beneath(rootfd, "dev", O_PATH | O_DIRECTORY);
	if (devfd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot open /dev");
	for (size_t i = 0; i < NDEV; i++) {
		char dst[32];
		int fd = openat(devfd, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
		if (fd < 0) {
			child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create /dev/%s",
			           dev_nodes[i]);
			goto fail;
		}
		close(fd);
		snprintf(dst, sizeof(dst), "/dev/%s", dev_nodes[i]);
		if (attach_at(c, rootfd, c->dev_fds[i], dst, true) < 0)
			goto fail;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0) {
			child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create /dev/%s",
			           links[i][0]);
			goto fail;
		}
	}
	/* With a terminal, a devpts instance of the sandbox's own: it can open
	 * new pseudo-terminals, and none of the host's is visible. */
	if (c->tty) {
		int fs = fsopen("devpts", FSOPEN_CLOEXEC), pts = -1;
		if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) < 0 ||
		    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0620", 0) < 0 ||
		    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
		    (pts = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) <
		        0 ||
		    attach_at(c, rootfd, pts, "/dev/pts", false) < 0) {
			int e = errno;
			if (fs >= 0)
				close(fs);
			if (pts >= 0)
				close(pts);
			if (!c->err.code)
				child_fail(c, CORRAL_E_SANDBOX, e, "cannot mount /dev/pts: %s",
				           strerror(e));
			goto fail;
		}
		close(fs);
		close(pts);
	}
	snprintf(shm_size, sizeof(shm_size), "%llu", (unsigned long long)c->cfg->limits.tmp_size);
	shm = new_tmpfs(shm_size, "1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (shm < 0 || attach_at(c, rootfd, shm, "/dev/shm", false) < 0) {
		if (shm >= 0)
			close(shm);
		if (!c->err.code)
			child_fail(c, CORRAL_E_SANDBOX, errno, "cannot mount /dev/shm");
		goto fail;
	}
	close(shm);
	close(devfd);
	return 0;
fail:
	close(devfd);
	return -1;
}

/*
 * The kernel's global knobs under /proc stay read-only at the mount layer
 * too (Landlock already refuses writes there): a sandbox run by root is
 * GLOBAL_ROOT_UID to permission checks that look at the uid rather than at
 * capabilities, and /proc/sys and /proc/sysrq-trigger are such places.
 */
static int harden_proc(struct child_ctx *c, int rootfd)
{
	static const struct sbx_mount trigger = {SBX_MOUNT_MASK, 0, NULL, "/proc/sysrq-trigger"};
	int fd, mfd;

	fd = sbx_open_beneath(rootfd, "proc/sys", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot open /proc/sys");
	mfd = open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0 || mount_setattr_fd(mfd, MOUNT_ATTR_RDONLY, false) < 0 ||
	    attach_fd(mfd, fd) < 0) {
		int e = errno;
		if (mfd >= 0)
			close(mfd);
		close(fd);
		return child_fail(c, CORRAL_E_SANDBOX, e, "cannot make /proc/sys read-only: %s",
		                  strerror(e));
	}
	close(mfd);
	close(fd);
	return apply_mask(c, rootfd, &trigger);
}

static int build_root(struct child_ctx *c, int *rootfd_out)
{
	const struct sbx_config *cfg = c->cfg;
	char tmp_size[32];
	struct stat st;
	int rootfd, fd, mfd;

	if (mount("tmpfs", c->staging, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_TMPFS_OPTS) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot mount the new root: %s",
		                  strerror(errno));
	rootfd = open(c->staging, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot open the new root");
	*rootfd_out = rootfd;

	fd = openat(rootfd, ".empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create the mask file");
	close(fd);
	if (fstat(rootfd, &st) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot stat the new root");
	c->own_devs[0] = c->own_devs[1] = st.st_dev;

	/* The private, size-bounded /tmp goes first, so that a workspace
	 * under /tmp is mounted on top of it rather than hidden by it. */
	snprintf(tmp_size, sizeof(tmp_size), "%llu", (unsigned long long)cfg->limits.tmp_size);
	mfd = new_tmpfs(tmp_size, "1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mfd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot mount /tmp: %s",
		                  strerror(errno));
	if (attach_at(c, rootfd, mfd, "/tmp", false) < 0) {
		close(mfd);
		return -1;
	}
	close(mfd);
	fd = sbx_open_beneath(rootfd, "tmp", O_PATH | O_DIRECTORY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot open /tmp");
	close(fd);
	c->own_devs[1] = st.st_dev;

	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sbx_mount *m = &cfg->mounts[i];

		switch (m->type) {
		case SBX_MOUNT_RO:
		case SBX_MOUNT_RW:
			if (c->src_fds[i] < 0)
				break; /* optional and missing */
			if (fstat(c->src_fds[i], &st) < 0)
				return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot stat %s",
				                  m->src);
			if (attach_at(c, rootfd, c->src_fds[i], m->dst, !S_ISDIR(st.st_mode)) < 0)
				return -1;
			break;
		case SBX_MOUNT_SYMLINK: {
			const char *rel = rel_of(m->dst);
			const char *slash = strrchr(rel, '/');
			if (slash) {
				char parent[PATH_MAX];
				size_t n = (size_t)(slash - rel);
				if (n >= sizeof(parent))
					return child_fail(c, CORRAL_E_SANDBOX, ENAMETOOLONG,
					                  "path too long: %s", m->dst);
				memcpy(parent, rel, n);
				parent[n] = '\0';
				if (mkdir_beneath(c, rootfd, parent, false) < 0)
					return -1;
			}
			if (symlinkat(m->src, rootfd, rel) < 0 && errno != EEXIST)
				return child_fail(c, CORRAL_E_SANDBOX, errno,
				                  "cannot create symlink %s: %s", m->dst,
				                  strerror(errno));
			break;
		}
		case SBX_MOUNT_PROTECT:
			if (apply_protect(c, rootfd, m) < 0)
				return -1;
			break;
		case SBX_MOUNT_MASK:
			if (apply_mask(c, rootfd, m) < 0)
				return -1;
			break;
		}
	}

	if (build_dev(c, rootfd) < 0)
		return -1;

	/* A fresh /proc of the new pid namespace: no host process is visible. */
	fd = fsopen("proc", FSOPEN_CLOEXEC);
	if (fd < 0 || fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mfd = fsmount(fd, FSMOUNT_CLOEXEC,
	                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return child_fail(c, CORRAL_E_SANDBOX, e, "cannot mount /proc: %s%s", strerror(e),
		                  e == EPERM ? " (is /proc masked by a container runtime? see "
		                               "'corral doctor')"
		                             : "");
	}
	close(fd);
	if (attach_at(c, rootfd, mfd, "/proc", false) < 0) {
		close(mfd);
		return -1;
	}
	close(mfd);
	if (harden_proc(c, rootfd) < 0)
		return -1;

	return 0;
}

static int enter_root(struct child_ctx *c)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (chdir(c->staging) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot enter the new root");
	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves only the new root, with no path back to the host. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "pivot_root failed: %s",
		                  strerror(errno));
	if (umount2(".", MNT_DETACH) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot detach the old root: %s",
		                  strerror(errno));
	if (chdir("/") < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot enter /");
	if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot make / read-only: %s",
		                  strerror(errno));
	return 0;
}

/* Landlock rules for the same view the mounts built. */
static int landlock_rules(struct child_ctx *c)
{
	const struct sbx_config *cfg = c->cfg;
	static const struct {
		const char *path;
		unsigned access;
	} fixed[] = {
	    {"/", SBX_LL_LIST},
	    {"/tmp", SBX_LL_WRITE},
	    {"/dev/shm", SBX_LL_WRITE},
	    {"/dev/null", SBX_LL_DEV},
	    {"/dev/zero", SBX_LL_DEV},
	    {"/dev/full", SBX_LL_DEV},
	    {"/dev/random", SBX_LL_DEV},
	    {"/dev/urandom", SBX_LL_DEV},
	    {"/dev/tty", SBX_LL_DEV},
	    {"/dev", SBX_LL_READ},
	    /* Read-only: as root, writes to /proc/irq, /proc/bus or another
	     * process's /proc/PID/mem would be judged by uid 0's DAC rights. */
	    {"/proc", SBX_LL_READ},
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		int rc = sbx_landlock_allow(&c->landlock, fixed[i].path, fixed[i].access);
		if (rc < 0)
			return child_fail(c, CORRAL_E_SANDBOX, -rc, "landlock: cannot add %s: %s",
			                  fixed[i].path, strerror(-rc));
	}
	if (c->tty) {
		int rc = sbx_landlock_allow(&c->landlock, "/dev/pts", SBX_LL_READ | SBX_LL_DEV);
		if (rc < 0)
			return child_fail(c, CORRAL_E_SANDBOX, -rc,
			                  "landlock: cannot add /dev/pts");
	}
	for (size_t i = 0; i < cfg->nmounts; i++) {
		const struct sbx_mount *m = &cfg->mounts[i];
		int rc;
		if ((m->type != SBX_MOUNT_RO && m->type != SBX_MOUNT_RW) || c->src_fds[i] < 0)
			continue;
		rc = sbx_landlock_allow(&c->landlock, m->dst,
		                        m->type == SBX_MOUNT_RW ? SBX_LL_WRITE : SBX_LL_READ);
		if (rc < 0)
			return child_fail(c, CORRAL_E_SANDBOX, -rc, "landlock: cannot add %s: %s",
			                  m->dst, strerror(-rc));
	}
	return 0;
}

static int set_limit(struct child_ctx *c, int resource, const char *name, uint64_t value)
{
	struct rlimit rl = {.rlim_cur = value, .rlim_max = value};

	if (setrlimit(resource, &rl) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot set %s: %s", name,
		                  strerror(errno));
	return 0;
}

static int apply_limits(struct child_ctx *c)
{
	const struct sbx_limits *l = &c->cfg->limits;

	/* No core dumps: they would write the process's memory to disk. */
	if (set_limit(c, RLIMIT_CORE, "RLIMIT_CORE", 0) < 0)
		return -1;
	if (l->file_size && set_limit(c, RLIMIT_FSIZE, "RLIMIT_FSIZE", l->file_size) < 0)
		return -1;
	if (l->open_files && set_limit(c, RLIMIT_NOFILE, "RLIMIT_NOFILE", l->open_files) < 0)
		return -1;
	/* RLIMIT_NPROC is counted per user namespace, and this one is new: it
	 * bounds the sandbox's own tasks, not the user's other processes. */
	if (l->processes && set_limit(c, RLIMIT_NPROC, "RLIMIT_NPROC", l->processes) < 0)
		return -1;
	/* Without a memory cgroup, RLIMIT_DATA bounds each process's private
	 * writable memory (heap and anonymous mappings) without counting
	 * address space that runtimes only reserve, as RLIMIT_AS would. It is
	 * per process: the tree as a whole is bounded by memory x processes. */
	if (l->memory && c->cgroup.version != 2 && !c->cgroup.has_memory &&
	    set_limit(c, RLIMIT_DATA, "RLIMIT_DATA", l->memory) < 0)
		return -1;
	return 0;
}

static int drop_capabilities(struct child_ctx *c)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	int last = CAP_LAST_CAP;

	/* Lock root out of privilege: uid 0 inside gets nothing at exec. */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                                 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                                 SECBIT_NO_CAP_AMBIENT_RAISE |
	                                 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot set securebits: %s",
		                  strerror(errno));
	for (int cap = 0; cap <= last + 8; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return child_fail(c, CORRAL_E_SANDBOX, errno,
			                  "cannot drop capability %d from the bounding set", cap);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot clear ambient capabilities");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot drop capabilities: %s",
		                  strerror(errno));
	return 0;
}

/* Is @path an executable regular file in the sandbox's view? */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

/*
 * Find the command the way execvp() would, in the sandbox's view: a name
 * with a '/' as it is, otherwise the first executable match in envp's PATH.
 * The result goes to c->path; init execs it.
 */
static int resolve_command(struct child_ctx *c)
{
	const struct sbx_config *cfg = c->cfg;
	const char *file = cfg->argv[0];
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	size_t flen = strlen(file);
	int first_error = 0;

	if (flen == 0 || flen >= sizeof(c->path))
		return child_fail(c, CORRAL_E_NOTFOUND, ENOENT, "'%s': no such command", file);
	if (strncmp(file, "/proc/self/fd/", 14) == 0) {
		/* One of the passed fds: it exists only once init runs. */
		memcpy(c->path, file, flen + 1);
		return 0;
	}
	if (strchr(file, '/')) {
		int rc = check_executable(file);
		if (rc < 0 && rc != -ENOENT)
			c->exec_errno = -rc;
		if (rc < 0)
			return child_fail(
			    c, rc == -ENOENT ? CORRAL_E_NOTFOUND : CORRAL_E_SANDBOX, -rc, "%s: %s",
			    file, rc == -ENOENT ? "no such file in the sandbox" : strerror(-rc));
		memcpy(c->path, file, flen + 1);
		return 0;
	}
	for (size_t i = 0; cfg->envp[i]; i++)
		if (strncmp(cfg->envp[i], "PATH=", 5) == 0)
			path = cfg->envp[i] + 5;
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		if (dlen + flen + 2 <= sizeof(c->path)) {
			int rc;
			memcpy(c->path, dlen ? p : ".", dlen ? dlen : 1);
			if (!dlen)
				dlen = 1;
			c->path[dlen] = '/';
			memcpy(c->path + dlen + 1, file, flen + 1);
			rc = check_executable(c->path);
			if (rc == 0)
				return 0;
			if (rc != -ENOENT && rc != -ENOTDIR && !first_error)
				first_error = -rc;
		}
		if (!*end)
			break;
		p = end;
	}
	c->exec_errno = first_error;
	if (first_error)
		return child_fail(c, CORRAL_E_SANDBOX, first_error, "%s: %s", file,
		                  strerror(first_error));
	return child_fail(c, CORRAL_E_NOTFOUND, ENOENT, "%s: command not found in the sandbox",
	                  file);
}

static int send_fd(int sock, int fd)
{
	char data = 'L';
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* The new network namespace has only "lo", and it is down: bring it up, so
 * that servers the command starts on 127.0.0.1 (test suites do) work. */
static int loopback_up(struct child_ctx *c)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return child_fail(c, CORRAL_E_SANDBOX, errno, "cannot configure loopback: %s",
		                  strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
		int e = errno;
		close(fd);
		return child_fail(c, CORRAL_E_SANDBOX, e, "cannot bring loopback up: %s",
		                  strerror(e));
	}
	close(fd);
	return 0;
}

CHILD_ENTRY static int child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct sbx_config *cfg = c->cfg;
	int rootfd = -1, listener, rc;

	/* Die with the parent rather than run unsupervised. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* The sandbox starts with every signal unblocked and at its default:
	 * the caller may block some (corral blocks SIGINT and SIGTERM while it
	 * waits) or ignore some, and both would survive exec. This child has
	 * its own copy of the handler table (no CLONE_SIGHAND). */
	{
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigset_t none;
		sigemptyset(&dfl.sa_mask);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				sigaction(sig, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}

	/* Join the run's cgroup first, then make it the root of a new cgroup
	 * namespace, so the sandbox sees no host cgroup path. */
	rc = sbx_cgroup_enter(&c->cgroup);
	if (rc < 0) {
		child_fail(c, CORRAL_E_SANDBOX, -rc, "cannot join the run's cgroup: %s",
		           strerror(-rc));
		goto fail;
	}

	if (write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", c->uid_map) < 0 ||
	    write_file("/proc/self/gid_map", c->gid_map) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "cannot map ids in the user namespace: %s",
		           strerror(errno));
		goto fail;
	}
	if (unshare(CLONE_NEWCGROUP) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "cannot create a cgroup namespace: %s",
		           strerror(errno));
		goto fail;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "cannot make mounts private: %s",
		           strerror(errno));
		goto fail;
	}
	if (capture_sources(c) < 0 || build_root(c, &rootfd) < 0 || enter_root(c) < 0)
		goto fail;
	if (!cfg->share_net && loopback_up(c) < 0)
		goto fail;
	if (sethostname(SANDBOX_HOSTNAME, strlen(SANDBOX_HOSTNAME)) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "cannot set the hostname");
		goto fail;
	}
	if (landlock_rules(c) < 0)
		goto fail;
	if (chdir(cfg->cwd) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno,
		           "cannot enter the working directory %s in the sandbox: %s", cfg->cwd,
		           strerror(errno));
		goto fail;
	}
	/* A session of its own: no controlling terminal of the host, so
	 * TIOCSTI on an inherited tty fails even before seccomp sees it. */
	if (setsid() < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "setsid failed");
		goto fail;
	}
	if (apply_limits(c) < 0 || drop_capabilities(c) < 0)
		goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		child_fail(c, CORRAL_E_SANDBOX, errno, "cannot set no_new_privs");
		goto fail;
	}
	rc = sbx_landlock_enforce(&c->landlock);
	if (rc < 0) {
		child_fail(c, CORRAL_E_SANDBOX, -rc, "cannot enforce Landlock: %s", strerror(-rc));
		goto fail;
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(c->stdio[i], i) < 0) {
			child_fail(c, CORRAL_E_SANDBOX, errno, "cannot set up fd %d", i);
			goto fail;
		}
	}
	/* Seccomp goes last: nothing above needs a call it denies. */
	listener = sbx_seccomp_install(c->filter, c->notify_sock >= 0);
	if (listener == -EBUSY) {
		/* An outer filter (a container runtime's) already has the one
		 * listener a filter chain may have: enforce the same rules
		 * without reporting them. */
		listener = sbx_seccomp_install(c->filter_plain, false);
		c->notify_sock = -1;
	}
	if (listener < 0) {
		child_fail(c, CORRAL_E_SANDBOX, -listener, "cannot install the seccomp filter: %s",
		           strerror(-listener));
		goto fail;
	}
	if (c->notify_sock >= 0) {
		/* The listener goes to the supervisor and must not survive
		 * into the command: whoever holds it can answer for the kernel. */
		if (send_fd(c->notify_sock, listener) < 0) {
			child_fail(c, CORRAL_E_SANDBOX, errno,
			           "cannot hand over the seccomp listener");
			goto fail;
		}
		close(listener);
	}
	if (resolve_command(c) < 0)
		goto fail;
	/*
	 * Only 0, 1 and 2 cross into the command. Init also gets fd 3, its
	 * status pipe (it closes it before the command's exec), and is exec'd
	 * from fd 4, which its own exec closes.
	 */
	{
		/* Move every source out of the way first (the targets may be
		 * among them), then into place. */
		size_t np = c->cfg->npass_fds;
		int tmp[SBX_PASS_FDS_MAX + 2], base = 3 + (int)np;
		for (size_t i = 0; i < np; i++)
			tmp[i] = fcntl(c->cfg->pass_fds[i], F_DUPFD_CLOEXEC, 64);
		tmp[np] = fcntl(c->status_fd, F_DUPFD_CLOEXEC, 64);
		tmp[np + 1] = fcntl(c->init_fd, F_DUPFD_CLOEXEC, 64);
		for (size_t i = 0; i < np + 2; i++) {
			if (tmp[i] < 0) {
				child_fail(c, CORRAL_E_SANDBOX, errno, "cannot pass fds: %s",
				           strerror(errno));
				goto fail;
			}
		}
		for (size_t i = 0; i <= np; i++) {
			if (dup2(tmp[i], 3 + (int)i) < 0) {
				child_fail(c, CORRAL_E_SANDBOX, errno, "cannot pass fds: %s",
				           strerror(errno));
				goto fail;
			}
		}
		if (dup3(tmp[np + 1], base + 1, O_CLOEXEC) < 0 ||
		    close_range(base + 2, ~0u, 0) < 0) {
			child_fail(c, CORRAL_E_SANDBOX, errno, "cannot close inherited fds");
			goto fail;
		}
		snprintf(c->status_arg, sizeof(c->status_arg), "%d", base);
		syscall(SYS_execveat, base + 1, "", c->init_argv, c->cfg->envp, AT_EMPTY_PATH);
	}
	child_fail(c, CORRAL_E_SANDBOX, errno, "cannot start the sandbox's init: %s%s",
	           strerror(errno), errno == EACCES ? " (is vm.memfd_noexec set to 2?)" : "");
fail:
	_exit(127);
}

/* ---- parent side ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *sbx_limit_name(unsigned bit)
{
	switch (bit) {
	case SBX_LIMIT_TIMEOUT:
		return "timeout";
	case SBX_LIMIT_MEMORY:
		return "memory";
	case SBX_LIMIT_PROCESSES:
		return "processes";
	case SBX_LIMIT_OUTPUT:
		return "output";
	default:
		return NULL;
	}
}

void sbx_config_init(struct sbx_config *cfg)
{
	static char *const empty_env[] = {NULL};

	memset(cfg, 0, sizeof(*cfg));
	cfg->envp = empty_env;
	cfg->cwd = "/";
	cfg->limits.tmp_size = 64ull << 20;
	cfg->limits.output = 1ull << 20;
	cfg->stdin_fd = cfg->stdout_fd = cfg->stderr_fd = -1;
	cfg->cancel_fd = -1;
	cfg->watch_fd = -1;
}

void sbx_result_violation(struct sbx_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nviolations >= SBX_VIOLATIONS_MAX) {
		res->violations_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(res->violations[res->nviolations], SBX_VIOLATION_LEN, fmt, ap);
	va_end(ap);
	/* The same line twice says nothing new. */
	for (size_t i = 0; i < res->nviolations; i++)
		if (strcmp(res->violations[i], res->violations[res->nviolations]) == 0)
			return;
	res->nviolations++;
}

void sbx_result_release(struct sbx_result *res)
{
	if (!res)
		return;
	free(res->out.data);
	free(res->err.data);
	res->out.data = res->err.data = NULL;
}

static int recv_fd(int sock)
{
	char data;
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Send @sig to the command: pid 2 of the sandbox, the only child of its init
 * (@pid), found through /proc and signalled through a pidfd so that a
 * recycled pid cannot be hit. Returns 0, or -1 when it is already gone.
 */
static int signal_command(pid_t pid, int sig)
{
	char path[64], buf[64];
	ssize_t n;
	long child;
	int fd, pfd, rc;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	child = strtol(buf, NULL, 10);
	if (child <= 0)
		return -1;
	pfd = (int)syscall(SYS_pidfd_open, (pid_t)child, 0);
	if (pfd < 0)
		return -1;
	rc = (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
	close(pfd);
	return rc < 0 ? -1 : 0;
}

/* Processes the command left alive in the pid namespace of @pid (its init). */
static unsigned count_tree(pid_t pid)
{
	char path[300], link[64], mine[64];
	struct dirent *de;
	unsigned n = 0;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	len = readlink(path, mine, sizeof(mine) - 1);
	if (len <= 0)
		return 0;
	mine[len] = '\0';
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, mine) == 0)
			n++;
	}
	closedir(d);
	/* Init is corral's, not the command's. */
	return n > 0 ? n - 1 : 0;
}

static void capture_init(struct sbx_output *o, uint64_t cap, struct corral_error *err, int *rc)
{
	size_t size = cap < 65536 ? (size_t)cap : 65536;

	o->data = malloc(size + 1);
	o->capacity = o->data ? size + 1 : 0;
	if (!o->data && *rc == 0)
		*rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	if (o->data)
		o->data[0] = '\0';
}

/* Read what is available on @fd into @o, keeping at most @cap bytes. Returns
 * false at EOF or error. */
static bool capture_read(int fd, struct sbx_output *o, uint64_t cap)
{
	char buf[READ_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	o->total += (uint64_t)n;
	if (o->data && o->len < cap) {
		size_t take = (size_t)n;
		size_t have = o->capacity;
		if (o->len + take > cap)
			take = (size_t)(cap - o->len);
		if (o->len + take + 1 > have) {
			size_t want = (o->len + take + 1) * 2;
			char *nd;
			if (want > cap + 1)
				want = (size_t)cap + 1;
			nd = realloc(o->data, want);
			if (!nd)
				take = 0; /* keep what we have; the total still counts */
			else {
				o->data = nd;
				o->capacity = want;
			}
		}
		memcpy(o->data + o->len, buf, take);
		o->len += take;
		o->data[o->len] = '\0';
	}
	o->truncated = o->total > o->len;
	return true;
}

static int make_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The embedded init program (init/init.c), built into this library. */
extern const unsigned char sbx_init_blob[];
extern const size_t sbx_init_blob_len;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_memfd = -1;
static int init_errno;

/* Put the init program in a sealed memfd, once per process: the sandbox
 * execs it from there, so corral needs no file beside its binary. */
static void init_program_make(void)
{
	int fd = memfd_create("corral-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	size_t off = 0;

	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 know no MFD_EXEC */
		fd = memfd_create("corral-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		init_errno = errno;
		return;
	}
	while (off < sbx_init_blob_len) {
		ssize_t n = write(fd, sbx_init_blob + off, sbx_init_blob_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			init_errno = n < 0 ? errno : EIO;
			close(fd);
			return;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		init_errno = errno;
		close(fd);
		return;
	}
	init_memfd = fd;
}

static int init_program(struct corral_error *err)
{
	pthread_once(&init_once, init_program_make);
	if (init_memfd < 0)
		return corral_error_set(err, CORRAL_E_SANDBOX, init_errno,
		                        "cannot prepare the sandbox's init: %s",
		                        strerror(init_errno));
	return init_memfd;
}

/* Read what init reported: the command's wait status ('S') or the errno of
 * its failed exec ('E'). Leaves *status alone when init said nothing. */
static void read_init_status(int fd, int *status, int *exec_errno)
{
	unsigned char msg[5];
	int value;

	if (read(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return;
	value = (int)((unsigned)msg[1] | (unsigned)msg[2] << 8 | (unsigned)msg[3] << 16 |
	              (unsigned)msg[4] << 24);
	if (msg[0] == 'S')
		*status = WIFEXITED(value) ? WEXITSTATUS(value) : -WTERMSIG(value);
	else if (msg[0] == 'E')
		*exec_errno = value;
}

int sbx_run(const struct sbx_config *cfg, struct sbx_result *res, struct corral_error *err)
{
	static const char *const staging_dirs[] = STAGING_DIRS;
	struct child_ctx *c = NULL;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_null = -1;
	int notify_pair[2] = {-1, -1}, status_pipe[2] = {-1, -1}, listener = -1, pidfd = -1;
	char **init_argv = NULL;
	int exec_errno = 0;
	char *stack = MAP_FAILED;
	uint64_t start, deadline = 0, kill_at = 0;
	int flags, rc = 0, status = 0;
	pid_t pid;
	bool exited = false, have_status = false, watch_done = false;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (!cfg->argv || !cfg->argv[0] || !cfg->envp || !cfg->cwd)
		return corral_error_set(err, CORRAL_E_INTERNAL, EINVAL,
		                        "sandbox config without argv, envp or cwd");
	if (cfg->npass_fds > SBX_PASS_FDS_MAX)
		return corral_error_set(err, CORRAL_E_INTERNAL, EINVAL,
		                        "sandbox config passes more than %d fds", SBX_PASS_FDS_MAX);
	if (!cfg->limits.tmp_size)
		return corral_error_set(err, CORRAL_E_INTERNAL, EINVAL,
		                        "sandbox config without a /tmp size");

	c = calloc(1, sizeof(*c));
	if (!c)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	c->cfg = cfg;
	c->notify_sock = -1;
	c->landlock.ruleset_fd = -1;
	sbx_cgroup_init(&c->cgroup);
	c->src_fds = calloc(cfg->nmounts ? cfg->nmounts : 1, sizeof(int));
	if (!c->src_fds) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->nmounts; i++)
		c->src_fds[i] = -1;
	for (size_t i = 0; i < NDEV; i++)
		c->dev_fds[i] = -1;

	c->uid = geteuid();
	c->gid = getegid();
	snprintf(c->uid_map, sizeof(c->uid_map), "%u %u 1\n", (unsigned)c->uid, (unsigned)c->uid);
	snprintf(c->gid_map, sizeof(c->gid_map), "%u %u 1\n", (unsigned)c->gid, (unsigned)c->gid);
	for (size_t i = 0; i < sizeof(staging_dirs) / sizeof(staging_dirs[0]); i++) {
		struct stat st;
		if (stat(staging_dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			c->staging = staging_dirs[i];
			break;
		}
	}
	if (!c->staging) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, ENOENT,
		                      "no directory to assemble the sandbox root on (need /tmp)");
		goto out;
	}

	rc = sbx_cgroup_setup(&c->cgroup, cfg->limits.memory, cfg->limits.processes, err);
	if (rc < 0)
		goto out;

	/* Fail closed: Landlock is a required layer. */
	rc = sbx_landlock_create(&c->landlock, false, err);
	if (rc < 0)
		goto out;
	{
		struct sbx_seccomp_opts opts = {.allow_unix_sockets = cfg->allow_unix_sockets,
		                                .notify = true};
		c->filter = sbx_seccomp_filter(&opts);
		opts.notify = false;
		c->filter_plain = sbx_seccomp_filter(&opts);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, notify_pair) < 0) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, errno, "socketpair: %s",
		                      strerror(errno));
		goto out;
	}
	c->notify_sock = notify_pair[1];

	/* stdio */
	if (cfg->stdin_mode == SBX_IO_INHERIT && cfg->stdin_fd >= 0) {
		c->stdio[0] = cfg->stdin_fd;
	} else {
		in_null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (in_null < 0) {
			rc =
			    corral_error_set(err, CORRAL_E_SANDBOX, errno, "cannot open /dev/null");
			goto out;
		}
		c->stdio[0] = in_null;
	}
	for (int i = 1; i <= 2; i++) {
		enum sbx_io mode = i == 1 ? cfg->stdout_mode : cfg->stderr_mode;
		int fd = i == 1 ? cfg->stdout_fd : cfg->stderr_fd;
		int *p = i == 1 ? out_pipe : err_pipe;
		if (mode == SBX_IO_CAPTURE) {
			if (make_pipe(p) < 0) {
				rc = corral_error_set(err, CORRAL_E_SANDBOX, errno, "pipe: %s",
				                      strerror(errno));
				goto out;
			}
			c->stdio[i] = p[1];
			capture_init(i == 1 ? &res->out : &res->err, cfg->limits.output, err, &rc);
			if (rc < 0)
				goto out;
		} else if (mode == SBX_IO_INHERIT && fd >= 0) {
			c->stdio[i] = fd;
		} else {
			if (in_null < 0) {
				in_null = open("/dev/null", O_RDWR | O_CLOEXEC);
				if (in_null < 0) {
					rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
					                      "cannot open /dev/null");
					goto out;
				}
			}
			c->stdio[i] = in_null;
		}
	}

	for (int i = 0; i < 3; i++)
		c->tty = c->tty || isatty(c->stdio[i]);

	stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, errno, "cannot allocate a stack");
		goto out;
	}
	c->init_fd = init_program(err);
	if (c->init_fd < 0) {
		rc = c->init_fd;
		goto out;
	}
	/* "corral-init", the resolved path, then the command's argv. */
	{
		size_t n = 0;
		while (cfg->argv[n])
			n++;
		init_argv = calloc(n + 4, sizeof(*init_argv));
		if (!init_argv) {
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
			goto out;
		}
		init_argv[0] = (char *)"corral-init";
		init_argv[1] = c->status_arg;
		init_argv[2] = c->path;
		memcpy(init_argv + 3, cfg->argv, n * sizeof(*init_argv));
		c->init_argv = init_argv;
	}
	if (pipe2(status_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = corral_error_set(err, CORRAL_E_SANDBOX, errno, "pipe: %s", strerror(errno));
		goto out;
	}
	c->status_fd = status_pipe[1];

	flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
	        CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
	if (!cfg->share_net)
		flags |= CLONE_NEWNET;
	start = now_ms();
	pid = clone(child_main, stack + CHILD_STACK_SIZE, flags, c, &pidfd);
	if (pid < 0) {
		int e = errno;
		rc = corral_error_set(
		    err, e == EINVAL || e == ENOSYS ? CORRAL_E_UNSUPPORTED : CORRAL_E_SANDBOX, e,
		    "cannot create the sandbox namespaces: %s%s", strerror(e),
		    e == EPERM || e == ENOSPC ? " (are unprivileged user namespaces disabled? see "
		                                "'corral doctor')"
		                              : "");
		goto out;
	}
	/* The child has exec'd init, or died: its copies of the fds are its own. */
	close_fd(&status_pipe[1]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	close_fd(&notify_pair[1]);
	close_fd(&in_null);
	if (c->err.code) {
		/* It died before exec: collect it and report why. */
		siginfo_t si;
		waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
		*err = c->err;
		rc = -c->err.code;
		if (c->err.code == CORRAL_E_NOTFOUND)
			res->exit_code = 127;
		else if (c->exec_errno)
			res->exit_code = 126;
		goto out;
	}
	listener = recv_fd(notify_pair[0]);

	if (cfg->limits.timeout_ms)
		deadline = start + cfg->limits.timeout_ms;
	for (;;) {
		struct pollfd pfd[6];
		int n = 0, idx_pid = -1, idx_out = -1, idx_err = -1, idx_notify = -1,
		    idx_cancel = -1, idx_watch = -1;
		int wait_ms = -1;
		uint64_t now = now_ms();

		if (exited && out_pipe[0] < 0 && err_pipe[0] < 0)
			break;
		if (!exited) {
			pfd[n] = (struct pollfd){.fd = pidfd, .events = POLLIN};
			idx_pid = n++;
			if (listener >= 0) {
				pfd[n] = (struct pollfd){.fd = listener, .events = POLLIN};
				idx_notify = n++;
			}
			if (cfg->cancel_fd >= 0 && !res->cancelled) {
				pfd[n] = (struct pollfd){.fd = cfg->cancel_fd, .events = POLLIN};
				idx_cancel = n++;
			}
			if (cfg->watch_fd >= 0 && cfg->on_watch && !watch_done) {
				pfd[n] = (struct pollfd){.fd = cfg->watch_fd, .events = POLLIN};
				idx_watch = n++;
			}
			if (deadline)
				wait_ms = now >= deadline ? 0 : (int)(deadline - now);
			if (kill_at && (wait_ms < 0 || kill_at - now < (uint64_t)wait_ms))
				wait_ms = now >= kill_at ? 0 : (int)(kill_at - now);
		} else {
			/* The tree is gone; drain what it left in the pipes. */
			wait_ms = DRAIN_GRACE_MS;
		}
		if (out_pipe[0] >= 0) {
			pfd[n] = (struct pollfd){.fd = out_pipe[0], .events = POLLIN};
			idx_out = n++;
		}
		if (err_pipe[0] >= 0) {
			pfd[n] = (struct pollfd){.fd = err_pipe[0], .events = POLLIN};
			idx_err = n++;
		}
		int pr = poll(pfd, (nfds_t)n, wait_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			rc = corral_error_set(err, CORRAL_E_SANDBOX, errno, "poll: %s",
			                      strerror(errno));
			kill(pid, SIGKILL);
			break;
		}
		if (pr == 0 && exited)
			break; /* pipes held open by nobody we can see; stop */
		if (idx_out >= 0 && (pfd[idx_out].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !capture_read(out_pipe[0], &res->out, cfg->limits.output))
			close_fd(&out_pipe[0]);
		if (idx_err >= 0 && (pfd[idx_err].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !capture_read(err_pipe[0], &res->err, cfg->limits.output))
			close_fd(&err_pipe[0]);
		if (idx_notify >= 0 && (pfd[idx_notify].revents & POLLIN)) {
			char line[SBX_VIOLATION_LEN];
			if (sbx_seccomp_handle_notify(listener, line, sizeof(line)) == 0)
				sbx_result_violation(res, "%s", line);
		}
		if (idx_notify >= 0 && (pfd[idx_notify].revents & (POLLHUP | POLLERR)))
			close_fd(&listener);
		if (idx_watch >= 0 && (pfd[idx_watch].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[4096];
			ssize_t got = read(cfg->watch_fd, buf, sizeof(buf));
			if (got > 0)
				cfg->on_watch(cfg->watch_ctx, buf, (size_t)got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
				watch_done = true;
		}
		if (idx_cancel >= 0 && (pfd[idx_cancel].revents & POLLIN) && !res->cancelled) {
			res->cancelled = true;
			res->killed = count_tree(pid);
			if (cfg->cancel_grace_ms && signal_command(pid, SIGTERM) == 0)
				kill_at = now_ms() + cfg->cancel_grace_ms;
			else
				kill(pid, SIGKILL);
		}
		if (kill_at && !exited && now_ms() >= kill_at) {
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		if (!exited && deadline && now_ms() >= deadline &&
		    !(res->limits_hit & SBX_LIMIT_TIMEOUT)) {
			res->limits_hit |= SBX_LIMIT_TIMEOUT;
			res->killed = count_tree(pid);
			/* SIGKILL to pid 1 of the namespace: the kernel then
			 * kills every process in it, setsid'd or not. */
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		}
		if (idx_pid >= 0 && (pfd[idx_pid].revents & POLLIN)) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) == 0) {
				exited = true;
				have_status = true;
				/* The command's status as init reported it; init's own
				 * when it was killed (timeout, cancel) first. */
				status = si.si_code == CLD_EXITED ? si.si_status : -si.si_status;
				read_init_status(status_pipe[0], &status, &exec_errno);
				res->duration_ms = now_ms() - start;
			}
		}
	}
	if (exec_errno && rc == 0) {
		rc = corral_error_set(err,
		                      exec_errno == ENOENT ? CORRAL_E_NOTFOUND : CORRAL_E_SANDBOX,
		                      exec_errno, "%s: %s", cfg->argv[0], strerror(exec_errno));
		res->exit_code = exec_errno == ENOENT ? 127 : 126;
		have_status = false;
	}
	if (have_status) {
		if (status >= 0) {
			res->exit_code = status;
		} else {
			res->signal = -status;
		}
	}
	res->limits_hit |= sbx_cgroup_limits_hit(&c->cgroup);
	if (res->limits_hit & SBX_LIMIT_MEMORY)
		sbx_result_violation(res, "memory limit %lluMiB reached (%s)",
		                     (unsigned long long)(cfg->limits.memory >> 20),
		                     sbx_cgroup_mechanism(&c->cgroup));
	if (res->limits_hit & SBX_LIMIT_PROCESSES)
		sbx_result_violation(res, "process limit %u reached: fork refused (%s)",
		                     cfg->limits.processes, sbx_cgroup_mechanism(&c->cgroup));
	if (res->limits_hit & SBX_LIMIT_TIMEOUT)
		sbx_result_violation(res, "timeout after %llu.%03llus: killed %u process%s",
		                     (unsigned long long)(cfg->limits.timeout_ms / 1000),
		                     (unsigned long long)(cfg->limits.timeout_ms % 1000),
		                     res->killed, res->killed == 1 ? "" : "es");
	if (res->out.truncated || res->err.truncated) {
		res->limits_hit |= SBX_LIMIT_OUTPUT;
		sbx_result_violation(res, "output capped at %llu bytes per stream",
		                     (unsigned long long)cfg->limits.output);
	}
out:
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[0]);
	close_fd(&err_pipe[1]);
	close_fd(&notify_pair[0]);
	close_fd(&notify_pair[1]);
	close_fd(&status_pipe[0]);
	close_fd(&status_pipe[1]);
	free(init_argv);
	close_fd(&in_null);
	close_fd(&listener);
	close_fd(&pidfd);
	if (stack != MAP_FAILED)
		munmap(stack, CHILD_STACK_SIZE);
	if (c) {
		sbx_landlock_release(&c->landlock);
		sbx_cgroup_release(&c->cgroup);
		free(c->src_fds);
		free(c);
	}
	return rc;
}
