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
#include <pthread.h>
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
/* A directory with at least this many entries has half of them lstat()ed by
 * a second thread: lstat is most of a walk where nothing changed. */
#define CKPT_PAR_STAT_MIN 64
/* The tree cache: "trees" in the store, written beside the stat cache. */
#define CKPT_TREES_FILE  "trees"
#define CKPT_TREES_TMP   "tmp_trees" /* swept by clean_stale if left behind */
#define CKPT_TREES_MAGIC "CTREES1\n"
/* Largest tree cache read; a larger one is ignored (every tree is rebuilt). */
#define CKPT_TREES_FILE_MAX (256u * 1024 * 1024)

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

/* One directory of the last walk: its tree and how many entries it had. */
struct dir_rec {
	char *path; /* relative, with its trailing '/'; "" for the root */
	git_oid oid;
	uint32_t count;
};

/*
 * The trees of the last walk, by directory. A directory whose captured
 * entries all hit the stat cache, whose subdirectories all kept their
 * trees, and which has as many entries as it had, has exactly the entries
 * of its last tree (each one found there, none more), so it keeps that
 * tree's id without building it again. The cache is valid only for the
 * stat cache it was written with (the stamp of that write), so a crash between the two writes, or a
 * stat cache written by anything else, only costs a rebuild.
 */
struct dir_cache {
	struct dir_rec *recs;
	size_t count;
	size_t *slots; /* open addressing: index + 1 into recs, 0 free */
	size_t nslots;
	unsigned char stamp[CKPT_STAMP_LEN];
	bool loaded;
};

/* The result of one fstatat() of a directory entry. */
struct pre_stat {
	struct stat st;
	int err; /* errno, 0 when it succeeded */
};

/*
 * The second thread: it fstatat()s names[from..to) relative to dfd into
 * pre[] while the walk does the first half, then says it is done. It only
 * ever stats (the same call the walk made itself); the walk decides
 * everything from the results, in order.
 */
struct stat_helper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, has_job, done, quit;
	int dfd;
	char **names;
	struct pre_stat *pre;
	size_t from, to;
};

struct walk {
	struct ckpt_store *s;
	struct stat_helper helper;
	struct dir_cache prev; /* the trees of the last walk */
	struct dir_rec *dirs;  /* the trees of this walk */
	size_t ndirs, capdirs;
	size_t rebuilt;                  /* directories whose tree was built again */
	struct ckpt_ignore ign;          /* .gitignore files and .git/info/exclude */
	struct ckpt_ignore exclude;      /* checkpoint.exclude: no negation wins over it */
	struct ckpt_stat_entry *entries; /* paths owned */
	size_t count, cap;
	size_t misses; /* entries the cache could not vouch for */
	size_t hashed;
	struct ckpt_skiplist *skipped;
	char path[PATH_MAX];
	int depth;
};

static int nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

/* ---- the stat helper ---- */

static void stat_range(int dfd, char **names, struct pre_stat *pre, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		pre[i].err =
		    fstatat(dfd, names[i], &pre[i].st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
}

static void *helper_main(void *arg)
{
	struct stat_helper *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->has_job && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->quit)
			break;
		pthread_mutex_unlock(&h->mu);
		stat_range(h->dfd, h->names, h->pre, h->from, h->to);
		pthread_mutex_lock(&h->mu);
		h->has_job = false;
		h->done = true;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Stat every name of a directory, half of a large one on the helper (if it
 * cannot be started, all on this thread). */
static void stat_all(struct walk *w, int dfd, char **names, struct pre_stat *pre, size_t n)
{
	struct stat_helper *h = &w->helper;

	if (n < CKPT_PAR_STAT_MIN) {
		stat_range(dfd, names, pre, 0, n);
		return;
	}
	if (!h->started) {
		pthread_mutex_init(&h->mu, NULL);
		pthread_cond_init(&h->cv, NULL);
		if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
			pthread_mutex_destroy(&h->mu);
			pthread_cond_destroy(&h->cv);
			stat_range(dfd, names, pre, 0, n);
			return;
		}
		h->started = true;
	}
	pthread_mutex_lock(&h->mu);
	h->dfd = dfd;
	h->names = names;
	h->pre = pre;
	h->from = n / 2;
	h->to = n;
	h->done = false;
	h->has_job = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	stat_range(dfd, names, pre, 0, n / 2);
	pthread_mutex_lock(&h->mu);
	while (!h->done)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

static void helper_stop(struct stat_helper *h)
{
	if (!h->started)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = true;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	memset(h, 0, sizeof(*h));
}

/* ---- the tree cache ---- */

static uint64_t path_hash(const char *p)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static const struct dir_rec *dir_cache_find(const struct dir_cache *c, const char *path)
{
	if (!c->nslots)
		return NULL;
	for (size_t i = path_hash(path) & (c->nslots - 1);; i = (i + 1) & (c->nslots - 1)) {
		size_t v = c->slots[i];
		if (!v)
			return NULL;
		if (strcmp(c->recs[v - 1].path, path) == 0)
			return &c->recs[v - 1];
	}
}

static void dir_recs_free(struct dir_rec *recs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(recs[i].path);
	free(recs);
}

static void dir_cache_release(struct dir_cache *c)
{
	dir_recs_free(c->recs, c->count);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

/* Read the tree cache; any problem with it leaves the cache empty (every
 * tree is then built), since it only saves work. */
static int dir_cache_load(struct walk *w)
{
	struct dir_cache *c = &w->prev;
	unsigned char stamp[CKPT_STAMP_LEN];
	const size_t hdr = sizeof(CKPT_TREES_MAGIC) - 1 + CKPT_STAMP_LEN;
	char *p = ckpt_path(w->s->dir, CKPT_TREES_FILE), *buf = NULL;
	size_t len = 0, off, cap = 0;
	struct stat st;
	int fd = -1, rc = 0;

	if (!p)
		return -1;
	if (!ckpt_stat_stamp(w->s, stamp))
		goto out;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < hdr ||
	    (uint64_t)st.st_size > CKPT_TREES_FILE_MAX)
		goto out;
	if (!(buf = malloc((size_t)st.st_size))) {
		rc = -1;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		len += (size_t)n;
	}
	if (memcmp(buf, CKPT_TREES_MAGIC, sizeof(CKPT_TREES_MAGIC) - 1) != 0 ||
	    memcmp(buf + sizeof(CKPT_TREES_MAGIC) - 1, stamp, CKPT_STAMP_LEN) != 0)
		goto out;
	/* Records: 20-byte id, then count and path length (uint32, host
	 * order: the file never leaves this machine), then the path. */
	for (off = hdr; off < len;) {
		uint32_t count, plen;
		struct dir_rec *r;
		if (len - off < GIT_OID_RAWSZ + 8)
			goto bad;
		memcpy(&count, buf + off + GIT_OID_RAWSZ, 4);
		memcpy(&plen, buf + off + GIT_OID_RAWSZ + 4, 4);
		if (plen >= PATH_MAX || len - off - GIT_OID_RAWSZ - 8 < plen ||
		    memchr(buf + off + GIT_OID_RAWSZ + 8, '\0', plen))
			goto bad;
		if (c->count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct dir_rec *nr = realloc(c->recs, ncap * sizeof(*nr));
			if (!nr) {
				rc = -1;
				goto bad;
			}
			c->recs = nr;
			cap = ncap;
		}
		r = &c->recs[c->count];
		if (!(r->path = strndup(buf + off + GIT_OID_RAWSZ + 8, plen))) {
			rc = -1;
			goto bad;
		}
		git_oid_fromraw(&r->oid, (const unsigned char *)buf + off);
		r->count = count;
		c->count++;
		off += GIT_OID_RAWSZ + 8 + plen;
	}
	for (c->nslots = 64; c->nslots < c->count * 2; c->nslots *= 2)
		;
	if (!(c->slots = calloc(c->nslots, sizeof(*c->slots)))) {
		rc = -1;
		goto bad;
	}
	for (size_t i = 0; i < c->count; i++) {
		size_t j = path_hash(c->recs[i].path) & (c->nslots - 1);
		while (c->slots[j])
			j = (j + 1) & (c->nslots - 1);
		c->slots[j] = i + 1;
	}
	memcpy(c->stamp, stamp, CKPT_STAMP_LEN);
	c->loaded = true;
	goto out;
bad:
	dir_cache_release(c);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(p);
	return rc;
}

void ckpt_trees_forget(struct ckpt_store *s)
{
	char *p = ckpt_path(s->dir, CKPT_TREES_FILE);

	if (p)
		unlink(p);
	free(p);
}

/* Remember one directory's tree for the next walk. */
static int dir_add(struct walk *w, const git_oid *oid, uint32_t count)
{
	if (w->ndirs == w->capdirs) {
		size_t ncap = w->capdirs ? w->capdirs * 2 : 64;
		struct dir_rec *n = realloc(w->dirs, ncap * sizeof(*n));
		if (!n)
			return -1;
		w->dirs = n;
		w->capdirs = ncap;
	}
	if (!(w->dirs[w->ndirs].path = strdup(w->path)))
		return -1;
	git_oid_cpy(&w->dirs[w->ndirs].oid, oid);
	w->dirs[w->ndirs].count = count;
	w->ndirs++;
	return 0;
}

/*
 * Write this walk's trees, stamped with the stat cache as it is now, when
 * they differ from the ones read. A temp file renamed over the old one: a
 * reader sees the old cache or the new one. Failing to write it is not an
 * error for the snapshot (the old cache is removed, so nothing stale can be
 * used); it only makes the next walk build every tree.
 */
static void dir_cache_write(struct walk *w)
{
	unsigned char stamp[CKPT_STAMP_LEN];
	char *path = ckpt_path(w->s->dir, CKPT_TREES_FILE);
	char *tmp = ckpt_path(w->s->dir, CKPT_TREES_TMP);
	bool ok = false;
	FILE *f = NULL;
	int fd = -1;

	if (!path || !tmp)
		goto out;
	if (!ckpt_stat_stamp(w->s, stamp)) {
		unlink(path);
		goto out;
	}
	if (w->prev.loaded && w->rebuilt == 0 && w->ndirs == w->prev.count &&
	    memcmp(stamp, w->prev.stamp, CKPT_STAMP_LEN) == 0)
		goto out; /* nothing changed: the cache on disk is this walk's */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		unlink(path);
		goto out;
	}
	fd = -1;
	ok = fwrite(CKPT_TREES_MAGIC, 1, sizeof(CKPT_TREES_MAGIC) - 1, f) ==
	         sizeof(CKPT_TREES_MAGIC) - 1 &&
	     fwrite(stamp, 1, CKPT_STAMP_LEN, f) == CKPT_STAMP_LEN;
	for (size_t i = 0; ok && i < w->ndirs; i++) {
		const struct dir_rec *r = &w->dirs[i];
		uint32_t plen = (uint32_t)strlen(r->path);
		ok = fwrite(r->oid.id, 1, GIT_OID_RAWSZ, f) == GIT_OID_RAWSZ &&
		     fwrite(&r->count, 4, 1, f) == 1 && fwrite(&plen, 4, 1, f) == 1 &&
		     fwrite(r->path, 1, plen, f) == plen;
	}
	if (fclose(f) != 0)
		ok = false;
	f = NULL;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		unlink(path);
	}
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(tmp);
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Does the cache entry still describe the file? An entry whose mtime is not
 * older than the cache file itself may have changed within the same tick
 * after it was hashed (the racy-git case), so it does not count. */
static bool cache_hit(const struct walk *w, const struct ckpt_stat_entry *e, const struct stat *st,
                      uint16_t mode)
{
	return e && e->mode == mode && e->size == (uint64_t)st->st_size &&
	       e->mtime_s == (int64_t)st->st_mtim.tv_sec &&
	       e->mtime_ns == (uint32_t)st->st_mtim.tv_nsec &&
	       e->ctime_s == (int64_t)st->st_ctim.tv_sec &&
	       e->ctime_ns == (uint32_t)st->st_ctim.tv_nsec && e->ino == (uint64_t)st->st_ino &&
	       e->dev == (uint64_t)st->st_dev && ts_before(&st->st_mtim, &w->s->stat.mtime);
}

static int blob_of_file(struct walk *w, int dfd, const char *name, const struct stat *st,
                        git_oid *oid, bool *unreadable, struct corral_error *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	size_t want = (size_t)st->st_size, got = 0;
	char *buf;
	struct stat now;
	int rc;

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
	if ((rc = ckpt_git_open(w->s, err)) < 0) {
		free(buf);
		return rc;
	}
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
	int rc;

	if (n < 0 || n == (ssize_t)sizeof(target)) {
		*unreadable = true;
		return 0;
	}
	if ((rc = ckpt_git_open(w->s, err)) < 0)
		return rc;
	if (git_blob_create_from_buffer(oid, w->s->repo, target, (size_t)n) < 0)
		return ckpt_git_error(err, "cannot store a symlink");
	w->hashed++;
	return 0;
}

static int add_entry(struct walk *w, const char *path, const struct stat *st, const git_oid *oid,
                     uint16_t mode)
{
	struct ckpt_stat_entry *e;

	if (w->count == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		struct ckpt_stat_entry *n = realloc(w->entries, ncap * sizeof(*n));
		if (!n)
			return -1;
		w->entries = n;
		w->cap = ncap;
	}
	e = &w->entries[w->count];
	if (!(e->path = strdup(path)))
		return -1;
	e->mtime_s = (int64_t)st->st_mtim.tv_sec;
	e->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	e->ctime_s = (int64_t)st->st_ctim.tv_sec;
	e->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	e->size = (uint64_t)st->st_size;
	e->ino = (uint64_t)st->st_ino;
	e->dev = (uint64_t)st->st_dev;
	e->mode = mode;
	git_oid_cpy(&e->oid, oid);
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

/* What one directory's walk collects for its tree. */
struct dir_ents {
	struct dir_ent {
		const char *name; /* owned by walk_dir */
		git_oid oid;
		uint16_t mode;
	} * items;
	size_t count, cap;
	bool clean; /* every entry is as the last walk saw it */
};

static int ents_add(struct dir_ents *d, const char *name, const git_oid *oid, uint16_t mode)
{
	if (d->count == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 32;
		struct dir_ent *n = realloc(d->items, ncap * sizeof(*n));
		if (!n)
			return -1;
		d->items = n;
		d->cap = ncap;
	}
	d->items[d->count].name = name;
	git_oid_cpy(&d->items[d->count].oid, oid);
	d->items[d->count].mode = mode;
	d->count++;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, git_oid *tree, bool *kept, struct corral_error *err);

static int walk_one(struct walk *w, int dfd, const char *name, const struct pre_stat *pre,
                    struct dir_ents *de, struct corral_error *err)
{
	size_t plen = strlen(w->path), nlen = strlen(name);
	const struct ckpt_stat_entry *ce;
	struct stat st, gst;
	bool unreadable = false, kept = false;
	git_oid oid;
	uint16_t mode;
	int rc = 0;

	if (plen + nlen + 2 >= sizeof(w->path))
		return corral_error_set(err, CORRAL_E_LIMIT, 0,
		                        "a path under %s is longer than %d bytes: %s%s",
		                        w->s->workspace, PATH_MAX, w->path, name);
	memcpy(w->path + plen, name, nlen + 1);
	st = pre->st;
	if (pre->err) {
		if (pre->err == ENOENT)
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
		rc = walk_dir(w, sub, &oid, &kept, err);
		w->depth--;
		close(sub);
		w->path[plen + nlen] = '\0';
		if (rc == 0 && ents_add(de, name, &oid, GIT_FILEMODE_TREE) < 0)
			rc = nomem(err);
		de->clean = de->clean && kept;
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
	ce = ckpt_stat_find(&w->s->stat, w->path);
	if (cache_hit(w, ce, &st, mode)) {
		git_oid_cpy(&oid, &ce->oid);
	} else {
		w->misses++;
		de->clean = false;
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
	if (ents_add(de, name, &oid, mode) < 0)
		rc = nomem(err);
out:
	w->path[plen] = '\0';
	return rc;
}

/* Walk the directory @dfd (at w->path) into *@tree; *@kept: the tree is
 * the one the last walk made for it (see struct dir_cache). */
static int walk_dir(struct walk *w, int dfd, git_oid *tree, bool *kept, struct corral_error *err)
{
	const struct dir_rec *prev = dir_cache_find(&w->prev, w->path);
	struct dir_ents ents = {.clean = prev != NULL};
	struct pre_stat *pre = NULL;
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
	if (n && !(pre = malloc(n * sizeof(*pre)))) {
		rc = nomem(err);
		goto out;
	}
	stat_all(w, dfd, names, pre, n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_one(w, dfd, names[i], &pre[i], &ents, err);
	if (rc < 0)
		goto out;
	*kept = ents.clean && ents.count == prev->count;
	if (*kept) {
		git_oid_cpy(tree, &prev->oid);
	} else {
		w->rebuilt++;
		if ((rc = ckpt_git_open(w->s, err)) < 0)
			goto out;
		if (git_treebuilder_new(&tb, w->s->repo, NULL) < 0) {
			rc = ckpt_git_error(err, "cannot build a tree");
			goto out;
		}
		for (size_t i = 0; i < ents.count; i++)
			if (git_treebuilder_insert(NULL, tb, ents.items[i].name, &ents.items[i].oid,
			                           ents.items[i].mode) < 0) {
				rc = ckpt_git_error(err, "cannot build a tree");
				goto out;
			}
		if (git_treebuilder_write(tree, tb) < 0) {
			rc = ckpt_git_error(err, "cannot write a tree");
			goto out;
		}
	}
	if (dir_add(w, tree, (uint32_t)ents.count) < 0)
		rc = nomem(err);
out:
	free(pre);
	free(ents.items);
	git_treebuilder_free(tb);
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ignore_truncate(&w->ign, mark);
	return rc;
}

/* Replace the stat cache with what the walk saw, when it differs or
 * there is none yet (an empty workspace too: the tree cache is tied to a
 * stat cache's stamp, so without one every walk would build its trees). */
static int cache_write(struct walk *w, struct corral_error *err)
{
	if (w->misses == 0 && w->count == w->s->stat.count && w->s->stat.loaded)
		return 0;
	return ckpt_stat_write(w->s, w->entries, w->count, err);
}

static void walk_release(struct walk *w)
{
	helper_stop(&w->helper);
	ignore_truncate(&w->ign, 0);
	ignore_truncate(&w->exclude, 0);
	free(w->ign.pats);
	free(w->exclude.pats);
	for (size_t i = 0; i < w->count; i++)
		free((char *)w->entries[i].path);
	free(w->entries);
	dir_recs_free(w->dirs, w->ndirs);
	dir_cache_release(&w->prev);
}

static int walk_setup(struct walk *w, struct corral_error *err)
{
	int gitfd, infofd, rc;

	/* The cache file's mtime (read with it) decides which entries are
	 * racy. */
	if ((rc = ckpt_stat_read(w->s, err)) < 0)
		return rc;
	if (dir_cache_load(w) < 0)
		return nomem(err);
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

/* "last-tree" in the store: "COMMIT TREE\n", the tree of the checkpoint the
 * last snapshot made or linked to. A commit's tree never changes, so the
 * file can only be missing or about another commit, never wrong; with it, a
 * checkpoint that changes nothing needs no repository (ckpt_git_open). */
#define CKPT_MEMO_FILE "last-tree"
#define CKPT_MEMO_TMP  "tmp_last-tree"

static bool is_hex_oid(const char *s)
{
	return strlen(s) == GIT_OID_HEXSZ && strspn(s, "0123456789abcdef") == GIT_OID_HEXSZ;
}

static bool memo_read(struct ckpt_store *s, const char *commit, git_oid *tree)
{
	char *p = ckpt_path(s->dir, CKPT_MEMO_FILE), buf[2 * GIT_OID_HEXSZ + 3];
	bool ok = false;
	ssize_t n;
	int fd;

	if (!p)
		return false;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == 2 * GIT_OID_HEXSZ + 2 && buf[GIT_OID_HEXSZ] == ' ' && buf[n - 1] == '\n') {
		buf[GIT_OID_HEXSZ] = buf[n - 1] = '\0';
		ok = strcmp(buf, commit) == 0 && is_hex_oid(buf + GIT_OID_HEXSZ + 1) &&
		     git_oid_fromstr(tree, buf + GIT_OID_HEXSZ + 1) == 0;
	}
	return ok;
}

/* Best effort: without the file, the next snapshot asks the repository. */
static void memo_write(struct ckpt_store *s, const char *commit, const git_oid *tree)
{
	char *p = ckpt_path(s->dir, CKPT_MEMO_FILE), *tmp = ckpt_path(s->dir, CKPT_MEMO_TMP);
	char hex[GIT_OID_HEXSZ + 1], line[2 * GIT_OID_HEXSZ + 3];
	int fd, len;

	if (p && tmp && is_hex_oid(commit)) {
		git_oid_tostr(hex, sizeof(hex), tree);
		len = snprintf(line, sizeof(line), "%s %s\n", commit, hex);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			bool ok = write(fd, line, (size_t)len) == len;
			if (close(fd) != 0 || !ok || rename(tmp, p) != 0)
				unlink(tmp);
		}
	}
	free(p);
	free(tmp);
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
	bool same = false, kept, memo_hit = false;
	int rc;

	if ((rc = walk_setup(&w, err)) < 0 || (rc = walk_dir(&w, s->ws_fd, &root, &kept, err)) < 0)
		goto out;
	ckpt_fault("take-walk");
	if (tree_out)
		git_oid_cpy(tree_out, &root);
	if (!call) {
		/* Only a tree: the cache may still be refreshed. */
		if ((rc = cache_write(&w, err)) == 0)
			dir_cache_write(&w);
		if (rc == 0 && info) {
			memset(info, 0, sizeof(*info));
			info->files = w.count;
			info->hashed = w.hashed;
			info->trees = w.rebuilt;
			info->skipped = skipped;
			memset(&skipped, 0, sizeof(skipped));
		}
		goto out;
	}
	if ((rc = last_entry(s, &seq, state, err)) < 0)
		goto out;
	if (is_hex_oid(state)) {
		git_oid last, lt_id;
		git_tree *lt = NULL;
		if (memo_read(s, state, &lt_id)) {
			memo_hit = true;
			same = git_oid_equal(&lt_id, &root);
		} else if (git_oid_fromstr(&last, state) == 0 &&
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
		if ((rc = ckpt_git_open(s, err)) < 0)
			goto out;
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
	dir_cache_write(&w);
	ckpt_fault("take-index");
	if (journal && (rc = ckpt_journal_append(s, &e, err)) < 0)
		goto out;
	if (journal)
		ckpt_fault("take-journal");
	if (!(same && memo_hit))
		memo_write(s, e.commit, &root);
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
		info->trees = w.rebuilt;
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
