/*
 * ckpt_store.c - opening a checkpoint store: its directory, the lock, the
 * journal, libgit2's settings, and the test hook for crash tests.
 */
#define _GNU_SOURCE
#include "ckpt_internal.h"
#include "policy.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Longest journal accepted: far more than retention ever keeps. */
#define CKPT_JOURNAL_MAX (64u * 1024 * 1024)
/* Longest .git/HEAD or ref file read. */
#define CKPT_HEAD_MAX 4096
/* Longest packed-refs file read for the user's HEAD. */
#define CKPT_PACKED_REFS_MAX (4u * 1024 * 1024)
/* Poll interval while waiting for the lock. */
#define CKPT_LOCK_POLL_MS 10
/* Bytes of the journal's end read to find its last entry. */
#define CKPT_JOURNAL_TAIL (64 * 1024)

const char *const ckpt_fault_steps[] = {
    "take-walk",        "take-tree",         "take-commit",     "take-ref",      "take-index",
    "take-journal",     "rollback-snapshot", "rollback-intent", "rollback-file", "rollback-files",
    "rollback-journal", "rollback-done",     "gc-pack",         "gc-prune",      NULL,
};

void ckpt_fault(const char *step)
{
	static const char *want;
	static int loaded;

	if (!loaded) {
		want = getenv("CORRAL_FAULT");
		loaded = 1;
	}
	if (want && strcmp(want, step) == 0)
		kill(getpid(), SIGKILL);
}

const char *ckpt_skip_reason_name(enum ckpt_skip_reason r)
{
	switch (r) {
	case CKPT_SKIP_IGNORED:
		return "ignored";
	case CKPT_SKIP_TOO_LARGE:
		return "too-large";
	case CKPT_SKIP_NESTED_REPO:
		return "nested-repo";
	case CKPT_SKIP_SPECIAL:
		return "special";
	case CKPT_SKIP_UNREADABLE:
		return "unreadable";
	case CKPT_SKIP_STATE:
		return "corral-state";
	}
	return "?";
}

int ckpt_config_from_policy(struct ckpt_config *cfg, const struct policy *p,
                            const char ***exclude_out, struct corral_error *err)
{
	const char **ex = NULL;
	size_t n = p->checkpoint.exclude.count;

	if (n && !(ex = calloc(n, sizeof(*ex))))
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	for (size_t i = 0; i < n; i++)
		ex[i] = p->checkpoint.exclude.items[i].value;
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_file_size = p->checkpoint.max_file_size;
	cfg->exclude = ex;
	cfg->exclude_count = n;
	cfg->keep = p->checkpoint.keep;
	cfg->max_age_ms = p->checkpoint.max_age_ms;
	*exclude_out = ex;
	return 0;
}

int ckpt_git_error(struct corral_error *err, const char *what)
{
	const git_error *e = git_error_last();

	return corral_error_set(err, CORRAL_E_IO, 0, "checkpoint store: %s: %s", what,
	                        e && e->message ? e->message : "unknown libgit2 error");
}

char *ckpt_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

int ckpt_lock(struct ckpt_store *s, struct corral_error *err)
{
	char pidbuf[32] = "";
	int waited = 0, n;

	if (s->lock_depth++ > 0)
		return 0;
	while (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			s->lock_depth--;
			return corral_error_set(err, CORRAL_E_IO, errno, "cannot lock %s/lock: %s",
			                        s->dir, strerror(errno));
		}
		if (waited >= CKPT_LOCK_WAIT_MS) {
			s->lock_depth--;
			n = pread(s->lock_fd, pidbuf, sizeof(pidbuf) - 1, 0);
			pidbuf[n > 0 ? n : 0] = '\0';
			pidbuf[strcspn(pidbuf, "\n")] = '\0';
			return corral_error_set(err, CORRAL_E_LIMIT, 0,
			                        "the checkpoint store %s is held by process %s; "
			                        "gave up after %d ms",
			                        s->dir, pidbuf[0] ? pidbuf : "(unknown)",
			                        CKPT_LOCK_WAIT_MS);
		}
		nanosleep(&(struct timespec){0, CKPT_LOCK_POLL_MS * 1000000L}, NULL);
		waited += CKPT_LOCK_POLL_MS;
	}
	n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	if (ftruncate(s->lock_fd, 0) == 0 && pwrite(s->lock_fd, pidbuf, n, 0) != n) {
		/* The pid is only for the message of a process that waits. */
	}
	return 0;
}

void ckpt_unlock(struct ckpt_store *s)
{
	if (s->lock_depth > 0 && --s->lock_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}

/* Is @name a leftover of a killed process: a libgit2 lock or temp file? */
static bool stale_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".lock") == 0) || strncmp(name, "tmp_", 4) == 0 ||
	       strncmp(name, ".tmp", 4) == 0 || strstr(name, ".tmp-") != NULL ||
	       strstr(name, "_git2_") != NULL; /* libgit2 temp files */
}

/* Remove stale lock and temp files in @dir, and in its subdirectories when
 * @deep. Caller holds the store lock, so no live corral process owns them. */
static size_t clean_dir(const char *dir, bool deep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t removed = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *p;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "lock") == 0)
			continue;
		if (!(p = ckpt_path(dir, de->d_name)))
			break;
		if (de->d_type == DT_DIR) {
			if (deep)
				removed += clean_dir(p, true);
		} else if (stale_name(de->d_name) && unlink(p) == 0) {
			removed++;
		}
		free(p);
	}
	closedir(d);
	return removed;
}

/* Where killed processes leave files: the store, the repository, its refs,
 * the object directory (libgit2's tmp_object_*) and packs (tmp_pack_*).
 * With @all, every object directory too (gc). */
static size_t clean_stale(const char *dir, bool all)
{
	static const char *const flat[] = {"git", "git/objects", "git/objects/pack", NULL};
	size_t removed = clean_dir(dir, false);
	char *p;

	for (size_t i = 0; flat[i]; i++)
		if ((p = ckpt_path(dir, flat[i]))) {
			removed += clean_dir(p, all && strcmp(flat[i], "git/objects") == 0);
			free(p);
		}
	if ((p = ckpt_path(dir, "git/refs"))) {
		removed += clean_dir(p, true);
		free(p);
	}
	return removed;
}

size_t ckpt_clean_stale(struct ckpt_store *s)
{
	return clean_stale(s->dir, true);
}

/* The store's key: a hash of the workspace's real path. */
static void store_key(const char *realws, char key[17])
{
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1];

	git_odb_hash(&oid, realws, strlen(realws), GIT_OBJECT_BLOB);
	git_oid_tostr(hex, sizeof(hex), &oid);
	memcpy(key, hex, 16);
	key[16] = '\0';
}

/* Create the bare repository in a temp directory and rename it into place,
 * so a killed process never leaves a half-initialised store. */
static int create_repo(const char *gitdir, struct corral_error *err)
{
	git_repository *repo = NULL;
	char *tmp = NULL;
	int rc = 0;

	if (asprintf(&tmp, "%s.tmp-%d", gitdir, (int)getpid()) < 0)
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	if (git_repository_init(&repo, tmp, 1) < 0) {
		rc = ckpt_git_error(err, "cannot create the repository");
		goto out;
	}
	git_repository_free(repo);
	if (rename(tmp, gitdir) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot create %s: %s", gitdir,
		                      strerror(errno));
out:
	free(tmp);
	return rc;
}

static int write_workspace_name(const char *dir, const char *ws, struct corral_error *err)
{
	char *p = ckpt_path(dir, "workspace");
	FILE *f;
	int rc = 0;

	if (!p)
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	if (access(p, F_OK) != 0) {
		if (!(f = fopen(p, "we")) || fprintf(f, "%s\n", ws) < 0 || fclose(f) != 0)
			rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot write %s", p);
	}
	free(p);
	return rc;
}

static void libgit2_settings(void)
{
	/* Never read the user's global, XDG or system git configuration: a
	 * hostile include.path or core.fsmonitor there must not matter. */
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, "");
	/* Every object corral writes refers to objects it has just written;
	 * the existence checks would only cost time. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

/* libgit2 initialised, with corral's settings, for @s. */
static int git_up(struct ckpt_store *s, struct corral_error *err)
{
	if (s->git_up)
		return 0;
	if (git_libgit2_init() < 0)
		return ckpt_git_error(err, "cannot initialise libgit2");
	s->git_up = true;
	libgit2_settings();
	return 0;
}

int ckpt_git_open(struct ckpt_store *s, struct corral_error *err)
{
	int rc;

	if (s->repo)
		return 0;
	if ((rc = git_up(s, err)) < 0)
		return rc;
	if (git_repository_open_ext(&s->repo, s->gitdir,
	                            GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
	                            NULL) < 0) {
		s->repo = NULL;
		return ckpt_git_error(err, "cannot open the repository");
	}
	return 0;
}

int ckpt_open(const char *state_dir, const char *workspace, const struct ckpt_config *cfg,
              struct ckpt_store **out, struct corral_error *err)
{
	struct ckpt_store *s;
	char key[17], *base = NULL, *gitdir = NULL, *lockp = NULL, *idxp = NULL;
	struct stat st;
	int rc = 0;

	if (!(s = calloc(1, sizeof(*s))))
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	s->ws_fd = s->lock_fd = -1;
	if (!(s->workspace = realpath(workspace, NULL))) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "workspace %s: %s", workspace,
		                      strerror(errno));
		goto fail;
	}
	s->ws_fd = open(s->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->ws_fd < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "workspace %s: %s", s->workspace,
		                      strerror(errno));
		goto fail;
	}
	if (util_mkdir_p(state_dir, 0700) < 0 || stat(state_dir, &st) < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno,
		                      "cannot create the state directory %s", state_dir);
		goto fail;
	}
	s->state_dev = st.st_dev;
	s->state_ino = st.st_ino;
	store_key(s->workspace, key);
	if (!(base = ckpt_path(state_dir, "checkpoints")) || !(s->dir = ckpt_path(base, key)) ||
	    !(gitdir = ckpt_path(s->dir, "git")) || !(lockp = ckpt_path(s->dir, "lock")) ||
	    !(idxp = ckpt_path(s->dir, "index"))) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
		goto fail;
	}
	if (util_mkdir_p(s->dir, 0700) < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot create the store %s: %s",
		                      s->dir, strerror(errno));
		goto fail;
	}
	s->lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot open %s: %s", lockp,
		                      strerror(errno));
		goto fail;
	}
	s->max_file_size =
	    cfg && cfg->max_file_size ? cfg->max_file_size : CKPT_DEFAULT_MAX_FILE_SIZE;
	s->keep = cfg ? cfg->keep : 0;
	s->max_age_ms = cfg ? cfg->max_age_ms : 0;
	if (cfg && cfg->exclude_count) {
		if (!(s->exclude = calloc(cfg->exclude_count, sizeof(char *)))) {
			rc = corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < cfg->exclude_count; i++)
			if ((s->exclude[s->exclude_count++] = strdup(cfg->exclude[i])) == NULL) {
				rc = corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
				goto fail;
			}
	}
	if ((rc = ckpt_lock(s, err)) < 0)
		goto fail;
	clean_stale(s->dir, false);
	if (access(gitdir, F_OK) != 0 &&
	    ((rc = git_up(s, err)) < 0 || (rc = create_repo(gitdir, err)) < 0))
		goto unlock;
	if ((rc = write_workspace_name(s->dir, s->workspace, err)) < 0)
		goto unlock;
	/* The repository is opened when first needed (ckpt_git_open). */
	s->gitdir = gitdir;
	gitdir = NULL;
	/* The stat cache of older versions (libgit2's index format) is
	 * replaced by "stat"; the next walk hashes every file once. */
	unlink(idxp);
	rc = ckpt_restore_recover(s, err);
unlock:
	ckpt_unlock(s);
	if (rc < 0)
		goto fail;
	free(base);
	free(gitdir);
	free(lockp);
	free(idxp);
	*out = s;
	return 0;
fail:
	free(base);
	free(gitdir);
	free(lockp);
	free(idxp);
	ckpt_close(s);
	return rc;
}

void ckpt_close(struct ckpt_store *s)
{
	if (!s)
		return;
	ckpt_stat_release(&s->stat);
	git_repository_free(s->repo);
	if (s->ws_fd >= 0)
		close(s->ws_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (size_t i = 0; i < s->exclude_count; i++)
		free(s->exclude[i]);
	free(s->exclude);
	free(s->dir);
	free(s->gitdir);
	free(s->workspace);
	if (s->git_up)
		git_libgit2_shutdown();
	free(s);
}

const char *ckpt_recovered(const struct ckpt_store *s)
{
	return s->recovered[0] ? s->recovered : NULL;
}

const char *ckpt_store_dir(const struct ckpt_store *s)
{
	return s->dir;
}

const char *ckpt_workspace(const struct ckpt_store *s)
{
	return s->workspace;
}

/* ---- the journal ---- */

static const char *kind_name(enum ckpt_kind k)
{
	return k == CKPT_KIND_ROLLBACK ? "rollback" : k == CKPT_KIND_MANUAL ? "manual" : "call";
}

const char *ckpt_entry_state(const struct ckpt_entry *e)
{
	return e->kind == CKPT_KIND_ROLLBACK && e->target[0] ? e->target : e->commit;
}

static char *entry_line(const struct ckpt_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddStringToObject(o, "kind", kind_name(e->kind));
	cJSON_AddNumberToObject(o, "time", (double)e->time_ms);
	cJSON_AddStringToObject(o, "run", e->run ? e->run : "");
	cJSON_AddStringToObject(o, "call", e->call_id ? e->call_id : "");
	cJSON_AddStringToObject(o, "tool", e->tool ? e->tool : "");
	cJSON_AddStringToObject(o, "args", e->args ? e->args : "");
	cJSON_AddStringToObject(o, "commit", e->commit);
	if (e->target[0])
		cJSON_AddStringToObject(o, "target", e->target);
	cJSON_AddBoolToObject(o, "created", e->created);
	cJSON_AddStringToObject(o, "head", e->head ? e->head : "");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ckpt_journal_append(struct ckpt_store *s, const struct ckpt_entry *e, struct corral_error *err)
{
	char *p = ckpt_path(s->dir, "journal"), *line = entry_line(e);
	int fd = -1, rc = 0;

	if (!p || !line) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
		goto out;
	}
	fd = open(p, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* One write of the line and its newline: a killed process leaves at
	 * most a torn last line, which the reader ignores; end it first so the
	 * new line is not glued to it. */
	size_t n = strlen(line);
	struct stat st;
	char last = '\n';
	line[n] = '\n';
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		(void)write_all(fd, "\n", 1); /* if it fails, so does the line below */
	if (fd < 0 || write_all(fd, line, n + 1) < 0)
		rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot append to %s: %s", p,
		                      strerror(errno));
	line[n] = '\0';
out:
	if (fd >= 0)
		close(fd);
	free(p);
	free(line);
	return rc;
}

int ckpt_journal_rewrite(struct ckpt_store *s, const struct ckpt_log *log, struct corral_error *err)
{
	char *p = ckpt_path(s->dir, "journal"), *tmp = ckpt_path(s->dir, "journal.tmp-new");
	int fd = -1, rc = 0;

	if (!p || !tmp) {
		rc = corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto io;
	for (size_t i = 0; i < log->count; i++) {
		char *line = entry_line(&log->entries[i]);
		if (!line || write_all(fd, line, strlen(line)) < 0 || write_all(fd, "\n", 1) < 0) {
			free(line);
			goto io;
		}
		free(line);
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp, p) < 0)
		goto io;
	goto out;
io:
	rc = corral_error_set(err, CORRAL_E_IO, errno, "cannot rewrite %s: %s", p ? p : "journal",
	                      strerror(errno));
	if (tmp)
		unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(p);
	free(tmp);
	return rc;
}

static char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

static void copy_hex(char dst[CKPT_OID_HEX], const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	dst[0] = '\0';
	if (cJSON_IsString(v) && strlen(v->valuestring) == CKPT_OID_HEX - 1)
		memcpy(dst, v->valuestring, CKPT_OID_HEX);
}

static int parse_entry(const char *line, struct ckpt_entry *e)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *v;
	const char *kind;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	v = cJSON_GetObjectItemCaseSensitive(o, "seq");
	e->seq = cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "time");
	e->time_ms = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "created");
	e->created = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(o, "kind");
	kind = cJSON_IsString(v) ? v->valuestring : "call";
	e->kind = strcmp(kind, "rollback") == 0 ? CKPT_KIND_ROLLBACK
	          : strcmp(kind, "manual") == 0 ? CKPT_KIND_MANUAL
	                                        : CKPT_KIND_CALL;
	copy_hex(e->commit, o, "commit");
	copy_hex(e->target, o, "target");
	e->run = json_str(o, "run");
	e->call_id = json_str(o, "call");
	e->tool = json_str(o, "tool");
	e->args = json_str(o, "args");
	e->head = json_str(o, "head");
	cJSON_Delete(o);
	if (!e->commit[0] || !e->run || !e->call_id || !e->tool || !e->args || !e->head) {
		free(e->run);
		free(e->call_id);
		free(e->tool);
		free(e->args);
		free(e->head);
		return -1;
	}
	return 0;
}

static void entry_release(struct ckpt_entry *e)
{
	free(e->run);
	free(e->call_id);
	free(e->tool);
	free(e->args);
	free(e->head);
	memset(e, 0, sizeof(*e));
}

int ckpt_journal_last(struct ckpt_store *s, struct ckpt_entry *out, bool *found,
                      struct corral_error *err)
{
	char *p = ckpt_path(s->dir, "journal"), *buf = NULL, *end;
	struct ckpt_log log;
	struct stat st;
	size_t len;
	ssize_t n;
	int fd, rc;

	*found = false;
	if (!p)
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	if (fd < 0)
		return 0; /* no journal yet */
	/* Only the tail: a take must not cost more as the journal grows. */
	len = fstat(fd, &st) == 0 && st.st_size < CKPT_JOURNAL_TAIL ? (size_t)st.st_size
	                                                            : CKPT_JOURNAL_TAIL;
	if (!(buf = malloc(len + 1))) {
		close(fd);
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	}
	n = pread(fd, buf, len, st.st_size - (off_t)len);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* Lines from the end; a torn last line (a killed writer) is skipped. */
	end = buf + strlen(buf);
	while (end > buf) {
		char *start = end;
		while (start > buf && start[-1] != '\n')
			start--;
		if (start == buf && len < (size_t)st.st_size)
			break; /* the line may begin before the tail */
		*end = '\0';
		if (parse_entry(start, out) == 0) {
			*found = true;
			free(buf);
			return 0;
		}
		end = start > buf ? start - 1 : buf;
	}
	free(buf);
	if (len == (size_t)st.st_size)
		return 0;
	/* A line longer than the tail: read it all. */
	if ((rc = ckpt_log_read(s, &log, err)) < 0)
		return rc;
	if (log.count) {
		*out = log.entries[--log.count];
		*found = true;
	}
	ckpt_log_release(&log);
	return 0;
}

void ckpt_entry_release(struct ckpt_entry *e)
{
	entry_release(e);
}

int ckpt_log_read(struct ckpt_store *s, struct ckpt_log *out, struct corral_error *err)
{
	char *p = ckpt_path(s->dir, "journal"), *text = NULL, *line, *save = NULL;
	struct corral_error rerr = {0};
	struct ckpt_log log = {0};
	size_t len, cap = 0;
	int rc;

	if (!p)
		return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
	rc = util_read_file(p, CKPT_JOURNAL_MAX, &text, &len, &rerr);
	free(p);
	if (rc < 0) {
		if (rerr.sys_errno == ENOENT) {
			*out = log;
			return 0;
		}
		*err = rerr;
		return rc;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ckpt_entry e;
		if (parse_entry(line, &e) < 0)
			continue; /* a torn line from a killed process */
		if (log.count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct ckpt_entry *n = realloc(log.entries, ncap * sizeof(*n));
			if (!n) {
				free(text);
				ckpt_log_release(&log);
				return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
			}
			log.entries = n;
			cap = ncap;
		}
		log.entries[log.count++] = e;
	}
	free(text);
	*out = log;
	return 0;
}

void ckpt_log_release(struct ckpt_log *log)
{
	for (size_t i = 0; log && i < log->count; i++) {
		struct ckpt_entry *e = &log->entries[i];
		free(e->run);
		free(e->call_id);
		free(e->tool);
		free(e->args);
		free(e->head);
	}
	if (log) {
		free(log->entries);
		log->entries = NULL;
		log->count = 0;
	}
}

/* ---- objects ---- */

int ckpt_lookup_commit(struct ckpt_store *s, const char *hex, git_oid *out,
                       struct corral_error *err)
{
	git_object *obj = NULL;
	git_oid oid;
	size_t len = strlen(hex);
	int rc;

	if ((rc = ckpt_git_open(s, err)) < 0)
		return rc;
	if (len < 4 || len > GIT_OID_HEXSZ || strspn(hex, "0123456789abcdef") != len ||
	    git_oid_fromstrn(&oid, hex, len) < 0 ||
	    git_object_lookup_prefix(&obj, s->repo, &oid, len, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		return corral_error_set(err, CORRAL_E_NOTFOUND, 0,
		                        "no checkpoint '%s' in this workspace's store "
		                        "(see 'corral log')",
		                        hex);
	}
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

int ckpt_commit_tree(struct ckpt_store *s, const git_oid *oid, git_tree **out,
                     struct corral_error *err)
{
	git_commit *c = NULL;
	int rc;

	if ((rc = ckpt_git_open(s, err)) < 0)
		return rc;
	if (git_commit_lookup(&c, s->repo, oid) < 0 || git_commit_tree(out, c) < 0)
		rc = ckpt_git_error(err, "cannot read a checkpoint");
	git_commit_free(c);
	return rc;
}

/* ---- the user's HEAD, read as plain files ---- */

static int read_small_at(int dfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static bool is_hex40(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static void packed_ref(int gitfd, const char *ref, char *sha, size_t size)
{
	int fd = openat(gitfd, "packed-refs", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char *buf, *line, *save = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CKPT_PACKED_REFS_MAX ||
	    !(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (sp && sp - line == 40 && strcmp(sp + 1, ref) == 0) {
			snprintf(sha, size, "%.40s", line);
			break;
		}
	}
	free(buf);
}

void ckpt_user_head(int ws_fd, char *out, size_t size)
{
	char head[CKPT_HEAD_MAX], sha[64] = "", gitdir[CKPT_HEAD_MAX];
	int gitfd;
	struct stat st;

	out[0] = '\0';
	if (fstatat(ws_fd, ".git", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (S_ISREG(st.st_mode)) {
		/* A worktree or submodule: "gitdir: PATH". */
		if (read_small_at(ws_fd, ".git", gitdir, sizeof(gitdir)) < 0 ||
		    strncmp(gitdir, "gitdir: ", 8) != 0)
			return;
		gitfd = openat(ws_fd, gitdir + 8, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (S_ISDIR(st.st_mode)) {
		gitfd = openat(ws_fd, ".git", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	} else {
		return;
	}
	if (gitfd < 0)
		return;
	if (read_small_at(gitfd, "HEAD", head, sizeof(head)) == 0) {
		if (strncmp(head, "ref: ", 5) == 0) {
			const char *ref = head + 5;
			if (strncmp(ref, "refs/", 5) == 0 && !strstr(ref, "..")) {
				if (read_small_at(gitfd, ref, sha, sizeof(sha)) < 0 ||
				    !is_hex40(sha)) {
					sha[0] = '\0';
					packed_ref(gitfd, ref, sha, sizeof(sha));
				}
				snprintf(out, size, "%s %s", ref, is_hex40(sha) ? sha : "(unborn)");
			}
		} else if (is_hex40(head)) {
			snprintf(out, size, "%s", head);
		}
	}
	close(gitfd);
}
