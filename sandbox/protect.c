/*
 * protect.c - prepare protected paths that do not exist yet.
 *
 * A protected path (.git/hooks) must stay read-only even if it does not
 * exist when the sandbox starts: otherwise the command could create
 * .git/hooks/pre-commit and run code on the host at the user's next commit.
 * A mount needs something to mount on, so the first missing component is
 * created on the host as an empty directory, mounted read-only inside the
 * sandbox, and removed afterwards if it is still empty. Every lookup refuses
 * symlinks, so a planted link cannot make corral create directories
 * elsewhere on the host.
 *
 * Runs of one process (the MCP server's concurrent calls) share the
 * placeholders: each run that mounts one holds a reference, and only the
 * last run to end removes it. Otherwise the second of two concurrent runs
 * would fail to create it, or the first to end would remove it from under
 * the other, whose mount would then go with it and leave the path
 * unprotected while that run goes on.
 */
#define _GNU_SOURCE
#include "sbx.h"
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROTECT_RETRIES 8 /* lookups of a component another process keeps making */

static pthread_mutex_t placeholders_lock = PTHREAD_MUTEX_INITIALIZER;
static struct placeholder {
	char *path;
	unsigned refs;
} * placeholders;
static size_t nplaceholders;

static struct placeholder *placeholder_find(const char *path, size_t len)
{
	for (size_t i = 0; i < nplaceholders; i++)
		if (strlen(placeholders[i].path) == len &&
		    memcmp(placeholders[i].path, path, len) == 0)
			return &placeholders[i];
	return NULL;
}

/* Record a placeholder just made (@len bytes of @path), with one reference
 * for the caller, whose copy of the path goes to *@created. */
static int placeholder_add(const char *path, size_t len, char **created, struct corral_error *err)
{
	struct placeholder *n = realloc(placeholders, (nplaceholders + 1) * sizeof(*n));

	if (n)
		placeholders = n;
	*created = strndup(path, len);
	if (!n || !*created || !(placeholders[nplaceholders].path = strndup(path, len))) {
		free(*created);
		*created = NULL;
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	}
	placeholders[nplaceholders++].refs = 1;
	return 0;
}

static int protect_walk(const char *root, const char *path, char **created,
                        struct corral_error *err);

int sbx_protect_prepare(const char *root, const char *path, char **created,
                        struct corral_error *err)
{
	int rc;

	pthread_mutex_lock(&placeholders_lock);
	rc = protect_walk(root, path, created, err);
	pthread_mutex_unlock(&placeholders_lock);
	return rc;
}

/* sbx_protect_prepare() with placeholders_lock held. */
static int protect_walk(const char *root, const char *path, char **created,
                        struct corral_error *err)
{
	size_t rlen = strlen(root);
	char rel[PATH_MAX];
	int rootfd, dirfd, rc = 0;
	unsigned retries = 0;

	*created = NULL;
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (strncmp(path, root, rlen) != 0 || path[rlen] != '/' || !path[rlen + 1])
		return corral_error_set(err, CORRAL_E_INTERNAL, EINVAL,
		                        "protected path %s is not under %s", path, root);
	if (strlen(path + rlen + 1) >= sizeof(rel))
		return corral_error_set(err, CORRAL_E_SANDBOX, ENAMETOOLONG, "path too long: %s",
		                        path);
	strcpy(rel, path + rlen + 1);

	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return corral_error_set(err, CORRAL_E_SANDBOX, errno, "cannot open %s: %s", root,
		                        strerror(errno));
	dirfd = rootfd;
	for (char *comp = rel; comp && *comp;) {
		char *slash = strchr(comp, '/');
		struct stat st;
		int next;

		struct placeholder *ph;
		size_t plen;

		if (slash)
			*slash = '\0';
		plen = rlen + 1 + (size_t)(comp - rel) + strlen(comp);
		ph = placeholder_find(path, plen);
		if (ph) {
			/* Another run's placeholder: share it. */
			*created = strndup(path, plen);
			if (!*created)
				rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
			else
				ph->refs++;
			break;
		}
		if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
				                      "cannot protect %s: %s", path,
				                      strerror(errno));
				break;
			}
			/* The first missing component: create it, empty. */
			if (mkdirat(dirfd, comp, 0755) < 0) {
				if (errno == EEXIST && ++retries < PROTECT_RETRIES) {
					/* Made meanwhile by another process: look again. */
					if (slash)
						*slash = '/';
					continue;
				}
				rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
				                      "cannot protect %s: cannot create %s: %s",
				                      path, comp, strerror(errno));
				break;
			}
			rc = placeholder_add(path, plen, created, err);
			if (rc < 0)
				unlinkat(dirfd, comp, AT_REMOVEDIR);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			rc = corral_error_set(err, CORRAL_E_SANDBOX, ELOOP,
			                      "cannot protect %s: %s is a symlink", path, comp);
			break;
		}
		if (!slash || !S_ISDIR(st.st_mode))
			break; /* exists (a file under a file is protected by the file) */
		next = sbx_open_beneath(dirfd, comp, O_PATH | O_DIRECTORY);
		if (next < 0) {
			rc = corral_error_set(err, CORRAL_E_SANDBOX, errno, "cannot protect %s: %s",
			                      path, strerror(errno));
			break;
		}
		if (dirfd != rootfd)
			close(dirfd);
		dirfd = next;
		*slash = '/';
		comp = slash + 1;
	}
	if (dirfd != rootfd)
		close(dirfd);
	close(rootfd);
	return rc;
}

int sbx_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
	};
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

void sbx_protect_cleanup(const char *created)
{
	struct placeholder *ph;

	if (!created)
		return;
	pthread_mutex_lock(&placeholders_lock);
	ph = placeholder_find(created, strlen(created));
	if (ph && --ph->refs > 0) {
		pthread_mutex_unlock(&placeholders_lock);
		return; /* another run still mounts it */
	}
	if (ph) {
		free(ph->path);
		*ph = placeholders[--nplaceholders];
	}
	rmdir(created); /* fails, harmlessly, if anything was put in it */
	pthread_mutex_unlock(&placeholders_lock);
}
