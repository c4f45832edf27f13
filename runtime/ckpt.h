/*
 * ckpt.h - checkpoints of a workspace in a shadow git repository that corral
 * owns, and rollback to any of them.
 *
 * The store of a workspace lives under the state directory, in
 * checkpoints/KEY/ (KEY derives from the workspace's real path): a bare git
 * repository (git/), a stat cache (stat), a cache of each directory's tree
 * (trees), a journal of the calls that were checkpointed (journal), a lock
 * file and, while a rollback runs, its intent record. The workspace's own
 * .git is never read by libgit2 and never written; hooks, filters,
 * attributes and the workspace's git configuration are never honoured.
 * docs/checkpoints.md describes the layout and rules.
 *
 * Every function that changes the store takes the store's lock (flock) for
 * its duration, so several processes can share one store; a store can stay
 * open for many checkpoints (corral serve).
 */
#ifndef CORRAL_CKPT_H
#define CORRAL_CKPT_H

#include <corral/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy;

/* Hex digits of a checkpoint id as users see and type it. */
#define CKPT_ID_LEN 12
/* Hex digits of a full commit id, plus its NUL. */
#define CKPT_OID_HEX 41
/* How long to wait for another corral process that holds the store. */
#define CKPT_LOCK_WAIT_MS 15000
/* Skipped paths recorded per checkpoint; past it the list says "truncated". */
#define CKPT_SKIP_MAX 2000
/* Journal entries kept at most (calls linked to unchanged checkpoints add
 * entries without checkpoints); retention drops the oldest beyond it. */
#define CKPT_JOURNAL_ENTRIES_MAX 20000
/* Retention also runs every this many entries, not only on new checkpoints. */
#define CKPT_RETENTION_EVERY 1024
/* Default cap on one captured file (checkpoint.max_file_size). */
#define CKPT_DEFAULT_MAX_FILE_SIZE (10u * 1024 * 1024)

struct ckpt_config {
	uint64_t max_file_size;     /* 0: CKPT_DEFAULT_MAX_FILE_SIZE */
	const char *const *exclude; /* gitignore-syntax patterns, may be NULL */
	size_t exclude_count;
	uint32_t keep;       /* checkpoints kept; 0: no limit */
	uint64_t max_age_ms; /* older ones are pruned; 0: no limit */
};

/*
 * Fill @cfg from the checkpoint section of @p. @cfg->exclude points into an
 * array the caller frees with free() (*@exclude_out), the strings into @p.
 */
int ckpt_config_from_policy(struct ckpt_config *cfg, const struct policy *p,
                            const char ***exclude_out, struct corral_error *err);

/* What a checkpoint records about the call that follows it. */
struct ckpt_call {
	const char *run;         /* run name; NULL: a new run named for the time */
	const char *call_id;     /* NULL: "cN" from the journal's sequence number */
	const char *tool;        /* tool name; NULL for a manual checkpoint */
	const char *args_digest; /* e.g. SHA-256 hex of the arguments, or a message */
};

enum ckpt_skip_reason {
	CKPT_SKIP_IGNORED,     /* .gitignore, .git/info/exclude or checkpoint.exclude */
	CKPT_SKIP_TOO_LARGE,   /* over checkpoint.max_file_size */
	CKPT_SKIP_NESTED_REPO, /* a directory with its own .git: a boundary */
	CKPT_SKIP_SPECIAL,     /* a fifo, socket or device */
	CKPT_SKIP_UNREADABLE,  /* open or read failed */
	CKPT_SKIP_STATE,       /* corral's own state directory */
};

/* The reason as one word ("ignored", "too-large", ...). */
const char *ckpt_skip_reason_name(enum ckpt_skip_reason r);

struct ckpt_skip {
	char *path; /* relative to the workspace; a directory ends in '/' */
	enum ckpt_skip_reason reason;
};

struct ckpt_skiplist {
	struct ckpt_skip *items;
	size_t count;
	size_t total; /* > count when the list was truncated at CKPT_SKIP_MAX */
};

/* What ckpt_take() did. Release with ckpt_info_release(). */
struct ckpt_info {
	char id[CKPT_ID_LEN + 1];  /* the checkpoint the call is linked to */
	char commit[CKPT_OID_HEX]; /* its full commit id */
	char call_id[64];
	char run[64];
	bool created; /* false: nothing changed, linked to the current one */
	uint64_t seq; /* the journal entry's sequence number */
	int64_t time_ms;
	char head[256]; /* the user's HEAD, as ckpt_entry.head */
	size_t files;   /* files and links captured */
	size_t hashed;  /* of those, read and hashed (the rest came from the cache) */
	size_t trees;   /* directories whose tree was built (the rest kept theirs) */
	struct ckpt_skiplist skipped;
};

/* Free what @info owns (its skipped list); NULL is fine. */
void ckpt_info_release(struct ckpt_info *info);

struct ckpt_store;

/*
 * Open (creating it on first use) the store of @workspace under @state_dir.
 * @cfg is copied. If an interrupted rollback is found, it is finished first
 * and ckpt_recovered() says so. Errors: CORRAL_E_IO (the workspace or the
 * store cannot be opened), CORRAL_E_LIMIT (another process holds the store
 * longer than CKPT_LOCK_WAIT_MS; the message names its pid).
 */
int ckpt_open(const char *state_dir, const char *workspace, const struct ckpt_config *cfg,
              struct ckpt_store **out, struct corral_error *err);

/* Close @s (NULL is fine). */
void ckpt_close(struct ckpt_store *s);

/* A sentence about a rollback ckpt_open() finished, or NULL. Owned by @s. */
const char *ckpt_recovered(const struct ckpt_store *s);

/* The store's directory and the workspace's real path. Owned by @s. */
const char *ckpt_store_dir(const struct ckpt_store *s);
const char *ckpt_workspace(const struct ckpt_store *s);

/*
 * Snapshot the workspace before @call runs. When nothing changed since the
 * current checkpoint no commit is made and the call is linked to it. The
 * journal records the call either way. On failure nothing is recorded (a
 * failed snapshot never counts as a checkpoint). Fills @out, which the caller
 * releases with ckpt_info_release().
 */
int ckpt_take(struct ckpt_store *s, const struct ckpt_call *call, struct ckpt_info *out,
              struct corral_error *err);

enum ckpt_kind {
	CKPT_KIND_CALL,     /* before a tool call */
	CKPT_KIND_MANUAL,   /* corral checkpoint */
	CKPT_KIND_ROLLBACK, /* before a rollback; target is what it restored */
};

/* One journal entry: a checkpointed call. */
struct ckpt_entry {
	uint64_t seq;
	enum ckpt_kind kind;
	int64_t time_ms;
	bool created;
	char commit[CKPT_OID_HEX]; /* the checkpoint taken before the call */
	char target[CKPT_OID_HEX]; /* rollback only: the checkpoint restored */
	char *run, *call_id, *tool, *args, *head;
};

/* The journal, oldest first. Release with ckpt_log_release(). */
struct ckpt_log {
	struct ckpt_entry *entries;
	size_t count;
};

/* Read the journal of @s into @out. */
int ckpt_log_read(struct ckpt_store *s, struct ckpt_log *out, struct corral_error *err);
/* Free the entries of @log; NULL is fine. */
void ckpt_log_release(struct ckpt_log *log);

struct ckpt_stat {
	size_t files, insertions, deletions;
};

/*
 * The diff stat between two commits (full or abbreviated hex), @to NULL
 * meaning the workspace as it is now.
 */
int ckpt_diffstat(struct ckpt_store *s, const char *from, const char *to, struct ckpt_stat *out,
                  struct corral_error *err);

/*
 * A unified diff from checkpoint @from (NULL: the start of the last run) to
 * the workspace as it is now, limited to @paths (pathspecs: a path, a directory or a glob)
 * when @npaths > 0. *@out is a new string the caller frees.
 */
int ckpt_diff(struct ckpt_store *s, const char *from, const char *const *paths, size_t npaths,
              char **out, struct corral_error *err);

enum ckpt_target_kind {
	CKPT_TARGET_LAST_RUN,   /* the state before the last run */
	CKPT_TARGET_CHECKPOINT, /* @name: a checkpoint id (hex prefix) */
	CKPT_TARGET_RUN,        /* @name: the state before that run */
	CKPT_TARGET_CALL,       /* @name: the state before that call */
	CKPT_TARGET_UNDO,       /* the state before the last rollback */
};

struct ckpt_target {
	enum ckpt_target_kind kind;
	const char *name;
};

/* Resolve @t to a full commit id in @commit. CORRAL_E_NOTFOUND names @t. */
int ckpt_resolve(struct ckpt_store *s, const struct ckpt_target *t, char commit[CKPT_OID_HEX],
                 struct corral_error *err);

enum ckpt_change_kind {
	CKPT_CHANGE_WRITE,  /* a file or link restored or recreated */
	CKPT_CHANGE_DELETE, /* a file or link the run created, removed */
	CKPT_CHANGE_MKDIR,  /* a directory recreated */
	CKPT_CHANGE_RMDIR,  /* a directory the run created, removed */
	CKPT_CHANGE_KEEP,   /* left alone: no checkpoint saw it (see why) */
};

struct ckpt_change {
	char *path;
	enum ckpt_change_kind kind;
	const char *why; /* static text, for KEEP */
};

/* What a rollback did (or would do). Release with ckpt_report_release(). */
struct ckpt_report {
	struct ckpt_change *items;
	size_t count;
	char target[CKPT_OID_HEX];
	char pre[CKPT_OID_HEX]; /* the snapshot taken first (for --undo); "" in dry runs */
	char head_note[1024];   /* when the user's HEAD moved: what and how to return */
};

/*
 * Restore the workspace to @t. It first snapshots the workspace (so the
 * rollback can be undone), writes an intent record, then writes only inside
 * the workspace through directory fds, never following a symlink, and never
 * deletes or overwrites anything no checkpoint saw (listed as KEEP). With
 * @dry_run it changes nothing and lists what it would do.
 */
int ckpt_restore(struct ckpt_store *s, const struct ckpt_target *t, bool dry_run,
                 struct ckpt_report *out, struct corral_error *err);
/* Free the changes of @r; NULL is fine. */
void ckpt_report_release(struct ckpt_report *r);

struct ckpt_gc_report {
	size_t dropped; /* checkpoints retention dropped */
	size_t kept;    /* checkpoints kept */
	size_t removed; /* loose objects, packs and stale files removed */
	size_t packed;  /* objects in the new pack */
};

/*
 * Apply retention (keep, max_age_ms), drop unreferenced checkpoints, pack
 * what is reachable and delete the rest, and remove stale lock and tmp files.
 */
int ckpt_gc(struct ckpt_store *s, struct ckpt_gc_report *out, struct corral_error *err);

/* Loose objects past which ckpt_gc_due() says a gc is due (git's gc.auto). */
#define CKPT_GC_AUTO_LOOSE 6700

/*
 * Whether the store holds so many loose objects that a gc is due: the
 * objects of checkpoints that retention dropped stay on disk until a gc
 * packs what is kept and deletes the rest. Estimated as git does, from one
 * of the 256 object directories, so it costs one directory read.
 */
bool ckpt_gc_due(const struct ckpt_store *s);

/*
 * Test hook: when the environment variable CORRAL_FAULT equals @step, the
 * process kills itself with SIGKILL. Cheap when it is unset.
 */
void ckpt_fault(const char *step);

/* The names of every fault step, NULL-terminated (for tests and docs). */
extern const char *const ckpt_fault_steps[];

#endif
