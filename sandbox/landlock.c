/*
 * landlock.c - Landlock rulesets through the raw system calls.
 *
 * Debian 12's kernel headers stop at Landlock ABI 2, so the rights and
 * structures of later ABIs are spelled out here with their ABI values.
 */
#define _GNU_SOURCE
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

/* Rights and scopes added after ABI 2 (include/uapi/linux/landlock.h). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1) /* ABI 6 */
#endif

/* The first ABI of each feature. */
#define LL_ABI_REFER     2
#define LL_ABI_TRUNCATE  3
#define LL_ABI_NET       4
#define LL_ABI_IOCTL_DEV 5
#define LL_ABI_SCOPE     6

/* The ABI 1 file system rights: EXECUTE (bit 0) to MAKE_SYM (bit 12). */
#define LL_FS_ABI1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

/* Rights that make sense on a file; every other one is for directories. */
#define LL_FS_FILE                                                                                 \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_FS_READ                                                                                 \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

#define LL_FS_DEV                                                                                  \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |                            \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_ACCESS_ALL (SBX_LL_READ | SBX_LL_WRITE | SBX_LL_DEV | SBX_LL_LIST)

/*
 * struct landlock_ruleset_attr as of ABI 6. The kernel takes a size and
 * reads only the fields it knows, so older kernels get a shorter prefix.
 */
struct ll_attr_v6 {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

/*
 * One raw system call: -errno on failure, and errno left as it was, since
 * in a vfork-style child errno belongs to the suspended parent thread.
 */
static long ll_syscall(long nr, long a, long b, long c, long d, long e)
{
	int saved = errno;
	long rc = syscall(nr, a, b, c, d, e);

	if (rc < 0)
		rc = -errno;
	errno = saved;
	return rc;
}

/* Every file system right that ABI @abi knows. */
static uint64_t ll_fs_handled(int abi)
{
	uint64_t rights = LL_FS_ABI1;

	if (abi >= LL_ABI_REFER)
		rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= LL_ABI_TRUNCATE)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= LL_ABI_IOCTL_DEV)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights;
}

int sbx_landlock_abi(void)
{
	long abi =
	    ll_syscall(SYS_landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0, 0);

	/* ENOSYS: not built in; EOPNOTSUPP: not enabled at boot. */
	return abi > 0 ? (int)abi : 0;
}

int sbx_landlock_create(struct sbx_landlock *ll, bool restrict_tcp, struct corral_error *err)
{
	struct ll_attr_v6 attr;
	size_t size;
	long fd;
	int abi = sbx_landlock_abi();

	if (abi == 0)
		return corral_error_set(err, CORRAL_E_UNSUPPORTED, EOPNOTSUPP,
		                        "Landlock is not available: the kernel lacks it or it is "
		                        "not in the boot-time LSM list (lsm=)");
	if (restrict_tcp && abi < LL_ABI_NET)
		return corral_error_set(err, CORRAL_E_UNSUPPORTED, EOPNOTSUPP,
		                        "Landlock ABI %d cannot restrict TCP (needs ABI %d, "
		                        "Linux 6.7)",
		                        abi, LL_ABI_NET);

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_handled(abi);
	size = offsetof(struct ll_attr_v6, handled_access_net);
	if (abi >= LL_ABI_NET) {
		/* Handled with no port rule: every TCP bind and connect is denied. */
		if (restrict_tcp)
			attr.handled_access_net =
			    LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = offsetof(struct ll_attr_v6, scoped);
	}
	if (abi >= LL_ABI_SCOPE) {
		/*
		 * No signals to processes outside the sandbox (the parent, the
		 * user's shell), and no connecting to abstract unix sockets
		 * bound outside it, which the network namespace only hides
		 * when the network is not shared.
		 */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
		size = sizeof(attr);
	}

	fd = ll_syscall(SYS_landlock_create_ruleset, (long)&attr, (long)size, 0, 0, 0);
	if (fd < 0)
		return corral_error_set(err, CORRAL_E_SANDBOX, (int)-fd,
		                        "cannot create a Landlock ruleset (ABI %d): %s", abi,
		                        strerror((int)-fd));
	ll->ruleset_fd = (int)fd;
	ll->abi = abi;
	return 0;
}

int sbx_landlock_allow_fd(const struct sbx_landlock *ll, int fd, unsigned access)
{
	struct landlock_path_beneath_attr rule;
	struct statx stx;
	uint64_t rights = 0;
	long rc;

	if (ll->ruleset_fd < 0 || access == 0 || (access & ~LL_ACCESS_ALL) != 0)
		return -EINVAL;
	if (access & SBX_LL_READ)
		rights |= LL_FS_READ;
	if (access & SBX_LL_WRITE)
		rights |= ll_fs_handled(ll->abi);
	if (access & SBX_LL_DEV)
		rights |= LL_FS_DEV;
	if (access & SBX_LL_LIST)
		rights |= LANDLOCK_ACCESS_FS_READ_DIR;
	rights &= ll_fs_handled(ll->abi);

	/* The kernel refuses directory rights on anything but a directory. */
	rc = ll_syscall(SYS_statx, fd, (long)"", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE,
	                (long)&stx);
	if (rc < 0)
		return (int)rc;
	if (!S_ISDIR(stx.stx_mode))
		rights &= LL_FS_FILE;

	rule.allowed_access = rights;
	rule.parent_fd = fd;
	rc = ll_syscall(SYS_landlock_add_rule, ll->ruleset_fd, LANDLOCK_RULE_PATH_BENEATH,
	                (long)&rule, 0, 0);
	return rc < 0 ? (int)rc : 0;
}

int sbx_landlock_allow(const struct sbx_landlock *ll, const char *path, unsigned access)
{
	long fd;
	int rc;

	if (ll->ruleset_fd < 0)
		return -EINVAL;
	fd = ll_syscall(SYS_openat, AT_FDCWD, (long)path, O_PATH | O_CLOEXEC, 0, 0);
	if (fd < 0)
		return (int)fd;
	rc = sbx_landlock_allow_fd(ll, (int)fd, access);
	ll_syscall(SYS_close, fd, 0, 0, 0, 0);
	return rc;
}

int sbx_landlock_enforce(const struct sbx_landlock *ll)
{
	long rc;

	if (ll->ruleset_fd < 0)
		return -EBADF;
	rc = ll_syscall(SYS_landlock_restrict_self, ll->ruleset_fd, 0, 0, 0, 0);
	return rc < 0 ? (int)rc : 0;
}

void sbx_landlock_release(struct sbx_landlock *ll)
{
	if (!ll || ll->ruleset_fd < 0)
		return;
	close(ll->ruleset_fd);
	ll->ruleset_fd = -1;
}
