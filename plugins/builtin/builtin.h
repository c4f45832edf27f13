/*
 * builtin.h - what the built-in tools share: the host table, argument
 * helpers, path messages, whole-file reads and atomic writes, and the
 * .gitignore-aware directory walk. Internal to builtin.so (hidden symbols).
 */
#ifndef CORRAL_BUILTIN_H
#define CORRAL_BUILTIN_H

#include <corral/plugin.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Files the text tools (read_file, edit_file) load whole, at most. */
#define BUILTIN_FILE_MAX (10u * 1024 * 1024)
/* Bytes inspected for NUL to call a file binary. */
#define BUILTIN_BINARY_PROBE 8192
/* Output cap used when the host has no output_cap slot. */
#define BUILTIN_OUTPUT_CAP (1024u * 1024)
/* Deepest directory nesting the walk descends into. */
#define BUILTIN_WALK_DEPTH_MAX 64
/* Largest .gitignore file read. */
#define BUILTIN_GITIGNORE_MAX (1024u * 1024)

/* The host, set by corral_plugin_init; valid for the worker's life. */
extern const struct corral_host *builtin_host;

extern const struct corral_tool builtin_exec_tool;
extern const struct corral_tool builtin_read_file_tool;
extern const struct corral_tool builtin_write_file_tool;
extern const struct corral_tool builtin_edit_file_tool;
extern const struct corral_tool builtin_list_files_tool;
extern const struct corral_tool builtin_grep_tool;

/* A growable byte buffer; stays NUL-terminated. failed is set when an
 * allocation failed (the content is then incomplete). */
struct strbuf {
	char *buf;
	size_t len;
	size_t size;
	bool failed;
};

void strbuf_append(struct strbuf *sb, const char *data, size_t len);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Free the buffer's memory. Accepts a zeroed struct. */
void strbuf_release(struct strbuf *sb);

/* Set the call's error to a formatted message; returns 0, so a tool can
 * `return builtin_error(call, ...)`. */
int builtin_error(struct corral_call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Set the call's error for a failed operation on @path: "cannot VERB PATH:
 * strerror", plus a plain note when the path lies outside the workspace (the
 * sandbox hides most of the file system, and the model should know why).
 * Returns 0.
 */
int builtin_path_error(struct corral_call *call, const char *verb, const char *path, int err);

/* Does @path (relative to the workspace or absolute) lie outside the
 * workspace after lexical normalisation? */
bool builtin_path_outside(const char *path);

/* The most text this call keeps (host->output_cap when the host has it). */
size_t builtin_output_cap(struct corral_call *call);

/*
 * Argument helpers. Each returns 0 and stores the value (left untouched
 * when the argument is absent and not required), or sets the call's error
 * naming the argument and returns -1.
 */
int builtin_arg_string(struct corral_call *call, const cJSON *args, const char *name, bool required,
                       const char **out);
int builtin_arg_number(struct corral_call *call, const cJSON *args, const char *name, double min,
                       double max, double *out);
int builtin_arg_bool(struct corral_call *call, const cJSON *args, const char *name, bool *out);
/* Parse the arguments object; NULL (error set) when it is not one. The
 * caller frees it with cJSON_Delete. */
cJSON *builtin_args_parse(struct corral_call *call, const char *args);

/* Is the UTF-8 in @len bytes at @s valid (and NUL-free)? */
bool builtin_utf8_valid(const char *s, size_t len);

/*
 * Read the regular file @path whole, at most @max bytes, into a malloc'd
 * NUL-terminated buffer (*out, caller frees) and its length. Returns 0, or a
 * positive errno (EFBIG when larger than @max, EISDIR/EINVAL when not a
 * regular file). *mode gets the file's permission bits when non-NULL.
 */
int builtin_file_read(const char *path, size_t max, char **out, size_t *len, mode_t *mode);

/*
 * Replace @path atomically with @len bytes at @data: write a uniquely named
 * temporary file (O_EXCL) in the same directory, fsync it, rename it over
 * @path. Keeps the mode of an existing file (0644 for a new one); a path
 * that is a symlink is written through to its target. *created tells
 * whether the file is new. Returns 0 or a positive errno; no temporary file
 * is left behind on failure.
 */
int builtin_file_write_atomic(const char *path, const char *data, size_t len, bool *created);

/* Create the parent directories of @path (mkdir -p). Returns 0 or errno. */
int builtin_mkdir_parents(const char *path);

/*
 * Glob matching with `**`: segments are matched with fnmatch(3) (no
 * FNM_PATHNAME within a segment, * never crosses '/'); a `**` segment
 * matches any number of whole segments, none included.
 */
bool builtin_glob_match(const char *pattern, const char *path);
/* A file filter: a pattern without '/' matches the file's base name at any
 * depth; one with '/' matches the whole relative path. */
bool builtin_glob_filter(const char *pattern, const char *rel);

/*
 * Walk the files under @root (a directory, relative to the workspace or
 * absolute) in sorted order, depth first, skipping `.git` and whatever the
 * .gitignore files on the way (the workspace's, from its root down) exclude.
 * Symbolic links are reported as files and never followed. @fn gets the
 * path to show (@root joined with the relative path) and the path relative
 * to @root; it returns non-zero to stop the walk. Returns 0, or a positive
 * errno when @root cannot be opened.
 */
typedef int (*builtin_walk_fn)(const char *shown, const char *rel, void *ctx);
int builtin_walk(const char *root, builtin_walk_fn fn, void *ctx);

#endif
