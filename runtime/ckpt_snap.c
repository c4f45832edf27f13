/*
 * ckpt_snap.c - snapshotting the workspace: a walk through directory fds
 * (never following a symlink), gitignore rules, the stat cache, and blobs
 * made from raw file bytes (no attribute filters, no hooks, no config).
 */
#define _GNU_SOURCE
#include "ckpt_internal.h"
#include "pathglob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Longest .gitignore or exclude file read; a longer one is not honoured. */
#define CKPT_IGNORE_FILE_MAX (1u * 1024 * 1024)
/* Deepest directory nesting walked. */
#define CKPT_DEPTH_MAX 256

int ckpt_skiplist_add(struct ckpt_skiplist *l, const char *path, enum ckpt_skip_reason r)
{
	l->total++;
	if (l->count >= CKPT_SKIP_MAX)
		return 0;
	if (l->count % 64 == 0) {
		size_t ncap = l->count + 64;
		struct ckpt_skip *n = realloc(l->items, ncap * sizeof(*n));
		if (!n)
			return -1;
		l->items = n;
	}
	if (!(l->items[l->count].path = strdup(path)))
		return -1;
	l->items[l->count++].reason = r;
	return 0;
}

void ckpt_skiplist_release(struct ckpt_skiplist *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].path);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void ckpt_info_release(struct ckpt_info *info)
{
	if (info)
		ckpt_skiplist_release(&info->skipped);
}

/* ---- gitignore ---- */

static int ignore_add(struct ckpt_ignore *ig, const char *base, char *line)
{
	struct ckpt_ignore_pat p = {0};
	size_t n;

	/* Trailing spaces are not part of a pattern (unless escaped, which is
	 * rare enough to ignore). */
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\r' || line[n - 1] == '\t'))
		line[--n] = '\0';
	if (!n || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		p.negate = true;
		line++;
		n--;
	} else if (line[0] == '\\') {
		line++;
		n--;
	}
	if (n && line[n - 1] == '/') {
		p.dir_only = true;
		line[--n] = '\0';
	}
	if (!n)
		return 0;
	if (strchr(line, '/'))
		p.anchored = true;
	while (line[0] == '/')
		line++;
	if (!line[0])
		return 0;
	if (ig->count == ig->cap) {
		size_t ncap = ig->cap ? ig->cap * 2 : 32;
		struct ckpt_ignore_pat *np = realloc(ig->pats, ncap * sizeof(*np));
		if (!np)
			return -1;
		ig->pats = np;
		ig->cap = ncap;
	}
	if (!(p.pat = strdup(line)) || !(p.base = strdup(base))) {
		free(p.pat);
		return -1;
	}
	p.baselen = strlen(base);
	ig->pats[ig->count++] = p;
	return 0;
}

/* Add every line of @text (modified in place). */
static int ignore_add_text(struct ckpt_ignore *ig, const char *base, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (ignore_add(ig, base, line) < 0)
			return -1;
	return 0;
}

/* Read a rule file at @dfd/@name (not following a symlink) into @ig. */
static int ignore_load_at(struct ckpt_ignore *ig, int dfd, const char *name, const char *base)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	char *buf;
	ssize_t n;
	int rc;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CKPT_IGNORE_FILE_MAX ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return 0;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	rc = ignore_add_text(ig, base, buf);
	free(buf);
	return rc;
}

static void ignore_truncate(struct ckpt_ignore *ig, size_t count)
{
	while (ig->count > count) {
		ig->count--;
		free(ig->pats[ig->count].pat);
		free(ig->pats[ig->count].base);
	}
}

static bool pat_match(const struct ckpt_ignore_pat *p, const char *rel, bool is_dir)
{
	const char *sub;

	if (p->dir_only && !is_dir)
		return false;
	if (strncmp(rel, p->base, p->baselen) != 0)
		return false;
	sub = rel + p->baselen;
	if (p->anchored && !strchr(p->pat, '/'))
		return fnmatch(p->pat, sub, FNM_PATHNAME | FNM_PERIOD) == 0 ||
		       fnmatch(p->pat, sub, FNM_PATHNAME) == 0;
	if (!p->anchored) {
		const char *last = strrchr(sub, '/');
		return fnmatch(p->pat, last ? last + 1 : sub, 0) == 0;
	}
	return pathglob_match(p->pat, sub, is_dir);
}

/* Last match wins, as in git. */
static bool ignore_match(const struct ckpt_ignore *ig, const char *rel, bool is_dir)
{
	for (size_t i = ig->count; i-- > 0;)
		if (pat_match(&ig->pats[i], rel, is_dir))
			return !ig->pats[i].negate;
	return false;
}

/* ---- the walk ---- */

struct walk_entry {
	char *path;
	struct stat st;
	git_oid oid;
	uint16_t mode;
};

struct walk {
	struct ckpt_store *s;
	struct ckpt_ignore ign;     /* .gitignore files and .git/info/exclude */
	struct ckpt_ignore exclude; /* checkpoint.exclude: no negation wins over it */
	struct walk_entry *entries;
	size_t count, cap;
	size_t misses; /* entries the cache could not vouch for */
	size_t hashed;
	struct timespec index_mtime;
	struct ckpt_skiplist *skipped;
	char path[PATH_MAX];
	int depth;
};

static int nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Does the cache entry still describe the file? An entry whose mtime is not
 * older than the cache file itself may have changed within the same tick
 * after it was hashed (the racy-git case), so it does not count. */
static bool cache_hit(const struct walk *w, const git_index_entry *e, const struct stat *st,
                      uint16_t mode)
{
	return e && e->mode == mode && e->file_size == (uint32_t)st->st_size &&
	       e->mtime.seconds == (int32_t)st->st_mtim.tv_sec &&
	       e->mtime.nanoseconds == (uint32_t)st->st_mtim.tv_nsec &&
	       e->ctime.seconds == (int32_t)st->st_ctim.tv_sec &&
	       e->ctime.nanoseconds == (uint32_t)st->st_ctim.tv_nsec &&
	       e->ino == (uint32_t)st->st_ino && e->dev == (uint32_t)st->st_dev &&
	       ts_before(&st->st_mtim, &w->index_mtime);
}

static int blob_of_file(struct walk *w, int dfd, const char *name, const struct stat *st,
                        git_oid *oid, bool *unreadable, struct corral_error *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	size_t want = (size_t)st->st_size, got = 0;
	char *buf;
	struct stat now;

	if (fd < 0) {
		*unreadable = true;
		return 0;
	}
	if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode)) {
		close(fd);
		*unreadable = true;
		return 0;
	}
	/* Read what is there, up to the cap: a file that grows meanwhile is
	 * captured as far as the cap allows. */
	if (!(buf = malloc(want + 1))) {
		close(fd);
		return nomem(err);
	}
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			*unreadable = true;
			return 0;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (git_blob_create_from_buffer(oid, w->s->repo, buf, got) < 0) {
		free(buf);
		return ckpt_git_error(err, "cannot store a file");
	}
	free(buf);
	w->hashed++;
	return 0;
}

static int blob_of_link(struct walk *w, int dfd, const char *name, git_oid *oid, bool *unreadable,
                        struct corral_error *err)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target));

	if (n < 0 || n == (ssize_t)sizeof(target)) {
		*unreadable = true;
		return 0;
	}
	if (git_blob_create_from_buffer(oid, w->s->repo, target, (size_t)n) < 0)
		return ckpt_git_error(err, "cannot store a symlink");
	w->hashed++;
	return 0;
}

static int add_entry(struct walk *w, const char *path, const struct stat *st, const git_oid *oid,
                     uint16_t mode)
{
	if (w->count == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		struct walk_entry *n = realloc(w->entries, ncap * sizeof(*n));
		if (!n)
			return -1;
		w->entries = n;
		w->cap = ncap;
	}
	if (!(w->entries[w->count].path = strdup(path)))
		return -1;
	w->entries[w->count].st = *st;
	git_oid_cpy(&w->entries[w->count].oid, oid);
	w->entries[w->count].mode = mode;
	w->count++;
	return 0;
}

static int skip(struct walk *w, const char *rel, bool is_dir, enum ckpt_skip_reason r,
                struct corral_error *err)
{
	char buf[PATH_MAX + 1];

	snprintf(buf, sizeof(buf), "%s%s", rel, is_dir ? "/" : "");
	if (ckpt_skiplist_add(w->skipped, buf, r) < 0)
		return nomem(err);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct walk *w, int dfd, git_oid *tree, struct corral_error *err);

static int walk_one(struct walk *w, int dfd, const char *name, git_treebuilder *tb,
                    struct corral_error *err)
{
	size_t plen = strlen(w->path), nlen = strlen(name);
	const git_index_entry *ce;
	struct stat st, gst;
	bool unreadable = false;
	git_oid oid;
	uint16_t mode;
	int rc = 0;

	if (plen + nlen + 2 >= sizeof(w->path))
		return corral_error_set(err, CORRAL_E_LIMIT, 0,
		                        "a path under %s is longer than %d bytes: %s%s",
		                        w->s->workspace, PATH_MAX, w->path, name);
	memcpy(w->path + plen, name, nlen + 1);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			goto out; /* gone since readdir */
		rc = skip(w, w->path, false, CKPT_SKIP_UNREADABLE, err);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		int sub;
		if (st.st_dev == w->s->state_dev && st.st_ino == w->s->state_ino) {
			rc = skip(w, w->path, true, CKPT_SKIP_STATE, err);
			goto out;
		}
		if (ignore_match(&w->exclude, w->path, true) ||
		    ignore_match(&w->ign, w->path, true)) {
			rc = skip(w, w->path, true, CKPT_SKIP_IGNORED, err);
			goto out;
		}
		sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			rc = skip(w, w->path, true, CKPT_SKIP_UNREADABLE, err);
			goto out;
		}
		/* A directory with its own .git is another repository: a
		 * boundary, never entered and never renamed. */
		if (fstatat(sub, ".git", &gst, AT_SYMLINK_NOFOLLOW) == 0) {
			close(sub);
			rc = skip(w, w->path, true, CKPT_SKIP_NESTED_REPO, err);
			goto out;
		}
		if (w->depth >= CKPT_DEPTH_MAX) {
			close(sub);
			rc = corral_error_set(err, CORRAL_E_LIMIT, 0,
			                      "%s is nested deeper than %d directories", w->path,
			                      CKPT_DEPTH_MAX);
			goto out;
		}
		strcat(w->path, "/");
		w->depth++;
		rc = walk_dir(w, sub, &oid, err);
		w->depth--;
		close(sub);
		w->path[plen + nlen] = '\0';
		if (rc == 0 && git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_TREE) < 0)
			rc = ckpt_git_error(err, "cannot build a tree");
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		if (!ignore_match(&w->ign, w->path, false))
			rc = skip(w, w->path, false, CKPT_SKIP_SPECIAL, err);
		goto out;
	}
	if (ignore_match(&w->exclude, w->path, false) || ignore_match(&w->ign, w->path, false)) {
		rc = skip(w, w->path, false, CKPT_SKIP_IGNORED, err);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > w->s->max_file_size) {
		rc = skip(w, w->path, false, CKPT_SKIP_TOO_LARGE, err);
		goto out;
	}
	mode = S_ISLNK(st.st_mode)      ? GIT_FILEMODE_LINK
	       : (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE
	                                : GIT_FILEMODE_BLOB;
	ce = git_index_get_bypath(w->s->index, w->path, 0);
	if (cache_hit(w, ce, &st, mode)) {
		git_oid_cpy(&oid, &ce->id);
	} else {
		w->misses++;
		rc = S_ISLNK(st.st_mode) ? blob_of_link(w, dfd, name, &oid, &unreadable, err)
		                         : blob_of_file(w, dfd, name, &st, &oid, &unreadable, err);
		if (rc < 0)
			goto out;
		if (unreadable) {
			rc = skip(w, w->path, false, CKPT_SKIP_UNREADABLE, err);
			goto out;
		}
	}
	if (add_entry(w, w->path, &st, &oid, mode) < 0) {
		rc = nomem(err);
		goto out;
	}
	if (git_treebuilder_insert(NULL, tb, name, &oid, mode) < 0)
		rc = ckpt_git_error(err, "cannot build a tree");
out:
	w->path[plen] = '\0';
	return rc;
}

static int walk_dir(struct walk *w, int dfd, git_oid *tree, struct corral_error *err)
{
	size_t mark = w->ign.count, n = 0, cap = 0;
	git_treebuilder *tb = NULL;
	char **names = NULL;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (ignore_load_at(&w->ign, dfd, ".gitignore", w->path) < 0)
		return nomem(err);
	if ((fd = dup(dfd)) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return corral_error_set(err, CORRAL_E_IO, errno, "cannot read the directory %s/%s",
		                        w->s->workspace, w->path);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* The workspace's own repository is never part of a snapshot. */
		if (w->depth == 0 && strcmp(de->d_name, ".git") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (!nn) {
				rc = nomem(err);
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = nomem(err);
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	if (git_treebuilder_new(&tb, w->s->repo, NULL) < 0) {
		rc = ckpt_git_error(err, "cannot build a tree");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_one(w, dfd, names[i], tb, err);
	if (rc == 0 && git_treebuilder_write(tree, tb) < 0)
		rc = ckpt_git_error(err, "cannot write a tree");
out:
	git_treebuilder_free(tb);
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ignore_truncate(&w->ign, mark);
	return rc;
}

/* Replace the stat cache with what the walk saw, when it differs. */
static int cache_write(struct walk *w, struct corral_error *err)
{
	if (w->misses == 0 && w->count == git_index_entrycount(w->s->index))
		return 0;
	git_index_clear(w->s->index);
	for (size_t i = 0; i < w->count; i++) {
		const struct walk_entry *we = &w->entries[i];
		git_index_entry e = {0};
		e.ctime.seconds = (int32_t)we->st.st_ctim.tv_sec;
		e.ctime.nanoseconds = (uint32_t)we->st.st_ctim.tv_nsec;
		e.mtime.seconds = (int32_t)we->st.st_mtim.tv_sec;
		e.mtime.nanoseconds = (uint32_t)we->st.st_mtim.tv_nsec;
		e.dev = (uint32_t)we->st.st_dev;
		e.ino = (uint32_t)we->st.st_ino;
		e.mode = we->mode;
		e.uid = (uint32_t)we->st.st_uid;
		e.gid = (uint32_t)we->st.st_gid;
		e.file_size = (uint32_t)we->st.st_size;
		git_oid_cpy(&e.id, &we->oid);
		e.path = we->path;
		if (git_index_add(w->s->index, &e) < 0)
			return ckpt_git_error(err, "cannot update the stat cache");
	}
	if (git_index_write(w->s->index) < 0)
		return ckpt_git_error(err, "cannot write the stat cache");
	return 0;
}

static void walk_release(struct walk *w)
{
	ignore_truncate(&w->ign, 0);
	ignore_truncate(&w->exclude, 0);
	free(w->ign.pats);
	free(w->exclude.pats);
	for (size_t i = 0; i < w->count; i++)
		free(w->entries[i].path);
	free(w->entries);
}

static int walk_setup(struct walk *w, struct corral_error *err)
{
	char *idx = ckpt_path(w->s->dir, "index");
	struct stat st;
	int gitfd, infofd;

	if (!idx)
		return nomem(err);
	/* The cache file's mtime decides which entries are racy. */
	if (stat(idx, &st) == 0)
		w->index_mtime = st.st_mtim;
	free(idx);
	if (git_index_read(w->s->index, 0) < 0)
		return ckpt_git_error(err, "cannot read the stat cache");
	for (size_t i = 0; i < w->s->exclude_count; i++) {
		char *copy = strdup(w->s->exclude[i]);
		if (!copy || ignore_add(&w->exclude, "", copy) < 0) {
			free(copy);
			return nomem(err);
		}
		free(copy);
	}
	gitfd = openat(w->s->ws_fd, ".git", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gitfd >= 0) {
		infofd = openat(gitfd, "info", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (infofd >= 0) {
			if (ignore_load_at(&w->ign, infofd, "exclude", "") < 0) {
				close(infofd);
				close(gitfd);
				return nomem(err);
			}
			close(infofd);
		}
		close(gitfd);
	}
	return 0;
}

/* A run name for a session that did not name one: the local time and pid. */
static void default_run(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	snprintf(buf, size, "%04d%02d%02d-%02d%02d%02d-%d", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid());
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The commit message: the call, then one "skipped:" line per skipped path
 * (restore reads them back to keep what a checkpoint did not capture). */
static char *commit_message(const struct ckpt_entry *e, const struct ckpt_skiplist *sk)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);

	if (!f)
		return NULL;
	fprintf(f, "checkpoint %s %s\n\nrun: %s\ncall: %s\ntool: %s\nargs: %s\nhead: %s\n", e->run,
	        e->call_id, e->run, e->call_id, e->tool, e->args, e->head);
	for (size_t i = 0; i < sk->count; i++) {
		if (strchr(sk->items[i].path, '\n'))
			continue;
		fprintf(f, "skipped: %s %s\n", ckpt_skip_reason_name(sk->items[i].reason),
		        sk->items[i].path);
	}
	/* A newline in a name cannot be listed; say the list is incomplete so
	 * that restore keeps everything it did not see. */
	if (sk->total > sk->count)
		fprintf(f, "skipped-truncated: %zu\n", sk->total);
	for (size_t i = 0; i < sk->count; i++)
		if (strchr(sk->items[i].path, '\n')) {
			fprintf(f, "skipped-truncated: %zu\n", sk->total);
			break;
		}
	if (fclose(f) != 0) {
		free(msg);
		return NULL;
	}
	return msg;
}

static int last_entry(struct ckpt_store *s, uint64_t *seq, char state[CKPT_OID_HEX],
                      struct corral_error *err)
{
	struct ckpt_entry e;
	bool found;
	int rc = ckpt_journal_last(s, &e, &found, err);

	if (rc < 0)
		return rc;
	state[0] = '\0';
	*seq = 0;
	if (found) {
		snprintf(state, CKPT_OID_HEX, "%s", ckpt_entry_state(&e));
		*seq = e.seq;
		ckpt_entry_release(&e);
	}
	return 0;
}

int ckpt_snapshot(struct ckpt_store *s, const struct ckpt_call *call, enum ckpt_kind kind,
                  const char *target, bool journal, git_oid *tree_out, struct ckpt_info *info,
                  struct corral_error *err)
{
	struct ckpt_skiplist skipped = {0};
	struct walk w = {.s = s, .skipped = &skipped};
	char state[CKPT_OID_HEX], run[64], call_id[64], head[256], hex[CKPT_OID_HEX];
	struct ckpt_entry e = {0};
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_tree *tree = NULL;
	git_oid root, commit;
	uint64_t seq = 0;
	char *msg = NULL, *refname = NULL;
	bool same = false;
	int rc;

	if ((rc = walk_setup(&w, err)) < 0 || (rc = walk_dir(&w, s->ws_fd, &root, err)) < 0)
		goto out;
	ckpt_fault("take-walk");
	if (tree_out)
		git_oid_cpy(tree_out, &root);
	if (!call) {
		/* Only a tree: the cache may still be refreshed. */
		if ((rc = cache_write(&w, err)) == 0 && info) {
			memset(info, 0, sizeof(*info));
			info->files = w.count;
			info->hashed = w.hashed;
			info->skipped = skipped;
			memset(&skipped, 0, sizeof(skipped));
		}
		goto out;
	}
	if ((rc = last_entry(s, &seq, state, err)) < 0)
		goto out;
	if (state[0]) {
		git_oid last;
		git_tree *lt = NULL;
		if (git_oid_fromstr(&last, state) == 0 &&
		    ckpt_commit_tree(s, &last, &lt, err) == 0) {
			same = git_oid_equal(git_tree_id(lt), &root);
			git_tree_free(lt);
		}
		corral_error_clear(err);
	}
	ckpt_fault("take-tree");
	if (call->run)
		snprintf(run, sizeof(run), "%s", call->run);
	else
		default_run(run, sizeof(run));
	if (call->call_id)
		snprintf(call_id, sizeof(call_id), "%s", call->call_id);
	else
		snprintf(call_id, sizeof(call_id), "c%llu", (unsigned long long)(seq + 1));
	ckpt_user_head(s->ws_fd, head, sizeof(head));
	e.seq = seq + 1;
	e.kind = kind;
	e.time_ms = now_ms();
	e.run = run;
	e.call_id = call_id;
	e.tool = (char *)(call->tool ? call->tool : "");
	e.args = (char *)(call->args_digest ? call->args_digest : "");
	e.head = head;
	if (target)
		snprintf(e.target, sizeof(e.target), "%s", target);
	if (same) {
		snprintf(e.commit, sizeof(e.commit), "%s", state);
	} else {
		if (!(msg = commit_message(&e, &skipped))) {
			rc = nomem(err);
			goto out;
		}
		if (git_signature_new(&sig, "corral", "corral@localhost", e.time_ms / 1000, 0) <
		        0 ||
		    git_tree_lookup(&tree, s->repo, &root) < 0 ||
		    git_commit_create(&commit, s->repo, NULL, sig, sig, NULL, msg, tree, 0, NULL) <
		        0) {
			rc = ckpt_git_error(err, "cannot write a checkpoint");
			goto out;
		}
		ckpt_fault("take-commit");
		git_oid_tostr(hex, sizeof(hex), &commit);
		if (asprintf(&refname, "refs/checkpoints/%s", hex) < 0) {
			refname = NULL;
			rc = nomem(err);
			goto out;
		}
		if (git_reference_create(&ref, s->repo, refname, &commit, 1, "checkpoint") < 0) {
			rc = ckpt_git_error(err, "cannot reference a checkpoint");
			goto out;
		}
		ckpt_fault("take-ref");
		snprintf(e.commit, sizeof(e.commit), "%s", hex);
		e.created = true;
	}
	if ((rc = cache_write(&w, err)) < 0)
		goto out;
	ckpt_fault("take-index");
	if (journal && (rc = ckpt_journal_append(s, &e, err)) < 0)
		goto out;
	if (journal)
		ckpt_fault("take-journal");
	if (info) {
		memset(info, 0, sizeof(*info));
		snprintf(info->commit, sizeof(info->commit), "%s", e.commit);
		snprintf(info->id, sizeof(info->id), "%.*s", CKPT_ID_LEN, e.commit);
		snprintf(info->call_id, sizeof(info->call_id), "%s", call_id);
		snprintf(info->run, sizeof(info->run), "%s", run);
		info->created = e.created;
		info->seq = e.seq;
		info->time_ms = e.time_ms;
		snprintf(info->head, sizeof(info->head), "%s", head);
		info->files = w.count;
		info->hashed = w.hashed;
		info->skipped = skipped;
		memset(&skipped, 0, sizeof(skipped));
	}
out:
	ckpt_skiplist_release(&skipped);
	git_reference_free(ref);
	git_tree_free(tree);
	git_signature_free(sig);
	free(msg);
	free(refname);
	walk_release(&w);
	return rc;
}

int ckpt_take(struct ckpt_store *s, const struct ckpt_call *call, struct ckpt_info *out,
              struct corral_error *err)
{
	struct ckpt_info local;
	int rc;

	if ((rc = ckpt_lock(s, err)) < 0)
		return rc;
	if (!out)
		out = &local;
	rc = ckpt_snapshot(s, call, call->tool && call->tool[0] ? CKPT_KIND_CALL : CKPT_KIND_MANUAL,
	                   NULL, true, NULL, out, err);
	/* Retention runs once the journal names the new checkpoint. */
	if (rc == 0 && (out->seq % CKPT_RETENTION_EVERY == 0 ||
	                (out->created && (s->keep || s->max_age_ms)))) {
		size_t dropped, kept;
		if ((rc = ckpt_retention(s, &dropped, &kept, err)) < 0)
			ckpt_info_release(out);
	}
	if (rc == 0 && out == &local)
		ckpt_info_release(&local);
	ckpt_unlock(s);
	return rc;
}
