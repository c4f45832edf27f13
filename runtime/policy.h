/*
 * policy.h - corral's policy files: load, merge (extends), inspect.
 *
 * A policy is JSON with comments (// and / * * /). Every file is parsed into
 * the typed struct policy below, which the sandbox compiler and the rules
 * engine consume; nothing downstream looks at JSON text again.
 *
 * Merging with "extends": the base is loaded first, then the file's own
 * fields are applied on top of it. A scalar (a limit, a mode, a decision)
 * replaces the base's value. A list (filesystem paths, env.pass, rules,
 * checkpoint.exclude, network.allow) is appended to the base's list, so a
 * derived policy can add paths and rules but never silently drop a base's
 * deny rule or hidden path. env.set entries replace the base's entry of the
 * same name.
 *
 * Pure code: no side effect but reading the files it is asked to load.
 */
#ifndef CORRAL_POLICY_H
#define CORRAL_POLICY_H

#include <corral/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard caps on what the loader accepts from a file. */
#define POLICY_FILE_MAX    (1u << 20) /* 1 MiB of text per file */
#define POLICY_DEPTH_MAX   32         /* JSON nesting depth */
#define POLICY_EXTENDS_MAX 16         /* length of an extends chain */
#define POLICY_LIST_MAX    4096       /* entries in any one list */

/* Safe defaults, used where no policy in the chain sets a value. */
#define POLICY_DEFAULT_TIMEOUT_MS      (120u * 1000u) /* "120s" */
#define POLICY_DEFAULT_MEMORY          (2ull << 30)   /* "2GiB" */
#define POLICY_DEFAULT_PROCESSES       256u           /* tasks */
#define POLICY_DEFAULT_OUTPUT          (1ull << 20)   /* "1MiB" per stream */
#define POLICY_DEFAULT_FILE_SIZE       (1ull << 30)   /* "1GiB" */
#define POLICY_DEFAULT_OPEN_FILES      1024u          /* descriptors */
#define POLICY_DEFAULT_TMP_SIZE        (256ull << 20) /* "256MiB" */
#define POLICY_DEFAULT_CALLS           4u             /* calls at once in corral serve */
#define POLICY_CALLS_MAX               16u
#define POLICY_DEFAULT_CKPT_MAX_FILE   (10ull << 20)       /* "10MiB" */
#define POLICY_DEFAULT_CKPT_KEEP       100u                /* checkpoints */
#define POLICY_DEFAULT_CKPT_MAX_AGE_MS (14ull * 86400000u) /* "14d" */

enum policy_net_mode {
	POLICY_NET_NONE = 0, /* an empty network namespace */
	POLICY_NET_PROXY,    /* allow-listed hosts through corral's proxy */
	POLICY_NET_HOST,     /* the host's network, explicit opt-in only */
};

enum policy_decision {
	POLICY_DECISION_UNSET = 0,
	POLICY_DECISION_ALLOW,
	POLICY_DECISION_ASK,
	POLICY_DECISION_DENY,
};

/* Where a value came from. @file points at one of policy->files. */
struct policy_loc {
	const char *file;
	int line; /* 1-based */
	int col;  /* 1-based, in bytes */
};

struct policy_str {
	char *value;
	struct policy_loc loc;
};

struct policy_strlist {
	struct policy_str *items;
	size_t count;
};

struct policy_env_var {
	char *name;
	char *value;
	struct policy_loc loc;
};

/*
 * One rule: "exec(git push *)" or the object form
 * {"match": ..., "decision": ..., "network": ..., "timeout": ..., "hint": ...,
 *  "examples": {"match": [...], "not_match": [...]}}.
 */
struct policy_rule {
	char *match;
	enum policy_decision decision; /* the list it sits in, or its "decision" */
	char *hint;                    /* NULL when absent */
	struct policy_strlist examples_match;
	struct policy_strlist examples_not_match;
	bool has_timeout;
	uint64_t timeout_ms;
	bool has_network;
	enum policy_net_mode network_mode;
	struct policy_strlist network_allow;
	struct policy_loc loc;
};

struct policy_rulelist {
	struct policy_rule *items;
	size_t count;
};

struct policy_limits {
	uint64_t timeout_ms; /* wall clock */
	uint64_t memory;     /* bytes */
	uint64_t output;     /* bytes captured per stream */
	uint64_t file_size;  /* largest file a call may write, bytes */
	uint64_t tmp_size;   /* size of the private /tmp, bytes */
	uint32_t processes;  /* tasks alive at once */
	uint32_t open_files; /* descriptors per process */
	uint32_t calls;      /* tool calls one corral serve runs at once */
};

struct policy {
	/* Every file loaded, the named one first, then its bases: real paths,
	 * "<profile:NAME>" for a shipped profile. Owned. */
	char **files;
	size_t nfiles;

	struct {
		struct policy_strlist read;    /* readable paths */
		struct policy_strlist write;   /* writable paths ("." = workspace) */
		struct policy_strlist hide;    /* globs made invisible */
		struct policy_strlist protect; /* read-only even under a write path */
	} filesystem;

	struct {
		enum policy_net_mode mode;
		struct policy_strlist allow; /* hosts, for mode proxy */
		bool unix_sockets;           /* socket(AF_UNIX) allowed (default false) */
	} network;

	struct policy_limits limits;

	struct {
		struct policy_strlist pass; /* names passed from the caller */
		struct policy_env_var *set; /* fixed values */
		size_t nset;
	} env;

	struct {
		enum policy_decision default_decision;
		struct policy_rulelist allow;
		struct policy_rulelist ask;
		struct policy_rulelist deny;
	} rules;

	struct {
		struct policy_strlist paths;   /* plugin directories */
		struct policy_strlist enable;  /* when not empty: only these tools */
		struct policy_strlist disable; /* these tools are not offered */
		/* corral's own tools (policy_corral_tools), served by the host
		 * outside the sandbox; none unless listed. */
		struct policy_strlist corral;
	} tools;

	struct {
		uint64_t max_file_size;
		struct policy_strlist exclude;
		uint32_t keep;       /* checkpoints kept per workspace */
		uint64_t max_age_ms; /* older ones are pruned */
	} checkpoint;

	struct {
		struct policy_str path;       /* the log file; value NULL: the state directory's */
		struct policy_strlist redact; /* POSIX EREs; what they match is not recorded */
	} audit;
};

/*
 * Load the policy @name_or_path: a shipped profile's name ("workspace-write")
 * or a path to a file. On success *@out owns a new policy (free it with
 * policy_free()). On failure returns a negative corral_code and @err names
 * file:line:col and the key at fault.
 */
int policy_load(const char *name_or_path, struct policy **out, struct corral_error *err);

/* Like policy_load() for text already in memory; @filename is used in errors
 * and to resolve a relative "extends". */
int policy_load_buffer(const char *filename, const char *text, size_t len, struct policy **out,
                       struct corral_error *err);

/* Flags for policy_load_buffer_flags(). */
#define POLICY_LOAD_PROFILES_ONLY 0x1u /* "extends" may name shipped profiles, never a file */

/* policy_load_buffer() with @flags, for text from a party that must not make
 * the loader open files (a fuzzer, a remote client). */
int policy_load_buffer_flags(const char *filename, const char *text, size_t len, unsigned flags,
                             struct policy **out, struct corral_error *err);

/* Release @p and everything it owns. Accepts NULL. */
void policy_free(struct policy *p);

/* Render the effective policy as JSON text (newly allocated, caller frees);
 * NULL when out of memory. */
char *policy_to_json(const struct policy *p, bool pretty);

/* The shipped profiles: names, and each one's text (static, never freed). */
size_t policy_profile_count(void);
const char *policy_profile_name(size_t i);
const char *policy_profile_text(const char *name); /* NULL when unknown */

/* Parse "1GiB", "512MiB", "10MB", "4096" into bytes; "120s", "500ms", "2m",
 * "1h30m", "14d" into milliseconds. Return 0, or -1 with a reason in @why
 * (static or per-thread text, valid until the next call in the thread).
 * Sizes take a decimal fraction with a unit ("1.5GiB", truncated to whole
 * bytes) and one optional space before the unit; durations take whole
 * numbers only, units from largest to smallest, each at most once. */
int policy_parse_size(const char *s, uint64_t *bytes, const char **why);
int policy_parse_duration(const char *s, uint64_t *ms, const char **why);

/* Render @bytes as an exact size ("2GiB", "10MB", "1234B") and @ms as a
 * duration ("1h30m", "500ms") that the parsers above read back. Write into
 * @buf (POLICY_FORMAT_MAX bytes) and return it. */
#define POLICY_FORMAT_MAX 48
char *policy_format_size(uint64_t bytes, char *buf);
char *policy_format_duration(uint64_t ms, char *buf);

/* The names tools.corral accepts, NULL-terminated: corral's own read-only
 * tools over its checkpoint store (host_tools.h). */
extern const char *const policy_corral_tools[];

const char *policy_net_mode_name(enum policy_net_mode m);
const char *policy_decision_name(enum policy_decision d);

#endif
