/*
 * ckpt_restore.c - rollback: restore the workspace to a checkpoint.
 *
 * The rules (docs/checkpoints.md): snapshot first (the rollback is undoable),
 * write an intent record, then write only inside the workspace through
 * directory fds opened with O_NOFOLLOW, each file through a temp file and a
 * rename; delete only what the snapshot just taken saw and the target did
 * not (the run created it); never delete or overwrite what no checkpoint
 * saw. A killed rollback is finished by the next corral that opens the store.
 */
#define _GNU_SOURCE
#include "ckpt_internal.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prefix of the temp files a rollback writes next to their final name. */
#define CKPT_TMP_PREFIX ".corral-tmp-"
/* Longest intent record. */
#define CKPT_INTENT_MAX 8192

struct rs {
	struct ckpt_store *s;
	bool dry;
	struct ckpt_report *rep;
	struct ckpt_skiplist tskips; /* what the target checkpoint did not capture */
	bool tskips_truncated;
	char path[PATH_MAX];
	unsigned tmpn;
	bool wrote;
	mode_t umask;
};

static int nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

static int report(struct rs *r, const char *name, enum ckpt_change_kind kind, const char *why,
                  struct corral_error *err)
{
	struct ckpt_report *rep = r->rep;
	char *p;

	if (rep->count % 64 == 0) {
		struct ckpt_change *n = realloc(rep->items, (rep->count + 64) * sizeof(*n));
		if (!n)
			return nomem(err);
		rep->items = n;
	}
	if (asprintf(&p, "%s%s%s", r->path, name,
	             kind == CKPT_CHANGE_MKDIR || kind == CKPT_CHANGE_RMDIR ? "/" : "") < 0)
		return nomem(err);
	rep->items[rep->count].path = p;
	rep->items[rep->count].kind = kind;
	rep->items[rep->count].why = why;
	rep->count++;
	return 0;
}

void ckpt_report_release(struct ckpt_report *r)
{
	for (size_t i = 0; r && i < r->count; i++)
		free(r->items[i].path);
	if (r) {
		free(r->items);
		r->items = NULL;
		r->count = 0;
	}
}

/* Did the target checkpoint skip @rel (or a directory above it)? Then a file
 * there predates it and is kept. */
static bool target_skipped(const struct rs *r, const char *name)
{
	char rel[PATH_MAX + 1];

	if (r->tskips_truncated)
		return true;
	snprintf(rel, sizeof(rel), "%s%s", r->path, name);
	for (size_t i = 0; i < r->tskips.count; i++) {
		const char *p = r->tskips.items[i].path;
		size_t n = strlen(p);
		if (n && p[n - 1] == '/') {
			if (strncmp(rel, p, n) == 0 || (strncmp(rel, p, n - 1) == 0 && !rel[n - 1]))
				return true;
		} else if (strcmp(rel, p) == 0) {
			return true;
		}
	}
	return false;
}

static int path_push(struct rs *r, const char *name, size_t *mark, struct corral_error *err)
{
	size_t n = strlen(r->path), m = strlen(name);

	*mark = n;
	if (n + m + 2 >= sizeof(r->path))
		return corral_error_set(err, CORRAL_E_LIMIT, 0,
		                        "a path is longer than %d bytes: %s%s", PATH_MAX, r->path,
		                        name);
	memcpy(r->path + n, name, m);
	r->path[n + m] = '/';
	r->path[n + m + 1] = '\0';
	return 0;
}

/* Is the file at @dfd/@name already exactly @te's content? */
static bool same_content(struct rs *r, int dfd, const char *name, const struct stat *st,
                         const git_tree_entry *te)
{
	git_filemode_t mode = git_tree_entry_filemode(te);
	char buf[PATH_MAX];
	git_oid oid;
	bool same = false;

	if (mode == GIT_FILEMODE_LINK) {
		ssize_t n;
		if (!S_ISLNK(st->st_mode) || (n = readlinkat(dfd, name, buf, sizeof(buf))) < 0)
			return false;
		return git_odb_hash(&oid, buf, (size_t)n, GIT_OBJECT_BLOB) == 0 &&
		       git_oid_equal(&oid, git_tree_entry_id(te));
	}
	if (!S_ISREG(st->st_mode) ||
	    !!(st->st_mode & S_IXUSR) != (mode == GIT_FILEMODE_BLOB_EXECUTABLE))
		return false;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *data;
	if (fd < 0)
		return false;
	if ((data = malloc((size_t)st->st_size + 1))) {
		ssize_t n = read(fd, data, (size_t)st->st_size);
		same = n == st->st_size &&
		       git_odb_hash(&oid, data, (size_t)n, GIT_OBJECT_BLOB) == 0 &&
		       git_oid_equal(&oid, git_tree_entry_id(te));
		free(data);
	}
	close(fd);
	(void)r;
	return same;
}

/* Write @te at @dfd/@name through a temp file and a rename, so the name
 * holds either the old or the new content, and a symlink in the way is
 * replaced, never followed. @old is what is there now (NULL: nothing). */
static int write_entry(struct rs *r, int dfd, const char *name, const git_tree_entry *te,
                       const struct stat *old, struct corral_error *err)
{
	git_filemode_t mode = git_tree_entry_filemode(te);
	char tmp[64];
	git_blob *blob = NULL;
	const char *data;
	size_t len;
	int fd = -1, rc = 0;

	if ((rc = report(r, name, CKPT_CHANGE_WRITE, NULL, err)) < 0 || r->dry)
		return rc;
	if (git_blob_lookup(&blob, r->s->repo, git_tree_entry_id(te)) < 0)
		return ckpt_git_error(err, "cannot read a checkpointed file");
	data = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	snprintf(tmp, sizeof(tmp), CKPT_TMP_PREFIX "%d-%u", (int)getpid(), r->tmpn++);
	if (mode == GIT_FILEMODE_LINK) {
		char target[PATH_MAX];
		if (len >= sizeof(target)) {
			rc = corral_error_set(err, CORRAL_E_LIMIT, 0,
			                      "the symlink %s%s is too long", r->path, name);
			goto out;
		}
		memcpy(target, data, len);
		target[len] = '\0';
		if (symlinkat(target, dfd, tmp) < 0)
			goto io;
	} else {
		mode_t perm = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
		if (fd < 0)
			goto io;
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, data + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto io;
			off += (size_t)n;
		}
		/* Keep the permission bits of the file being replaced, but for
		 * the exec bits, which the checkpoint records. */
		if (old && S_ISREG(old->st_mode)) {
			mode_t m = old->st_mode & 07666;
			if (mode == GIT_FILEMODE_BLOB_EXECUTABLE)
				m |= 0111 & ~r->umask; /* as chmod +x does */
			if (fchmod(fd, m) < 0)
				goto io;
		}
		if (close(fd) < 0) {
			fd = -1;
			goto io;
		}
		fd = -1;
	}
	if (renameat(dfd, tmp, dfd, name) < 0)
		goto io;
	if (!r->wrote) {
		r->wrote = true;
		ckpt_fault("rollback-file");
	}
	goto out;
io:
	rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot restore %s/%s%s: %s",
	                      r->s->workspace, r->path, name, strerror(errno));
	unlinkat(dfd, tmp, 0);
out:
	if (fd >= 0)
		close(fd);
	git_blob_free(blob);
	return rc;
}

static int remove_seen(struct rs *r, int dfd, const char *name, const git_tree_entry *ce,
                       struct corral_error *err);

/* Remove what @ct (the snapshot's view of directory @dfd) lists. */
static int remove_tree_entries(struct rs *r, int dfd, const git_tree *ct, struct corral_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < git_tree_entrycount(ct) && rc == 0; i++) {
		const git_tree_entry *ce = git_tree_entry_byindex(ct, i);
		if (target_skipped(r, git_tree_entry_name(ce)))
			rc = report(r, git_tree_entry_name(ce), CKPT_CHANGE_KEEP,
			            "the target checkpoint did not capture it", err);
		else
			rc = remove_seen(r, dfd, git_tree_entry_name(ce), ce, err);
	}
	return rc;
}

/* Remove @dfd/@name, which the snapshot saw as @ce: a file or link is
 * unlinked, a directory emptied of what the snapshot saw and removed if that
 * leaves it empty. Anything else found there is kept and reported. */
static int remove_seen(struct rs *r, int dfd, const char *name, const git_tree_entry *ce,
                       struct corral_error *err)
{
	struct stat st;
	git_tree *sub = NULL;
	size_t mark;
	int fd, rc = 0;

	if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* already gone */
	if (git_tree_entry_type(ce) != GIT_OBJECT_TREE) {
		if (S_ISDIR(st.st_mode))
			return report(r, name, CKPT_CHANGE_KEEP, "it became a directory since",
			              err);
		if ((rc = report(r, name, CKPT_CHANGE_DELETE, NULL, err)) < 0 || r->dry)
			return rc;
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return corral_error_set(err, CORRAL_E_IO, errno,
			                        "cannot remove %s/%s%s: %s", r->s->workspace,
			                        r->path, name, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return report(r, name, CKPT_CHANGE_KEEP, "it is no longer a directory", err);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return report(r, name, CKPT_CHANGE_KEEP, "it cannot be opened", err);
	if (git_tree_lookup(&sub, r->s->repo, git_tree_entry_id(ce)) < 0) {
		close(fd);
		return ckpt_git_error(err, "cannot read a checkpointed directory");
	}
	if ((rc = path_push(r, name, &mark, err)) == 0) {
		rc = remove_tree_entries(r, fd, sub, err);
		r->path[mark] = '\0';
	}
	git_tree_free(sub);
	close(fd);
	if (rc < 0)
		return rc;
	if (r->dry)
		return report(r, name, CKPT_CHANGE_RMDIR, NULL, err);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			return report(r, name, CKPT_CHANGE_KEEP, "it holds files no checkpoint saw",
			              err);
		return corral_error_set(err, CORRAL_E_IO, errno, "cannot remove %s/%s%s: %s",
		                        r->s->workspace, r->path, name, strerror(errno));
	}
	return report(r, name, CKPT_CHANGE_RMDIR, NULL, err);
}

/* Make directory @dfd/@name hold @tt, where @ct is what the snapshot saw
 * there (NULL: nothing). @dfd is -1 for a directory a dry run would create. */
static int restore_dir(struct rs *r, int dfd, const git_tree *tt, const git_tree *ct,
                       struct corral_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < git_tree_entrycount(tt) && rc == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tt, i);
		const char *name = git_tree_entry_name(te);
		const git_tree_entry *ce = ct ? git_tree_entry_byname(ct, name) : NULL;
		bool exists, isdir;
		struct stat st;

		if (ce && git_oid_equal(git_tree_entry_id(ce), git_tree_entry_id(te)) &&
		    git_tree_entry_filemode(ce) == git_tree_entry_filemode(te))
			continue;
		exists = dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		isdir = exists && S_ISDIR(st.st_mode);
		if (git_tree_entry_type(te) == GIT_OBJECT_TREE) {
			git_tree *tsub = NULL, *csub = NULL;
			struct stat gst;
			size_t mark;
			int fd = -1;
			if (exists && !isdir) {
				if (!ce) {
					rc = report(
					    r, name, CKPT_CHANGE_KEEP,
					    "no checkpoint saw the file in the way of a directory",
					    err);
					continue;
				}
				if ((rc = remove_seen(r, dfd, name, ce, err)) < 0)
					break;
				exists =
				    !r->dry && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
				if (exists) {
					rc = report(r, name, CKPT_CHANGE_KEEP,
					            "a file no checkpoint saw is in the way", err);
					continue;
				}
			}
			if (exists) {
				fd = openat(dfd, name,
				            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd < 0) {
					rc = report(r, name, CKPT_CHANGE_KEEP,
					            "it cannot be opened", err);
					continue;
				}
				if (!ce && fstatat(fd, ".git", &gst, AT_SYMLINK_NOFOLLOW) == 0) {
					close(fd);
					rc = report(r, name, CKPT_CHANGE_KEEP,
					            "a nested repository", err);
					continue;
				}
			} else {
				if ((rc = report(r, name, CKPT_CHANGE_MKDIR, NULL, err)) < 0)
					break;
				if (!r->dry) {
					if (mkdirat(dfd, name, 0777) < 0 && errno != EEXIST) {
						rc = corral_error_set(err, CORRAL_E_IO, errno,
						                      "cannot create %s/%s%s: %s",
						                      r->s->workspace, r->path,
						                      name, strerror(errno));
						break;
					}
					fd =
					    openat(dfd, name,
					           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
					if (fd < 0) {
						rc = corral_error_set(err, CORRAL_E_IO, errno,
						                      "cannot open %s/%s%s: %s",
						                      r->s->workspace, r->path,
						                      name, strerror(errno));
						break;
					}
				}
			}
			if (git_tree_lookup(&tsub, r->s->repo, git_tree_entry_id(te)) < 0 ||
			    (ce && git_tree_entry_type(ce) == GIT_OBJECT_TREE && isdir &&
			     git_tree_lookup(&csub, r->s->repo, git_tree_entry_id(ce)) < 0)) {
				rc = ckpt_git_error(err, "cannot read a checkpointed directory");
			} else if ((rc = path_push(r, name, &mark, err)) == 0) {
				rc = restore_dir(r, fd, tsub, csub, err);
				r->path[mark] = '\0';
			}
			git_tree_free(tsub);
			git_tree_free(csub);
			if (fd >= 0)
				close(fd);
			continue;
		}
		/* A file or a symlink. */
		if (isdir) {
			if (!ce || git_tree_entry_type(ce) != GIT_OBJECT_TREE) {
				rc = report(r, name, CKPT_CHANGE_KEEP,
				            "no checkpoint saw the directory in the way of a file",
				            err);
				continue;
			}
			if ((rc = remove_seen(r, dfd, name, ce, err)) < 0)
				break;
			if (!r->dry && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				continue; /* kept and reported by remove_seen() */
			exists = false;
		}
		if (exists && !ce) {
			if (same_content(r, dfd, name, &st, te))
				continue;
			rc = report(r, name, CKPT_CHANGE_KEEP,
			            "no checkpoint saw its current content", err);
			continue;
		}
		rc = write_entry(r, dfd, name, te, exists ? &st : NULL, err);
	}
	/* What the snapshot saw and the target did not: the run created it. */
	for (size_t i = 0; ct && i < git_tree_entrycount(ct) && rc == 0; i++) {
		const git_tree_entry *ce = git_tree_entry_byindex(ct, i);
		const char *name = git_tree_entry_name(ce);
		if (git_tree_entry_byname(tt, name))
			continue;
		if (target_skipped(r, name))
			rc = report(r, name, CKPT_CHANGE_KEEP,
			            "the target checkpoint did not capture it", err);
		else
			rc = remove_seen(r, dfd, name, ce, err);
	}
	return rc;
}

/* Remove the temp files a killed rollback of process @pid left. */
static void remove_tmp(int dfd, const char *prefix, int depth)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (depth == 0 && strcmp(de->d_name, ".git") == 0))
			continue;
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (de->d_type != DT_DIR || depth >= 256)
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			remove_tmp(sub, prefix, depth + 1);
			close(sub);
		}
	}
	closedir(d);
}

int ckpt_commit_skips(struct ckpt_store *s, const git_oid *commit, struct ckpt_skiplist *out,
                      struct corral_error *err)
{
	git_commit *c = NULL;
	const char *msg, *line;
	bool truncated = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ckpt_git_open(s, err)) < 0)
		return rc;
	if (git_commit_lookup(&c, s->repo, commit) < 0)
		return ckpt_git_error(err, "cannot read a checkpoint");
	msg = git_commit_message(c);
	for (line = msg; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t n = strcspn(line, "\n");
		if (strncmp(line, "skipped-truncated:", 18) == 0)
			truncated = true;
		if (strncmp(line, "skipped: ", 9) == 0) {
			const char *sp = memchr(line + 9, ' ', n - 9);
			char path[PATH_MAX + 1];
			if (!sp || (size_t)(line + n - sp - 1) >= sizeof(path))
				continue;
			snprintf(path, sizeof(path), "%.*s", (int)(line + n - sp - 1), sp + 1);
			if (ckpt_skiplist_add(out, path, CKPT_SKIP_IGNORED) < 0) {
				git_commit_free(c);
				return nomem(err);
			}
		}
	}
	if (truncated)
		out->total = out->count + 1;
	git_commit_free(c);
	return 0;
}

/* The "head:" line of a checkpoint's message. */
static void commit_head(struct ckpt_store *s, const git_oid *commit, char *out, size_t size)
{
	git_commit *c = NULL;
	struct corral_error ignored = {0};
	const char *p;

	out[0] = '\0';
	if (ckpt_git_open(s, &ignored) < 0 || git_commit_lookup(&c, s->repo, commit) < 0)
		return;
	p = strstr(git_commit_message(c), "\nhead: ");
	if (p)
		snprintf(out, size, "%.*s", (int)strcspn(p + 7, "\n"), p + 7);
	git_commit_free(c);
}

static void head_note(struct ckpt_store *s, const git_oid *target, char *note, size_t size)
{
	char then[160], now[160];
	const char *sha;

	note[0] = '\0';
	commit_head(s, target, then, sizeof(then));
	ckpt_user_head(s->ws_fd, now, sizeof(now));
	if (!then[0] || strcmp(then, now) == 0)
		return;
	sha = strrchr(then, ' ') ? strrchr(then, ' ') + 1 : then;
	if (strchr(then, ' ') && strncmp(then, now, strcspn(then, " ")) != 0)
		snprintf(note, size,
		         "HEAD moved during the run: it was %s, it is now %s. Your git was not "
		         "touched; to return: git checkout %.*s (it is at %.12s)",
		         then, now[0] ? now : "gone", (int)strcspn(then + 11, " "), then + 11, sha);
	else
		snprintf(note, size,
		         "HEAD moved during the run: it was %s, it is now %s. Your git was not "
		         "touched; to return: git reset --keep %s",
		         then, now[0] ? now : "gone", sha);
}

static char *intent_path(struct ckpt_store *s)
{
	return ckpt_path(s->dir, "rollback-intent");
}

static int intent_write(struct ckpt_store *s, const struct ckpt_info *pre, const char *target,
                        struct corral_error *err)
{
	char *p = intent_path(s), *tmp = ckpt_path(s->dir, "rollback-intent.tmp-new"), *text;
	cJSON *o = cJSON_CreateObject();
	int fd = -1, rc = 0;

	if (!p || !tmp || !o) {
		rc = nomem(err);
		goto out;
	}
	cJSON_AddStringToObject(o, "target", target);
	cJSON_AddStringToObject(o, "pre", pre->commit);
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddNumberToObject(o, "seq", (double)pre->seq);
	cJSON_AddNumberToObject(o, "time", (double)pre->time_ms);
	cJSON_AddStringToObject(o, "run", pre->run);
	cJSON_AddStringToObject(o, "call", pre->call_id);
	cJSON_AddStringToObject(o, "head", pre->head);
	cJSON_AddBoolToObject(o, "created", pre->created);
	if (!(text = cJSON_PrintUnformatted(o))) {
		rc = nomem(err);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 ||
	    rename(tmp, p) < 0)
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot write %s: %s", p,
		                      strerror(errno));
	free(text);
out:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(o);
	free(p);
	free(tmp);
	return rc;
}

/* List what the snapshot just taken did not capture: kept, as always. */
static int report_unseen(struct ckpt_report *rep, const struct ckpt_skiplist *sk,
                         struct corral_error *err)
{
	static const char *const why[] = {
	    [CKPT_SKIP_IGNORED] = "ignored: no checkpoint captured it",
	    [CKPT_SKIP_TOO_LARGE] = "over checkpoint.max_file_size: no checkpoint captured it",
	    [CKPT_SKIP_NESTED_REPO] = "a nested repository: never touched",
	    [CKPT_SKIP_SPECIAL] = "not a file, link or directory",
	    [CKPT_SKIP_UNREADABLE] = "unreadable: no checkpoint captured it",
	    [CKPT_SKIP_STATE] = "corral's own state",
	};
	struct rs r = {.rep = rep};

	for (size_t i = 0; i < sk->count; i++) {
		char name[PATH_MAX + 1];
		size_t n;
		int rc;
		snprintf(name, sizeof(name), "%s", sk->items[i].path);
		n = strlen(name);
		if (n && name[n - 1] == '/')
			name[n - 1] = '\0'; /* report() adds no slash for KEEP */
		if ((rc = report(&r, name, CKPT_CHANGE_KEEP, why[sk->items[i].reason], err)) < 0)
			return rc;
	}
	return 0;
}

static mode_t current_umask(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

/* Restore tree of @target over the snapshot @pre (both commits). */
static int apply(struct ckpt_store *s, const git_oid *target, const git_oid *pre, bool dry,
                 struct ckpt_report *rep, struct corral_error *err)
{
	struct rs r = {.s = s, .dry = dry, .rep = rep, .umask = current_umask()};
	git_tree *tt = NULL, *ct = NULL;
	int rc;

	if ((rc = ckpt_commit_tree(s, target, &tt, err)) < 0 ||
	    (pre && (rc = ckpt_commit_tree(s, pre, &ct, err)) < 0))
		goto out;
	if ((rc = ckpt_commit_skips(s, target, &r.tskips, err)) < 0)
		goto out;
	r.tskips_truncated = r.tskips.total > r.tskips.count;
	rc = restore_dir(&r, s->ws_fd, tt, ct, err);
out:
	ckpt_skiplist_release(&r.tskips);
	git_tree_free(tt);
	git_tree_free(ct);
	return rc;
}

/* Journal the finished rollback (unless it already is) and drop the intent. */
static int finish(struct ckpt_store *s, const struct ckpt_entry *e, struct corral_error *err)
{
	struct ckpt_entry last;
	bool done = false, found;
	char *p;
	int rc;

	if ((rc = ckpt_journal_last(s, &last, &found, err)) < 0)
		return rc;
	if (found) {
		done = last.kind == CKPT_KIND_ROLLBACK && last.seq == e->seq &&
		       strcmp(last.commit, e->commit) == 0 && strcmp(last.target, e->target) == 0;
		ckpt_entry_release(&last);
	}
	if (!done && (rc = ckpt_journal_append(s, e, err)) < 0)
		return rc;
	ckpt_fault("rollback-journal");
	if (!(p = intent_path(s)))
		return nomem(err);
	if (unlink(p) < 0 && errno != ENOENT)
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot remove %s: %s", p,
		                      strerror(errno));
	free(p);
	return rc;
}

int ckpt_restore_recover(struct ckpt_store *s, struct corral_error *err)
{
	char *p = intent_path(s), *text = NULL, prefix[64];
	struct ckpt_report rep = {0};
	struct ckpt_entry e = {0};
	git_oid target, pre;
	const cJSON *v;
	cJSON *o = NULL;
	ssize_t n;
	int fd, rc = 0;

	if (!p)
		return nomem(err);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		free(p);
		return 0;
	}
	if (!(text = malloc(CKPT_INTENT_MAX + 1))) {
		close(fd);
		free(p);
		return nomem(err);
	}
	n = read(fd, text, CKPT_INTENT_MAX);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	o = cJSON_Parse(text);
#define STR(k) (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, k)) ? v->valuestring : "")
#define NUM(k) (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, k)) ? v->valuedouble : 0)
	if (!o || git_oid_fromstr(&target, STR("target")) < 0 ||
	    git_oid_fromstr(&pre, STR("pre")) < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, 0,
		                      "%s is damaged; the rollback it records was interrupted and "
		                      "could not be finished (remove the file to go on)",
		                      p);
		goto out;
	}
	snprintf(prefix, sizeof(prefix), CKPT_TMP_PREFIX "%d-", (int)NUM("pid"));
	remove_tmp(s->ws_fd, prefix, 0);
	if ((rc = apply(s, &target, &pre, false, &rep, err)) < 0) {
		corral_error_prefix(err, "finishing an interrupted rollback: ");
		goto out;
	}
	e.seq = (uint64_t)NUM("seq");
	e.kind = CKPT_KIND_ROLLBACK;
	e.time_ms = (int64_t)NUM("time");
	e.created = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "created"));
	snprintf(e.commit, sizeof(e.commit), "%s", STR("pre"));
	snprintf(e.target, sizeof(e.target), "%s", STR("target"));
	e.run = (char *)STR("run");
	e.call_id = (char *)STR("call");
	e.tool = "rollback";
	e.args = (char *)STR("target");
	e.head = (char *)STR("head");
	if ((rc = finish(s, &e, err)) < 0)
		goto out;
	snprintf(s->recovered, sizeof(s->recovered),
	         "finished an interrupted rollback to %.12s (%zu changes)", e.target, rep.count);
#undef STR
#undef NUM
out:
	ckpt_report_release(&rep);
	cJSON_Delete(o);
	free(text);
	free(p);
	return rc;
}

int ckpt_restore(struct ckpt_store *s, const struct ckpt_target *t, bool dry_run,
                 struct ckpt_report *out, struct corral_error *err)
{
	struct ckpt_report rep = {0};
	struct ckpt_info pre = {0};
	char hex[CKPT_OID_HEX], args[80];
	struct ckpt_entry e = {0};
	git_oid target, preoid;
	int rc;

	if ((rc = ckpt_lock(s, err)) < 0)
		return rc;
	if ((rc = ckpt_resolve(s, t, hex, err)) < 0 ||
	    (rc = ckpt_lookup_commit(s, hex, &target, err)) < 0)
		goto out;
	snprintf(rep.target, sizeof(rep.target), "%s", hex);
	head_note(s, &target, rep.head_note, sizeof(rep.head_note));
	if (dry_run) {
		/* The workspace as it is, as a tree only: nothing is committed,
		 * journaled or written in the workspace. */
		git_oid tree;
		git_tree *tt = NULL, *ct = NULL;
		struct rs r = {.s = s, .dry = true, .rep = &rep};
		if ((rc = ckpt_snapshot(s, NULL, CKPT_KIND_ROLLBACK, NULL, false, &tree, &pre,
		                        err)) < 0 ||
		    (rc = ckpt_commit_tree(s, &target, &tt, err)) < 0)
			goto out;
		if (git_tree_lookup(&ct, s->repo, &tree) < 0) {
			git_tree_free(tt);
			rc = ckpt_git_error(err, "cannot read the workspace's tree");
			goto out;
		}
		if ((rc = ckpt_commit_skips(s, &target, &r.tskips, err)) == 0) {
			r.tskips_truncated = r.tskips.total > r.tskips.count;
			rc = restore_dir(&r, s->ws_fd, tt, ct, err);
		}
		if (rc == 0)
			rc = report_unseen(&rep, &pre.skipped, err);
		ckpt_skiplist_release(&r.tskips);
		git_tree_free(tt);
		git_tree_free(ct);
		goto out;
	}
	snprintf(args, sizeof(args), "%s", hex);
	const struct ckpt_call call = {.run = "rollback", .tool = "rollback", .args_digest = args};
	if ((rc = ckpt_snapshot(s, &call, CKPT_KIND_ROLLBACK, hex, false, NULL, &pre, err)) < 0)
		goto out;
	ckpt_fault("rollback-snapshot");
	snprintf(rep.pre, sizeof(rep.pre), "%s", pre.commit);
	if ((rc = intent_write(s, &pre, hex, err)) < 0)
		goto out;
	ckpt_fault("rollback-intent");
	git_oid_fromstr(&preoid, pre.commit);
	if ((rc = apply(s, &target, &preoid, false, &rep, err)) < 0)
		goto out; /* the intent stays: the next open finishes it */
	ckpt_fault("rollback-files");
	if ((rc = report_unseen(&rep, &pre.skipped, err)) < 0)
		goto out;
	e.seq = pre.seq;
	e.kind = CKPT_KIND_ROLLBACK;
	e.time_ms = pre.time_ms;
	e.created = pre.created;
	snprintf(e.commit, sizeof(e.commit), "%s", pre.commit);
	snprintf(e.target, sizeof(e.target), "%s", hex);
	e.run = pre.run;
	e.call_id = pre.call_id;
	e.tool = "rollback";
	e.args = hex;
	e.head = pre.head;
	if ((rc = finish(s, &e, err)) < 0)
		goto out;
	ckpt_fault("rollback-done");
	if (pre.created && (s->keep || s->max_age_ms)) {
		size_t dropped, kept;
		rc = ckpt_retention(s, &dropped, &kept, err);
	}
out:
	ckpt_info_release(&pre);
	ckpt_unlock(s);
	if (rc < 0) {
		ckpt_report_release(&rep);
		return rc;
	}
	*out = rep;
	return 0;
}
