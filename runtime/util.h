/*
 * util.h - small helpers shared by the runtime: strings, files, suggestions.
 * Library code: never prints, never exits.
 */
#ifndef CORRAL_UTIL_H
#define CORRAL_UTIL_H

#include <corral/error.h>

#include <stddef.h>
#include <sys/types.h>

/* Levenshtein distance between @a and @b, capped at @cap (returns cap+1 when
 * farther), for "did you mean" suggestions. */
size_t util_edit_distance(const char *a, const char *b, size_t cap);

/*
 * Of the NULL-terminated @candidates, the one closest to @word if it is close
 * enough to be a plausible typo (distance <= max(1, strlen/3)), else NULL.
 * Returns a pointer into @candidates.
 */
const char *util_suggest(const char *word, const char *const *candidates);

/*
 * Read all of @path into a new NUL-terminated buffer (*@out, length in *@len).
 * Files larger than @cap bytes are refused with CORRAL_E_TOOLARGE. The caller
 * frees *@out.
 */
int util_read_file(const char *path, size_t cap, char **out, size_t *len, struct corral_error *err);

/*
 * A copy of @in (@len bytes, which may hold NULs and invalid UTF-8) that is
 * valid UTF-8 with no NUL: every invalid byte and every NUL becomes U+FFFD.
 * For putting a command's output into JSON. NULL when out of memory.
 */
char *util_utf8_sanitize(const char *in, size_t len);

/*
 * Copy @s into @buf for quoting in a one-line message: control bytes
 * become \xNN, and a value longer than @max bytes is cut at a character
 * boundary and ends in "...". @buf must hold UTIL_QUOTE_BUF(@max) bytes.
 * Returns @buf.
 */
#define UTIL_QUOTE_BUF(max) ((max)*4 + 4)
const char *util_quote(char *buf, const char *s, size_t max);

/* mkdir -p @path with @mode for the directories it creates. 0 or -errno. */
int util_mkdir_p(const char *path, mode_t mode);

#endif
