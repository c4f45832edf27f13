/*
 * walk.c - the sorted, .gitignore-aware file walk of list_files and grep.
 *
 * Paths are handled relative to a top directory: the workspace when the
 * walk's root lies inside it (so the .gitignore files of the root's parents
 * apply, as they do for git), else the root itself. The rules of git are
 * followed where they matter to an agent: patterns with `*`, `?`, `[...]`
 * and `**`, `!` negation, a trailing `/` for directories only, a leading or
 * inner `/` anchoring the pattern to its .gitignore's directory, later rules
 * and deeper files winning, and an ignored directory hiding all it holds.
 */
#define _GNU_SOURCE
#include "builtin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ignore_rule {
	char *pattern;
	bool negate;
	bool dir_only;
	bool anchored;
};

/* The rules of one .gitignore; base is its directory relative to the top. */
struct ignore_level {
	char *base;
	struct ignore_rule *rules;
	size_t len;
};

struct walk {
	char top[PATH_MAX];     /* the top directory, as a path to open */
	const char *root_shown; /* the root as the caller named it */
	size_t root_rel_len;    /* length of the root's path relative to top */
	struct ignore_level levels[BUILTIN_WALK_DEPTH_MAX + 8];
	size_t depth;
	builtin_walk_fn fn;
	void *ctx;
	bool stop;
};

static void level_release(struct ignore_level *level)
{
	for (size_t i = 0; i < level->len; i++)
		free(level->rules[i].pattern);
	free(level->rules);
	free(level->base);
	*level = (struct ignore_level){0};
}

static void level_add(struct ignore_level *level, char *line)
{
	struct ignore_rule rule = {0}, *grown;
	size_t n = strlen(line);

	while (n > 0 &&
	       (line[n - 1] == '\r' || (line[n - 1] == ' ' && (n < 2 || line[n - 2] != '\\'))))
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return;
	if (line[0] == '!') {
		rule.negate = true;
		line++;
		n--;
	} else if (line[0] == '\\' && (line[1] == '!' || line[1] == '#')) {
		line++;
		n--;
	}
	if (n > 0 && line[n - 1] == '/') {
		rule.dir_only = true;
		line[--n] = '\0';
	}
	if (n == 0)
		return;
	rule.anchored = strchr(line, '/') != NULL;
	if (line[0] == '/')
		line++;
	rule.pattern = strdup(line);
	if (rule.pattern == NULL)
		return;
	grown = reallocarray(level->rules, level->len + 1, sizeof(*level->rules));
	if (grown == NULL) {
		free(rule.pattern);
		return;
	}
	level->rules = grown;
	level->rules[level->len++] = rule;
}

/* Push the .gitignore of directory @rel (relative to top, "" for top). A
 * missing or unreadable file pushes an empty level. */
static void walk_push(struct walk *w, const char *rel)
{
	struct ignore_level *level = &w->levels[w->depth++];
	char path[PATH_MAX * 2];
	char *text = NULL, *line, *save = NULL;
	size_t len;

	*level = (struct ignore_level){0};
	level->base = strdup(rel);
	snprintf(path, sizeof(path), "%s/%s%s.gitignore", w->top, rel, rel[0] != '\0' ? "/" : "");
	if (builtin_file_read(path, BUILTIN_GITIGNORE_MAX, &text, &len, NULL) != 0)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		level_add(level, line);
	free(text);
}

static void walk_pop(struct walk *w)
{
	level_release(&w->levels[--w->depth]);
}

/* Is @rel (relative to top) excluded by the .gitignore files on the stack? */
static bool walk_ignored(const struct walk *w, const char *rel, bool is_dir)
{
	const char *name = strrchr(rel, '/');
	bool ignored = false;

	name = name != NULL ? name + 1 : rel;
	for (size_t d = 0; d < w->depth; d++) {
		const struct ignore_level *level = &w->levels[d];
		size_t bl = level->base != NULL ? strlen(level->base) : 0;
		const char *sub = bl > 0 ? rel + bl + 1 : rel;

		if (bl > 0 && (strncmp(rel, level->base, bl) != 0 || rel[bl] != '/'))
			continue;
		for (size_t i = 0; i < level->len; i++) {
			const struct ignore_rule *r = &level->rules[i];
			bool hit;

			if (r->dir_only && !is_dir)
				continue;
			if (r->anchored)
				hit = builtin_glob_match(r->pattern, sub);
			else
				hit = fnmatch(r->pattern, name, 0) == 0;
			if (hit)
				ignored = !r->negate;
		}
	}
	return ignored;
}

static int name_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, const char *rel, int depth)
{
	char path[PATH_MAX * 2], child[PATH_MAX], shown[PATH_MAX * 2];
	char **names = NULL;
	size_t len = 0, size = 0;
	struct dirent *e;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", w->top, rel);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return; /* unreadable directories are skipped */
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, ".git") == 0)
			continue;
		if (len == size) {
			size_t grown_size = size > 0 ? size * 2 : 64;
			char **grown = reallocarray(names, grown_size, sizeof(*names));

			if (grown == NULL)
				break;
			names = grown;
			size = grown_size;
		}
		names[len] = strdup(e->d_name);
		if (names[len] != NULL)
			len++;
	}
	qsort(names, len, sizeof(*names), name_compare);

	walk_push(w, rel);
	for (size_t i = 0; i < len && !w->stop; i++) {
		struct stat st;
		bool is_dir;

		if (snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] != '\0' ? "/" : "",
		             names[i]) >= (int)sizeof(child))
			continue;
		if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		is_dir = S_ISDIR(st.st_mode);
		if (walk_ignored(w, child, is_dir))
			continue;
		if (is_dir) {
			if (depth < BUILTIN_WALK_DEPTH_MAX)
				walk_dir(w, child, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			continue;
		{
			const char *from_root = child + w->root_rel_len;

			if (w->root_rel_len > 0)
				from_root++;
			if (strcmp(w->root_shown, ".") == 0)
				snprintf(shown, sizeof(shown), "%s", from_root);
			else
				snprintf(shown, sizeof(shown), "%s%s%s", w->root_shown,
				         w->root_shown[strlen(w->root_shown) - 1] == '/' ? "" : "/",
				         from_root);
			if (w->fn(shown, from_root, w->ctx) != 0)
				w->stop = true;
		}
	}
	walk_pop(w);
	for (size_t i = 0; i < len; i++)
		free(names[i]);
	free(names);
	closedir(dir);
}

int builtin_walk(const char *root, builtin_walk_fn fn, void *ctx)
{
	struct walk *w = calloc(1, sizeof(*w));
	char real[PATH_MAX], rel[PATH_MAX];
	const char *ws = builtin_host->workspace();
	size_t wl = strlen(ws);
	struct stat st;

	if (w == NULL)
		return ENOMEM;
	if (realpath(root, real) == NULL || stat(real, &st) != 0) {
		int err = errno;

		free(w);
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		free(w);
		return ENOTDIR;
	}
	w->root_shown = root;
	w->fn = fn;
	w->ctx = ctx;
	if (strncmp(real, ws, wl) == 0 && (real[wl] == '\0' || real[wl] == '/') && wl > 1) {
		/* Inside the workspace: the parents' .gitignore files apply. */
		snprintf(w->top, sizeof(w->top), "%s", ws);
		snprintf(rel, sizeof(rel), "%s", real[wl] == '/' ? real + wl + 1 : "");
		for (char *p = rel; *p != '\0' && w->depth < BUILTIN_WALK_DEPTH_MAX; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			walk_push(w, rel);
			*p = '/';
		}
		if (rel[0] != '\0')
			walk_push(w, "");
		/* The levels were pushed deepest-first; sort them by base length
		 * so that the workspace's rules come first. */
		for (size_t i = 1; i < w->depth; i++)
			for (size_t j = i;
			     j > 0 && strlen(w->levels[j].base) < strlen(w->levels[j - 1].base);
			     j--) {
				struct ignore_level t = w->levels[j];

				w->levels[j] = w->levels[j - 1];
				w->levels[j - 1] = t;
			}
	} else {
		snprintf(w->top, sizeof(w->top), "%s", real);
		rel[0] = '\0';
	}
	w->root_rel_len = strlen(rel);
	walk_dir(w, rel, 0);
	while (w->depth > 0)
		walk_pop(w);
	free(w);
	return 0;
}
