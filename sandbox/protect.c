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
 */
#define _GNU_SOURCE
#include "sbx.h"
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int sbx_protect_prepare(const char *root, const char *path, char **created,
                        struct corral_error *err)
{
	size_t rlen = strlen(root);
	char rel[PATH_MAX];
	int rootfd, dirfd, rc = 0;

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

		if (slash)
			*slash = '\0';
		if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
				                      "cannot protect %s: %s", path,
				                      strerror(errno));
				break;
			}
			/* The first missing component: create it, empty. */
			if (mkdirat(dirfd, comp, 0755) < 0) {
				rc = corral_error_set(err, CORRAL_E_SANDBOX, errno,
				                      "cannot protect %s: cannot create %s: %s",
				                      path, comp, strerror(errno));
				break;
			}
			*created = strndup(path, rlen + 1 + (size_t)(comp - rel) + strlen(comp));
			if (!*created)
				rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
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
	if (created)
		rmdir(created); /* fails, harmlessly, if anything was put in it */
}
