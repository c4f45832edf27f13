/*
 * pathglob.h - path globs as users write them in policies.
 *
 * A pattern is matched against a relative path, '/'-separated:
 *   *      any run of characters within one component
 *   ?      one character within a component
 *   [...]  a character class, as in fnmatch(3)
 *   **     as a whole component: zero or more components
 * A pattern without '/' matches the last component at any depth
 * (".env" matches "a/b/.env"), as in .gitignore. A trailing '/' matches
 * directories only (the caller says whether @path is one).
 */
#ifndef CORRAL_PATHGLOB_H
#define CORRAL_PATHGLOB_H

#include <stdbool.h>

bool pathglob_match(const char *pattern, const char *path, bool is_dir);

/* Does @s contain glob metacharacters? */
bool pathglob_has_magic(const char *s);

#endif
