/*
 * compile.c - policy + workspace -> struct sbx_config.
 */
#define _GNU_SOURCE
#include "compile.h"
#include "pathglob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char *plan_strdup(struct sandbox_plan *plan, const char *s, struct corral_error *err)
{
	char **n = realloc(plan->strings, (plan->nstrings + 1) * sizeof(*n));
	char *d;

	if (!n)
		goto nomem;
	plan->strings = n;
	d = strdup(s);
	if (!d)
		goto nomem;
	plan->strings[plan->nstrings++] = d;
	return d;
nomem:
	corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	return NULL;
}

/* Is @path equal to @dir or beneath it? */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Normalise "a/./b/../c" and duplicate slashes, textually, in place. */
static void normalise(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		if (in[0] == '/' && in[1] == '/') {
			in++;
		} else if (in[0] == '/' && in[1] == '.' && (in[2] == '/' || in[2] == '\0')) {
			in += 2;
		} else if (in[0] == '/' && in[1] == '.' && in[2] == '.' &&
		           (in[3] == '/' || in[3] == '\0')) {
			in += 3;
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = *in++;
		}
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

int compile_resolve_path(const char *ws, const char *in, char *out, size_t outlen,
                         const struct policy_loc *loc, struct corral_error *err)
{
	int n;

	if (strcmp(in, ".") == 0)
		n = snprintf(out, outlen, "%s", ws);
	else if (in[0] == '/')
		n = snprintf(out, outlen, "%s", in);
	else if (in[0] == '~' && (in[1] == '/' || in[1] == '\0')) {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/')
			return corral_error_set(err, CORRAL_E_POLICY, 0,
			                        "%s:%d:%d: '%s' needs $HOME, which is not set",
			                        loc->file, loc->line, loc->col, in);
		n = snprintf(out, outlen, "%s%s", home, in + 1);
	} else
		n = snprintf(out, outlen, "%s/%s", ws, in);
	if (n < 0 || (size_t)n >= outlen)
		return corral_error_set(err, CORRAL_E_POLICY, ENAMETOOLONG,
		                        "%s:%d:%d: path too long: %s", loc->file, loc->line,
		                        loc->col, in);
	normalise(out);
	return 0;
}

static int add_mount(struct sandbox_plan *plan, enum sbx_mount_type type, unsigned flags,
                     const char *src, const char *dst, struct corral_error *err)
{
	struct sbx_mount *n;

	if (type == SBX_MOUNT_MASK) {
		for (size_t i = 0; i < plan->nmounts; i++)
			if (plan->mounts[i].type == type && strcmp(plan->mounts[i].dst, dst) == 0)
				return 0; /* hidden once is enough */
	}
	if (plan->nmounts >= COMPILE_MOUNTS_MAX)
		return corral_error_set(err, CORRAL_E_TOOLARGE, 0,
		                        "the policy needs more than %u mounts; hide directories, "
		                        "not thousands of files",
		                        COMPILE_MOUNTS_MAX);
	n = realloc(plan->mounts, (plan->nmounts + 1) * sizeof(*n));
	if (!n)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	plan->mounts = n;
	n = &plan->mounts[plan->nmounts];
	n->type = type;
	n->flags = flags;
	n->src = src ? plan_strdup(plan, src, err) : NULL;
	n->dst = plan_strdup(plan, dst, err);
	if ((src && !n->src) || !n->dst)
		return -CORRAL_E_NOMEM;
	plan->nmounts++;
	return 0;
}

/* The bind (RO or RW) that covers @path most closely, or NULL. */
static const struct sbx_mount *covering_bind(const struct sandbox_plan *plan, const char *path)
{
	const struct sbx_mount *best = NULL;

	for (size_t i = 0; i < plan->nmounts; i++) {
		const struct sbx_mount *m = &plan->mounts[i];
		if (m->type != SBX_MOUNT_RO && m->type != SBX_MOUNT_RW)
			continue;
		if (path_under(path, m->dst) && (!best || strlen(m->dst) > strlen(best->dst)))
			best = m;
	}
	return best;
}

/* Add the read or write paths of @list. */
static int add_binds(struct sandbox_plan *plan, const struct policy_strlist *list, bool rw,
                     struct corral_error *err)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct policy_str *s = &list->items[i];
		char abs[PATH_MAX], target[PATH_MAX];
		const struct sbx_mount *cover;
		struct stat st;
		ssize_t len;
		int rc;

		rc =
		    compile_resolve_path(plan->workspace, s->value, abs, sizeof(abs), &s->loc, err);
		if (rc < 0)
			return rc;
		if (lstat(abs, &st) < 0)
			continue; /* a missing path grants nothing */
		if (S_ISLNK(st.st_mode)) {
			/* /bin -> usr/bin on merged-/usr systems: recreate the link
			 * itself; what it points at is granted on its own. */
			len = readlink(abs, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			rc = add_mount(plan, SBX_MOUNT_SYMLINK, 0, target, abs, err);
			if (rc < 0)
				return rc;
			continue;
		}
		cover = covering_bind(plan, abs);
		if (cover && (cover->type == SBX_MOUNT_RW || !rw))
			continue; /* already granted at least this much */
		if (cover && strcmp(cover->dst, abs) == 0) {
			/* Same path granted read earlier, write now: upgrade. */
			((struct sbx_mount *)cover)->type = SBX_MOUNT_RW;
			continue;
		}
		rc = add_mount(plan, rw ? SBX_MOUNT_RW : SBX_MOUNT_RO, SBX_MOUNT_OPTIONAL, abs, abs,
		               err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_protect(struct sandbox_plan *plan, const char *abs, struct corral_error *err)
{
	const struct sbx_mount *cover = covering_bind(plan, abs);
	char *created = NULL;
	int rc;

	if (!cover || cover->type != SBX_MOUNT_RW || strcmp(cover->dst, abs) == 0)
		return 0; /* not writable anyway, or the whole writable root itself */
	for (size_t i = 0; i < plan->nmounts; i++)
		if (plan->mounts[i].type == SBX_MOUNT_PROTECT &&
		    path_under(abs, plan->mounts[i].dst))
			return 0; /* already inside a protected path */
	rc = sbx_protect_prepare(cover->dst, abs, &created, err);
	if (rc < 0)
		return rc;
	if (created) {
		char **n = realloc(plan->created, (plan->ncreated + 1) * sizeof(*n));
		if (!n) {
			sbx_protect_cleanup(created);
			free(created);
			return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		}
		plan->created = n;
		plan->created[plan->ncreated++] = created;
		/* What was missing is now an empty directory: protecting it
		 * protects everything that could be created beneath it. */
		abs = created;
	}
	return add_mount(plan, SBX_MOUNT_PROTECT, 0, NULL, abs, err);
}

/*
 * A repository can move its hooks out of .git: `core.hooksPath = .husky`
 * makes .husky/pre-commit run on the user's next commit, so that directory
 * must be protected like .git/hooks. Read it from .git/config (which is
 * itself protected): a plain scan for hooksPath in the [core] section. The
 * file is never executed or interpreted beyond that one key.
 */
#define GIT_CONFIG_MAX (1u << 20)

static int protect_links_in(struct sandbox_plan *plan, const char *path, struct corral_error *err);

static int add_hooks_path(struct sandbox_plan *plan, struct corral_error *err)
{
	char path[PATH_MAX], line[PATH_MAX], abs[PATH_MAX];
	bool in_core = false;
	struct stat st;
	FILE *f;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/.git/config", plan->workspace) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > GIT_CONFIG_MAX) {
		close(fd);
		return 0;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *eq, *v, *end;
		if (*p == '[') {
			in_core = strncasecmp(p, "[core]", 6) == 0;
			continue;
		}
		if (!in_core || strncasecmp(p, "hookspath", 9) != 0)
			continue;
		eq = p + 9 + strspn(p + 9, " \t");
		if (*eq != '=')
			continue;
		v = eq + 1 + strspn(eq + 1, " \t\"");
		end = v + strcspn(v, "\"\r\n#;");
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (!*v)
			continue;
		if (v[0] == '/')
			snprintf(abs, sizeof(abs), "%s", v);
		else if (v[0] == '~')
			continue; /* the home directory is not visible */
		else
			snprintf(abs, sizeof(abs), "%s/%s", plan->workspace, v);
		normalise(abs);
		if (path_under(abs, plan->workspace) && strcmp(abs, plan->workspace) != 0) {
			rc = add_protect(plan, abs, err);
			if (rc == 0)
				rc = protect_links_in(plan, abs, err);
		}
	}
	fclose(f);
	return rc;
}

/*
 * Files a shell or git on the host reads and runs at its next start. When
 * the home directory is writable in the sandbox (it is the workspace, or
 * inside a writable path), the existing ones stay read-only: an agent must
 * not leave code that the user's next login runs. Missing ones are not
 * created as placeholders, which would break the user's shells meanwhile.
 */
static const char *const home_startup_files[] = {
    ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile",     ".zshrc",
    ".zshenv", ".zprofile",     ".zlogin",     ".zlogout",     ".cshrc",       ".tcshrc",
    ".kshrc",  ".gitconfig",    ".config/git", ".ssh",         ".config/fish", NULL,
};

static int add_home_startup(struct sandbox_plan *plan, struct corral_error *err)
{
	const char *home = getenv("HOME");
	char real[PATH_MAX], path[PATH_MAX + 64];
	const struct sbx_mount *cover;
	struct stat st;

	if (!home || home[0] != '/' || !realpath(home, real))
		return 0;
	cover = covering_bind(plan, real);
	if (!cover || cover->type != SBX_MOUNT_RW)
		return 0;
	for (size_t i = 0; home_startup_files[i]; i++) {
		int rc;
		char target[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", real, home_startup_files[i]);
		if (lstat(path, &st) < 0)
			continue;
		/* A dotfile manager's symlink: protect what it points at. */
		if (S_ISLNK(st.st_mode)) {
			if (!realpath(path, target))
				continue;
			cover = covering_bind(plan, target);
			if (!cover || cover->type != SBX_MOUNT_RW)
				continue;
			rc = add_protect(plan, target, err);
		} else {
			rc = add_protect(plan, path, err);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Run as root, the sandbox's uid 0 is the host's uid 0 to permission
 * checks on files: it holds no capability, but it owns what root owns. So
 * whatever root keeps from other users under a readable /etc (0600 keys,
 * 0640 shadow files, 0700 directories) is masked, as an unprivileged run
 * would find it unreadable anyway. The walk is bounded and never follows
 * symlinks.
 */
#define ROOT_ONLY_WALK_MAX 20000u
/* The scan costs a stat per entry of /etc (~2 ms): a long-lived process
 * reuses it for this long before looking again. */
#define ROOT_ONLY_RESCAN_S 30

struct path_list {
	char **items;
	size_t count;
};

static void path_list_clear(struct path_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int path_list_add(struct path_list *l, const char *path)
{
	char **n = realloc(l->items, (l->count + 1) * sizeof(*n));

	if (!n)
		return -1;
	l->items = n;
	if (!(l->items[l->count] = strdup(path)))
		return -1;
	l->count++;
	return 0;
}

static int scan_root_only(struct path_list *out, int dirfd, char *path, size_t len, size_t *visited)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d))) {
		size_t nlen = strlen(de->d_name);
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*visited > ROOT_ONLY_WALK_MAX || len + nlen + 2 >= PATH_MAX)
			break;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nlen + 1);
		if (!(st.st_mode & S_IROTH)) {
			rc = path_list_add(out, path);
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = scan_root_only(out, sub, path, len + 1 + nlen, visited);
		}
		path[len] = '\0';
	}
	closedir(d);
	return rc;
}

static pthread_mutex_t root_only_lock = PTHREAD_MUTEX_INITIALIZER;
static struct path_list root_only;
static time_t root_only_when;

static int add_root_only_masks(struct sandbox_plan *plan, struct corral_error *err)
{
	const struct sbx_mount *cover = covering_bind(plan, "/etc");
	time_t now = time(NULL);
	int rc = 0;

	if (geteuid() != 0 || !cover || cover->type != SBX_MOUNT_RO)
		return 0;
	pthread_mutex_lock(&root_only_lock);
	if (!root_only_when || now - root_only_when > ROOT_ONLY_RESCAN_S) {
		char path[PATH_MAX] = "/etc";
		size_t visited = 0;
		int fd = open("/etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		path_list_clear(&root_only);
		if (fd >= 0 && scan_root_only(&root_only, fd, path, strlen(path), &visited) < 0) {
			path_list_clear(&root_only);
			rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		}
		root_only_when = rc == 0 ? now : 0;
	}
	for (size_t i = 0; rc == 0 && i < root_only.count; i++) {
		rc = add_mount(plan, SBX_MOUNT_MASK, 0, NULL, root_only.items[i], err);
		plan->hidden++;
	}
	pthread_mutex_unlock(&root_only_lock);
	return rc;
}

/*
 * A protected hook can be a symlink into the writable workspace
 * (.git/hooks -> ../scripts/hooks, or .git/hooks/pre-commit ->
 * ../../tools/pre-commit, as projects that share their hooks do): the
 * link itself is read-only, but what it points at would still be the
 * agent's to change, and git runs it on the host. Protect the targets too.
 */
#define LINK_SCAN_MAX 1000u

static int protect_link_target(struct sandbox_plan *plan, const char *link,
                               struct corral_error *err)
{
	char target[PATH_MAX];
	const struct sbx_mount *cover;

	if (!realpath(link, target))
		return 0; /* dangling: nothing to protect */
	cover = covering_bind(plan, target);
	if (!cover || cover->type != SBX_MOUNT_RW)
		return 0;
	return add_protect(plan, target, err);
}

static int protect_links_in(struct sandbox_plan *plan, const char *path, struct corral_error *err)
{
	struct stat st;
	struct dirent *de;
	unsigned seen = 0;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode))
		return protect_link_target(plan, path, err);
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while (rc == 0 && (de = readdir(d)) && seen++ < LINK_SCAN_MAX) {
		char entry[PATH_MAX + 256];
		if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		snprintf(entry, sizeof(entry), "%s/%s", path, de->d_name);
		if (lstat(entry, &st) == 0 && S_ISLNK(st.st_mode))
			rc = protect_link_target(plan, entry, err);
	}
	closedir(d);
	return rc;
}

struct walk {
	struct sandbox_plan *plan;
	const struct policy_strlist *globs;
	size_t visited;
	struct corral_error *err;
};

/*
 * Does a hide glob match @rel (whose last component is @name)? "**" + "/NAME"
 * and a bare "NAME" (the common shapes: "**" + "/.env") match the last
 * component at any depth, which one fnmatch() on @name decides: the walk
 * visits every entry of the workspace, so this is its hot path.
 */
static bool hidden_by(const struct policy_strlist *globs, const char *rel, const char *name,
                      bool is_dir)
{
	for (size_t i = 0; i < globs->count; i++) {
		const char *g = globs->items[i].value;
		const char *base = strncmp(g, "**/", 3) == 0 ? g + 3 : g;
		size_t len = strlen(base);
		if (len && !memchr(base, '/', len)) {
			if (fnmatch(base, name, FNM_PERIOD) == 0)
				return true;
			continue;
		}
		if (pathglob_match(g, rel, is_dir))
			return true;
	}
	return false;
}

/* Walk @abs (relative path @rel in the workspace), masking what the hide
 * globs match. Symlinks are never followed. */
static int walk_dir(struct walk *w, int dirfd, char *abs, size_t abslen, char *rel, size_t rellen)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	while ((de = readdir(d))) {
		bool is_dir;
		size_t nlen = strlen(de->d_name);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->visited > COMPILE_WALK_MAX) {
			rc = corral_error_set(w->err, CORRAL_E_TOOLARGE, 0,
			                      "filesystem.hide: the workspace has more than %u "
			                      "entries to search; use hide paths without '**'",
			                      COMPILE_WALK_MAX);
			break;
		}
		if (abslen + nlen + 2 >= PATH_MAX || rellen + nlen + 2 >= PATH_MAX)
			continue;
		is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			is_dir = fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			         S_ISDIR(st.st_mode);
		}
		abs[abslen] = '/';
		memcpy(abs + abslen + 1, de->d_name, nlen + 1);
		if (rellen)
			rel[rellen] = '/';
		memcpy(rel + rellen + (rellen ? 1 : 0), de->d_name, nlen + 1);
		if (hidden_by(w->globs, rel, de->d_name, is_dir)) {
			w->plan->hidden++;
			rc = add_mount(w->plan, SBX_MOUNT_MASK, 0, NULL, abs, w->err);
		} else if (is_dir && strcmp(rel, ".git") != 0) {
			int sub = openat(dirfd, de->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = walk_dir(w, sub, abs, abslen + 1 + nlen, rel,
				              rellen + (rellen ? 1 : 0) + nlen);
		}
		abs[abslen] = '\0';
		rel[rellen] = '\0';
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

static int add_hides(struct sandbox_plan *plan, const struct policy_strlist *hide,
                     struct corral_error *err)
{
	struct policy_strlist globs = {NULL, 0};
	int rc = 0;

	globs.items = calloc(hide->count ? hide->count : 1, sizeof(*globs.items));
	if (!globs.items)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < hide->count; i++) {
		const struct policy_str *s = &hide->items[i];
		char abs[PATH_MAX];

		if (pathglob_has_magic(s->value) && s->value[0] != '/' && s->value[0] != '~') {
			globs.items[globs.count++] = *s;
			continue;
		}
		rc =
		    compile_resolve_path(plan->workspace, s->value, abs, sizeof(abs), &s->loc, err);
		if (rc < 0)
			goto out;
		if (pathglob_has_magic(abs)) {
			/* An absolute glob ("/etc/ssh/ssh_host_*"): expand it now. */
			glob_t g;
			if (glob(abs, GLOB_NOSORT, NULL, &g) == 0) {
				for (size_t k = 0; k < g.gl_pathc && rc == 0; k++) {
					if (!covering_bind(plan, g.gl_pathv[k]))
						continue;
					rc = add_mount(plan, SBX_MOUNT_MASK, 0, NULL, g.gl_pathv[k],
					               err);
					plan->hidden++;
				}
			}
			globfree(&g);
			if (rc < 0)
				goto out;
			continue;
		}
		if (!covering_bind(plan, abs))
			continue; /* not visible at all */
		rc = add_mount(plan, SBX_MOUNT_MASK, 0, NULL, abs, err);
		if (rc < 0)
			goto out;
		plan->hidden++;
	}
	if (globs.count) {
		char abs[PATH_MAX], rel[PATH_MAX];
		struct walk w = {.plan = plan, .globs = &globs, .err = err};
		int fd = open(plan->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot open %s: %s",
			                      plan->workspace, strerror(errno));
			goto out;
		}
		snprintf(abs, sizeof(abs), "%s", plan->workspace);
		rel[0] = '\0';
		rc = walk_dir(&w, fd, abs, strlen(abs), rel, 0);
	}
out:
	free(globs.items);
	return rc;
}

static int add_env(struct sandbox_plan *plan, const char *name, const char *value,
                   struct corral_error *err)
{
	size_t nlen = strlen(name);
	char **n, *entry;

	/* A later entry for the same name replaces the earlier one. */
	for (size_t i = 0; i < plan->nenv; i++) {
		if (strncmp(plan->env[i], name, nlen) == 0 && plan->env[i][nlen] == '=') {
			if (asprintf(&entry, "%s=%s", name, value) < 0)
				goto nomem;
			free(plan->env[i]);
			plan->env[i] = entry;
			return 0;
		}
	}
	n = realloc(plan->env, (plan->nenv + 2) * sizeof(*n));
	if (!n)
		goto nomem;
	plan->env = n;
	if (asprintf(&entry, "%s=%s", name, value) < 0)
		goto nomem;
	plan->env[plan->nenv++] = entry;
	plan->env[plan->nenv] = NULL;
	return 0;
nomem:
	return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
}

static int mount_depth(const struct sbx_mount *m)
{
	int d = 0;

	for (const char *p = m->dst; *p; p++)
		d += *p == '/';
	return d;
}

static int mount_order(const void *a, const void *b)
{
	const struct sbx_mount *x = a, *y = b;
	int dx = mount_depth(x), dy = mount_depth(y);

	/* Parents before children; at one depth, binds before masks and
	 * protections, so those land on top. */
	if (dx != dy)
		return dx - dy;
	if ((x->type == SBX_MOUNT_MASK || x->type == SBX_MOUNT_PROTECT) !=
	    (y->type == SBX_MOUNT_MASK || y->type == SBX_MOUNT_PROTECT))
		return x->type == SBX_MOUNT_MASK || x->type == SBX_MOUNT_PROTECT ? 1 : -1;
	return strcmp(x->dst, y->dst);
}

int sandbox_compile(const struct policy *p, const struct compile_opts *opts,
                    struct sandbox_plan *plan, struct corral_error *err)
{
	char buf[PATH_MAX];
	struct stat st;
	int rc;

	memset(plan, 0, sizeof(*plan));
	sbx_config_init(&plan->cfg);

	plan->workspace = realpath(opts->workspace, NULL);
	if (!plan->workspace)
		return corral_error_set(err, CORRAL_E_NOTFOUND, errno, "workspace %s: %s",
		                        opts->workspace, strerror(errno));
	if (stat(plan->workspace, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rc = corral_error_set(err, CORRAL_E_USAGE, ENOTDIR,
		                      "workspace %s is not a directory", plan->workspace);
		goto fail;
	}
	if (strcmp(plan->workspace, "/") == 0) {
		rc = corral_error_set(err, CORRAL_E_USAGE, EINVAL,
		                      "the workspace cannot be / (it would expose the whole "
		                      "filesystem); choose a project directory");
		goto fail;
	}

	/* Reads first, then writes, so a write can upgrade a read. */
	if ((rc = add_binds(plan, &p->filesystem.read, false, err)) < 0 ||
	    (rc = add_binds(plan, &p->filesystem.write, true, err)) < 0)
		goto fail;

	/* Protected paths: the policy's, its own files, corral's state. */
	for (size_t i = 0; i < p->filesystem.protect.count; i++) {
		const struct policy_str *s = &p->filesystem.protect.items[i];
		rc =
		    compile_resolve_path(plan->workspace, s->value, buf, sizeof(buf), &s->loc, err);
		if (rc < 0 || (rc = add_protect(plan, buf, err)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		if (p->files[i][0] != '/')
			continue; /* a shipped profile, not a file */
		if ((rc = add_protect(plan, p->files[i], err)) < 0)
			goto fail;
	}
	if (opts->state_dir && (rc = add_protect(plan, opts->state_dir, err)) < 0)
		goto fail;
	if ((rc = add_hooks_path(plan, err)) < 0 || (rc = add_home_startup(plan, err)) < 0)
		goto fail;
	{
		static const char *const git_links[] = {".git/hooks", ".git/config"};
		for (size_t i = 0; i < 2; i++) {
			snprintf(buf, sizeof(buf), "%s/%s", plan->workspace, git_links[i]);
			if ((rc = protect_links_in(plan, buf, err)) < 0)
				goto fail;
		}
	}

	if ((rc = add_hides(plan, &p->filesystem.hide, err)) < 0 ||
	    (rc = add_root_only_masks(plan, err)) < 0)
		goto fail;

	if (plan->nmounts)
		qsort(plan->mounts, plan->nmounts, sizeof(*plan->mounts), mount_order);

	/* Environment: only what the policy names. */
	plan->env = calloc(1, sizeof(*plan->env));
	if (!plan->env) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < p->env.pass.count; i++) {
		const char *v = getenv(p->env.pass.items[i].value);
		if (v && (rc = add_env(plan, p->env.pass.items[i].value, v, err)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < p->env.nset; i++)
		if ((rc = add_env(plan, p->env.set[i].name, p->env.set[i].value, err)) < 0)
			goto fail;

	plan->cfg.argv = opts->argv;
	plan->cfg.envp = plan->env;
	plan->cfg.cwd = opts->cwd ? opts->cwd : plan->workspace;
	plan->cfg.mounts = plan->mounts;
	plan->cfg.nmounts = plan->nmounts;
	plan->cfg.share_net = p->network.mode == POLICY_NET_HOST;
	plan->cfg.allow_unix_sockets = p->network.unix_sockets;
	if (p->network.mode == POLICY_NET_PROXY) {
		rc = corral_error_set(err, CORRAL_E_UNSUPPORTED, 0,
		                      "network mode 'proxy' is not available in this version; "
		                      "use 'none' or 'host'");
		goto fail;
	}
	plan->cfg.limits.timeout_ms = opts->timeout_ms ? opts->timeout_ms : p->limits.timeout_ms;
	plan->cfg.limits.memory = p->limits.memory;
	plan->cfg.limits.file_size = p->limits.file_size;
	plan->cfg.limits.tmp_size = p->limits.tmp_size;
	plan->cfg.limits.output = p->limits.output;
	plan->cfg.limits.processes = p->limits.processes;
	plan->cfg.limits.open_files = p->limits.open_files;
	return 0;
fail:
	sandbox_plan_release(plan);
	return rc;
}

void sandbox_plan_release(struct sandbox_plan *plan)
{
	if (!plan)
		return;
	/* Children first: a created directory may sit inside another. */
	for (size_t i = plan->ncreated; i-- > 0;) {
		sbx_protect_cleanup(plan->created[i]);
		free(plan->created[i]);
	}
	free(plan->created);
	for (size_t i = 0; i < plan->nstrings; i++)
		free(plan->strings[i]);
	free(plan->strings);
	for (size_t i = 0; i < plan->nenv; i++)
		free(plan->env[i]);
	free(plan->env);
	free(plan->mounts);
	free(plan->workspace);
	memset(plan, 0, sizeof(*plan));
}
