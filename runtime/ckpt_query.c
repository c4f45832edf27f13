/*
 * ckpt_query.c - naming checkpoints (ids, runs, calls), diffs against them,
 * retention and garbage collection of the store.
 */
#define _GNU_SOURCE
#include "ckpt_internal.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int nomem(struct corral_error *err)
{
	return corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

int ckpt_resolve(struct ckpt_store *s, const struct ckpt_target *t, char commit[CKPT_OID_HEX],
                 struct corral_error *err)
{
	struct ckpt_log log;
	const struct ckpt_entry *hit = NULL;
	const char *run = NULL;
	git_oid oid;
	int rc;

	if (t->kind == CKPT_TARGET_CHECKPOINT) {
		if ((rc = ckpt_lookup_commit(s, t->name, &oid, err)) < 0)
			return rc;
		git_oid_tostr(commit, CKPT_OID_HEX, &oid);
		return 0;
	}
	if ((rc = ckpt_log_read(s, &log, err)) < 0)
		return rc;
	switch (t->kind) {
	case CKPT_TARGET_LAST_RUN:
		for (size_t i = log.count; i-- > 0 && !run;)
			if (log.entries[i].kind != CKPT_KIND_ROLLBACK)
				run = log.entries[i].run;
		/* fall through */
	case CKPT_TARGET_RUN:
		if (!run)
			run = t->name;
		for (size_t i = 0; run && i < log.count && !hit; i++)
			if (log.entries[i].kind != CKPT_KIND_ROLLBACK &&
			    strcmp(log.entries[i].run, run) == 0)
				hit = &log.entries[i];
		break;
	case CKPT_TARGET_CALL:
		for (size_t i = log.count; i-- > 0 && !hit;)
			if (strcmp(log.entries[i].call_id, t->name) == 0)
				hit = &log.entries[i];
		break;
	case CKPT_TARGET_UNDO:
		for (size_t i = log.count; i-- > 0 && !hit;)
			if (log.entries[i].kind == CKPT_KIND_ROLLBACK)
				hit = &log.entries[i];
		break;
	case CKPT_TARGET_CHECKPOINT:
		break;
	}
	if (hit)
		snprintf(commit, CKPT_OID_HEX, "%s", hit->commit);
	ckpt_log_release(&log);
	if (hit)
		return 0;
	switch (t->kind) {
	case CKPT_TARGET_RUN:
		return corral_error_set(
		    err, CORRAL_E_NOTFOUND, 0,
		    "no run '%s' in this workspace's checkpoints (see 'corral log')", t->name);
	case CKPT_TARGET_CALL:
		return corral_error_set(
		    err, CORRAL_E_NOTFOUND, 0,
		    "no call '%s' in this workspace's checkpoints (see 'corral log')", t->name);
	case CKPT_TARGET_UNDO:
		return corral_error_set(err, CORRAL_E_NOTFOUND, 0,
		                        "there is no rollback to undo in %s", s->workspace);
	default:
		return corral_error_set(err, CORRAL_E_NOTFOUND, 0,
		                        "no checkpoint of %s yet: nothing to go back to",
		                        s->workspace);
	}
}

/* The tree of @hex, or of the workspace now when @hex is NULL. */
static int tree_of(struct ckpt_store *s, const char *hex, git_tree **out, struct corral_error *err)
{
	git_oid oid;
	int rc;

	if (!hex) {
		if ((rc = ckpt_snapshot(s, NULL, CKPT_KIND_CALL, NULL, false, &oid, NULL, err)) <
		        0 ||
		    (rc = ckpt_git_open(s, err)) < 0)
			return rc;
		if (git_tree_lookup(out, s->repo, &oid) < 0)
			return ckpt_git_error(err, "cannot read the workspace's tree");
		return 0;
	}
	if ((rc = ckpt_lookup_commit(s, hex, &oid, err)) < 0)
		return rc;
	return ckpt_commit_tree(s, &oid, out, err);
}

static int make_diff(struct ckpt_store *s, const char *from, const char *to,
                     const char *const *paths, size_t npaths, git_diff **out,
                     struct corral_error *err)
{
	git_diff_options opts;
	git_tree *a = NULL, *b = NULL;
	int rc;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* No textconv, no external diff drivers: the store's config is
	 * corral's own and libgit2 runs neither anyway. */
	opts.pathspec.strings = (char **)paths;
	opts.pathspec.count = npaths;
	if ((rc = tree_of(s, from, &a, err)) == 0 && (rc = tree_of(s, to, &b, err)) == 0 &&
	    git_diff_tree_to_tree(out, s->repo, a, b, &opts) < 0)
		rc = ckpt_git_error(err, "cannot compute a diff");
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

int ckpt_diffstat(struct ckpt_store *s, const char *from, const char *to, struct ckpt_stat *out,
                  struct corral_error *err)
{
	git_diff *d = NULL;
	git_diff_stats *st = NULL;
	int rc;

	if ((rc = ckpt_lock(s, err)) < 0)
		return rc;
	if ((rc = make_diff(s, from, to, NULL, 0, &d, err)) == 0) {
		if (git_diff_get_stats(&st, d) < 0) {
			rc = ckpt_git_error(err, "cannot compute a diff stat");
		} else {
			out->files = git_diff_stats_files_changed(st);
			out->insertions = git_diff_stats_insertions(st);
			out->deletions = git_diff_stats_deletions(st);
		}
	}
	git_diff_stats_free(st);
	git_diff_free(d);
	ckpt_unlock(s);
	return rc;
}

int ckpt_diff(struct ckpt_store *s, const char *from, const char *const *paths, size_t npaths,
              char **out, struct corral_error *err)
{
	struct ckpt_target last = {.kind = CKPT_TARGET_LAST_RUN};
	char hex[CKPT_OID_HEX];
	git_buf buf = {0};
	git_diff *d = NULL;
	int rc;

	if ((rc = ckpt_lock(s, err)) < 0)
		return rc;
	if (!from) {
		if ((rc = ckpt_resolve(s, &last, hex, err)) < 0)
			goto out;
		from = hex;
	}
	if ((rc = make_diff(s, from, NULL, paths, npaths, &d, err)) < 0)
		goto out;
	if (git_diff_to_buf(&buf, d, GIT_DIFF_FORMAT_PATCH) < 0) {
		rc = ckpt_git_error(err, "cannot format a diff");
		goto out;
	}
	if (!(*out = strndup(buf.ptr ? buf.ptr : "", buf.size)))
		rc = nomem(err);
out:
	git_buf_dispose(&buf);
	git_diff_free(d);
	ckpt_unlock(s);
	return rc;
}

/* ---- retention and gc ---- */

static bool in_list(char (*list)[CKPT_OID_HEX], size_t n, const char *hex)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], hex) == 0)
			return true;
	return false;
}

/* Delete refs/checkpoints/X for every X not in @keep. */
static int drop_refs(struct ckpt_store *s, char (*keep)[CKPT_OID_HEX], size_t nkeep,
                     size_t *dropped, struct corral_error *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc;

	if ((rc = ckpt_git_open(s, err)) < 0)
		return rc;
	if (git_reference_iterator_glob_new(&it, s->repo, "refs/checkpoints/*") < 0)
		return ckpt_git_error(err, "cannot list checkpoints");
	while (git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref) + strlen("refs/checkpoints/");
		if (!in_list(keep, nkeep, name)) {
			if (git_reference_delete(ref) < 0)
				rc = ckpt_git_error(err, "cannot drop a checkpoint");
			else
				(*dropped)++;
		}
		git_reference_free(ref);
		if (rc < 0)
			break;
	}
	git_reference_iterator_free(it);
	return rc;
}

int ckpt_retention(struct ckpt_store *s, size_t *dropped, size_t *kept, struct corral_error *err)
{
	struct ckpt_log log;
	char(*keep)[CKPT_OID_HEX] = NULL;
	size_t nkeep = 0, distinct = 0, nlive = 0;
	bool *live = NULL;
	struct timespec now;
	int64_t cutoff = 0;
	int rc;

	*dropped = *kept = 0;
	if ((rc = ckpt_log_read(s, &log, err)) < 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	if (s->max_age_ms)
		cutoff =
		    (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - (int64_t)s->max_age_ms;
	if (!(keep = calloc(log.count * 2 + 1, sizeof(*keep)))) {
		ckpt_log_release(&log);
		return nomem(err);
	}
	if (!(live = calloc(log.count + 1, sizeof(*live)))) {
		rc = nomem(err);
		goto out;
	}
	/* Newest first: an entry survives while its checkpoint is among the
	 * newest `keep` distinct ones and young enough; the newest entry (the
	 * current state) always survives. */
	for (size_t i = log.count; i-- > 0;) {
		const struct ckpt_entry *e = &log.entries[i];
		bool newest = i == log.count - 1;
		bool known = in_list(keep, nkeep, e->commit);
		if (!newest && !known && s->keep && distinct >= s->keep)
			continue;
		if (!newest && cutoff && e->time_ms < cutoff)
			continue;
		if (nlive >= CKPT_JOURNAL_ENTRIES_MAX)
			continue;
		if (!known) {
			snprintf(keep[nkeep++], CKPT_OID_HEX, "%s", e->commit);
			distinct++;
		}
		if (e->target[0] && !in_list(keep, nkeep, e->target))
			snprintf(keep[nkeep++], CKPT_OID_HEX, "%s", e->target);
		live[i] = true;
		nlive++;
	}
	if (nlive != log.count) {
		struct ckpt_log out = {0};
		if (!(out.entries = calloc(nlive + 1, sizeof(*out.entries)))) {
			rc = nomem(err);
			goto out;
		}
		for (size_t i = 0; i < log.count; i++)
			if (live[i])
				out.entries[out.count++] = log.entries[i];
		rc = ckpt_journal_rewrite(s, &out, err);
		free(out.entries);
		if (rc < 0)
			goto out;
	}
	*kept = distinct;
	rc = drop_refs(s, keep, nkeep, dropped, err);
out:
	free(live);
	free(keep);
	ckpt_log_release(&log);
	return rc;
}

/* Remove every loose object and every pack but the one named @keep. */
static size_t prune_objects(const char *objdir, const char *keep)
{
	DIR *d = opendir(objdir), *sub;
	struct dirent *de, *se;
	size_t removed = 0;
	char path[PATH_MAX];

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		bool loose = strlen(de->d_name) == 2 && strspn(de->d_name, "0123456789abcdef") == 2;
		bool pack = strcmp(de->d_name, "pack") == 0;
		if (!loose && !pack)
			continue;
		snprintf(path, sizeof(path), "%s/%s", objdir, de->d_name);
		if (!(sub = opendir(path)))
			continue;
		while ((se = readdir(sub))) {
			char file[PATH_MAX + 256];
			if (se->d_name[0] == '.')
				continue;
			if (pack && keep && strstr(se->d_name, keep))
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, se->d_name);
			if (unlink(file) == 0)
				removed++;
		}
		closedir(sub);
		if (loose)
			rmdir(path);
	}
	closedir(d);
	return removed;
}

bool ckpt_gc_due(const struct ckpt_store *s)
{
	char *dir = s->gitdir ? ckpt_path(s->gitdir, "objects/17") : NULL;
	struct dirent *d;
	size_t n = 0;
	DIR *dp;

	dp = dir ? opendir(dir) : NULL;
	free(dir);
	if (!dp)
		return false;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dp);
	/* One directory of 256 holds about 1/256 of the objects. */
	return n > (CKPT_GC_AUTO_LOOSE + 255) / 256;
}

int ckpt_gc(struct ckpt_store *s, struct ckpt_gc_report *out, struct corral_error *err)
{
	git_packbuilder *pb = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	git_odb *odb = NULL;
	char *objdir = NULL, *name = NULL;
	struct ckpt_gc_report rep = {0};
	int rc;

	if ((rc = ckpt_lock(s, err)) < 0)
		return rc;
	rep.removed = ckpt_clean_stale(s);
	if ((rc = ckpt_git_open(s, err)) < 0 ||
	    (rc = ckpt_retention(s, &rep.dropped, &rep.kept, err)) < 0)
		goto out;
	/* The tree cache may name trees of dry runs and diffs that no
	 * checkpoint holds: prune removes them, so the cache goes first. */
	ckpt_trees_forget(s);
	if (git_packbuilder_new(&pb, s->repo) < 0 ||
	    git_reference_iterator_glob_new(&it, s->repo, "refs/checkpoints/*") < 0) {
		rc = ckpt_git_error(err, "cannot start packing");
		goto out;
	}
	while (git_reference_next(&ref, it) == 0) {
		const git_oid *id = git_reference_target(ref);
		if (id && git_packbuilder_insert_commit(pb, id) < 0)
			rc = ckpt_git_error(err, "cannot pack a checkpoint");
		git_reference_free(ref);
		if (rc < 0)
			goto out;
	}
	/* The stat cache names blobs too (a diff or a dry run may have made
	 * them): keep those, or a cache hit would name a missing object. */
	if ((rc = ckpt_stat_read(s, err)) < 0)
		goto out;
	if (git_repository_odb(&odb, s->repo) == 0) {
		for (size_t i = 0; i < s->stat.count && rc == 0; i++) {
			const git_oid *id = &s->stat.entries[i].oid;
			if (git_odb_exists(odb, id) && git_packbuilder_insert(pb, id, NULL) < 0)
				rc = ckpt_git_error(err, "cannot pack a cached file");
		}
		git_odb_free(odb);
		odb = NULL;
		if (rc < 0)
			goto out;
	}
	rep.packed = git_packbuilder_object_count(pb);
	if (rep.packed) {
		if (git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0) {
			rc = ckpt_git_error(err, "cannot write a pack");
			goto out;
		}
		if (!(name = strdup(git_packbuilder_name(pb)))) {
			rc = nomem(err);
			goto out;
		}
	}
	ckpt_fault("gc-pack");
	if (asprintf(&objdir, "%s/objects", git_repository_path(s->repo)) < 0) {
		objdir = NULL;
		rc = nomem(err);
		goto out;
	}
	/* Everything reachable is in the new pack now; the rest goes. */
	rep.removed += prune_objects(objdir, name);
	ckpt_fault("gc-prune");
	if (git_repository_odb(&odb, s->repo) == 0)
		git_odb_refresh(odb);
	git_odb_free(odb);
out:
	git_reference_iterator_free(it);
	git_packbuilder_free(pb);
	free(objdir);
	free(name);
	ckpt_unlock(s);
	if (rc == 0 && out)
		*out = rep;
	return rc;
}
