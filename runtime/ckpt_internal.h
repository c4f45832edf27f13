/*
 * ckpt_internal.h - what the checkpoint files (ckpt_*.c) share. Not for
 * other modules: they use ckpt.h.
 */
#ifndef CORRAL_CKPT_INTERNAL_H
#define CORRAL_CKPT_INTERNAL_H

#include "ckpt.h"

#include <git2.h>
#include <sys/types.h>
#include <time.h>

/* A line of .gitignore (or checkpoint.exclude) with the directory it is in. */
struct ckpt_ignore_pat {
	char *pat;
	size_t baselen; /* bytes of the base directory prefix, with its '/' */
	char *base;
	bool negate, dir_only, anchored;
};

struct ckpt_ignore {
	struct ckpt_ignore_pat *pats;
	size_t count, cap;
};

/* Bytes of the random stamp each write of the stat cache gets. */
#define CKPT_STAMP_LEN 20

/* One file of the stat cache: what vouches for it, and its blob. */
struct ckpt_stat_entry {
	int64_t mtime_s, ctime_s;
	uint64_t size, ino, dev;
	uint32_t mtime_ns, ctime_ns;
	uint32_t mode; /* a git file mode */
	const char *path;
	git_oid oid;
};

/* The stat cache as read (ckpt_stat.c). */
struct ckpt_statcache {
	char *buf; /* the file; entries' paths point into it */
	size_t len;
	struct ckpt_stat_entry *entries;
	size_t count;
	size_t *slots; /* open addressing: index + 1 into entries, 0 free */
	size_t nslots;
	unsigned char stamp[CKPT_STAMP_LEN];
	struct timespec mtime; /* of the file: entries not older are racy */
	bool loaded;
};

struct ckpt_store {
	git_repository *repo;
	char *dir;       /* checkpoints/KEY */
	char *workspace; /* real path */
	int ws_fd;       /* the workspace directory, O_DIRECTORY */
	int lock_fd;
	int lock_depth;
	uint64_t max_file_size;
	char **exclude;
	size_t exclude_count;
	uint32_t keep;
	uint64_t max_age_ms;
	dev_t state_dev;
	ino_t state_ino;
	struct ckpt_statcache stat; /* the stat cache, kept between snapshots */
	char *gitdir;               /* the repository's path */
	bool git_up;                /* libgit2 initialised for this store */
	char recovered[512];
};

/* Read the stat cache into s->stat unless the one there is current (same
 * stamp). A missing or unreadable file is an empty cache; errors: memory. */
int ckpt_stat_read(struct ckpt_store *s, struct corral_error *err);

/* The entry for @path (relative to the workspace), or NULL. */
const struct ckpt_stat_entry *ckpt_stat_find(const struct ckpt_statcache *c, const char *path);

/* Replace the stat cache file with @entries, under a new stamp (temp file
 * and rename). Errors: the file cannot be written (named). */
int ckpt_stat_write(struct ckpt_store *s, const struct ckpt_stat_entry *entries, size_t count,
                    struct corral_error *err);

/* The stamp of the stat cache file as it is now; false when there is none. */
bool ckpt_stat_stamp(struct ckpt_store *s, unsigned char out[CKPT_STAMP_LEN]);

/* Free what ckpt_stat_read() read. */
void ckpt_stat_release(struct ckpt_statcache *c);

/* Take and release the store lock (nested calls are counted). */
int ckpt_lock(struct ckpt_store *s, struct corral_error *err);
void ckpt_unlock(struct ckpt_store *s);

/*
 * Initialise libgit2 and open the store's repository, once per store: every
 * function that uses s->repo calls it first. Only then, because libgit2's
 * initialisation parses the system's CA bundle, most of what a fresh process
 * pays for a checkpoint that changes nothing (which needs no repository).
 */
int ckpt_git_open(struct ckpt_store *s, struct corral_error *err);

/* Fill @err from libgit2's last error, with @what as context. */
int ckpt_git_error(struct corral_error *err, const char *what);

/* "DIR/NAME" in a new string, or NULL. */
char *ckpt_path(const char *dir, const char *name);

/*
 * Snapshot the workspace into a tree. With @commit_call, also commit it,
 * reference it and journal the call (ckpt_take()); without, only write the
 * tree (for diffs and dry runs). Caller holds the lock.
 */
int ckpt_snapshot(struct ckpt_store *s, const struct ckpt_call *call, enum ckpt_kind kind,
                  const char *target, bool journal, git_oid *tree_out, struct ckpt_info *info,
                  struct corral_error *err);

/* Append one entry to the journal (caller holds the lock). */
int ckpt_journal_append(struct ckpt_store *s, const struct ckpt_entry *e, struct corral_error *err);

/* The journal's last entry, read from its tail (*@found false: none).
 * Release *@out with ckpt_entry_release(). */
int ckpt_journal_last(struct ckpt_store *s, struct ckpt_entry *out, bool *found,
                      struct corral_error *err);
void ckpt_entry_release(struct ckpt_entry *e);

/* Rewrite the journal with @log's entries (tmp file and rename). */
int ckpt_journal_rewrite(struct ckpt_store *s, const struct ckpt_log *log,
                         struct corral_error *err);

/* The state an entry leaves the workspace in: its target for a rollback. */
const char *ckpt_entry_state(const struct ckpt_entry *e);

/* Resolve hex (full or a prefix of at least 4) to a commit id. */
int ckpt_lookup_commit(struct ckpt_store *s, const char *hex, git_oid *out,
                       struct corral_error *err);

/* The tree of commit @oid (caller frees). */
int ckpt_commit_tree(struct ckpt_store *s, const git_oid *oid, git_tree **out,
                     struct corral_error *err);

/* The user's HEAD as "REF SHA", "SHA" (detached) or "" (no repository). */
void ckpt_user_head(int ws_fd, char *out, size_t size);

/* Finish an interrupted rollback if an intent record exists (lock held). */
int ckpt_restore_recover(struct ckpt_store *s, struct corral_error *err);

/* Parse the skipped lines of a checkpoint commit's message. */
int ckpt_commit_skips(struct ckpt_store *s, const git_oid *commit, struct ckpt_skiplist *out,
                      struct corral_error *err);
void ckpt_skiplist_release(struct ckpt_skiplist *l);
int ckpt_skiplist_add(struct ckpt_skiplist *l, const char *path, enum ckpt_skip_reason r);

/* Drop the tree cache (the trees of the last walk, by directory): gc calls
 * it before it prunes, since the trees it names may be pruned. Lock held. */
void ckpt_trees_forget(struct ckpt_store *s);

/* Remove stale lock and temp files in the store (lock held); how many. */
size_t ckpt_clean_stale(struct ckpt_store *s);

/* Apply retention to the journal and drop the refs it no longer uses. */
int ckpt_retention(struct ckpt_store *s, size_t *dropped, size_t *kept, struct corral_error *err);

#endif
