/*
 * grep.c - the grep tool: lines matching a POSIX extended regular expression.
 *
 * Files are streamed in fixed-size chunks, never loaded whole; a line longer
 * than GREP_LINE_MAX is matched on its first GREP_LINE_MAX bytes only.
 */
#define _GNU_SOURCE
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GREP_MAX_DEFAULT 200
#define GREP_MAX_LIMIT   10000
#define GREP_LINE_MAX    (64u * 1024) /* bytes of a line that are searched */
#define GREP_SHOW_MAX    500          /* bytes of a matching line that are shown */
#define GREP_CHUNK       (64u * 1024)

static const char grep_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"pattern\"],"
    "\"properties\":{"
    "\"pattern\":{\"type\":\"string\",\"description\":\"A POSIX extended regular expression "
    "(as grep -E: `|`, `+`, `?`, `()`, `{n,m}`, bracket classes such as [[:space:]]; no \\\\d "
    "or lookaround), matched against each line.\"},"
    "\"path\":{\"type\":\"string\",\"description\":\"A file or directory to search, relative "
    "to the workspace or absolute (default \\\".\\\").\"},"
    "\"glob\":{\"type\":\"string\",\"description\":\"Only search files matching this glob "
    "(\\\"*.c\\\" matches names at any depth; \\\"src/**/*.h\\\" matches paths).\"},"
    "\"ignore_case\":{\"type\":\"boolean\",\"description\":\"Match case-insensitively "
    "(default false).\"},"
    "\"max\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000,\"description\":\"The most "
    "matching lines to return (default 200).\"}}}";

struct grep_state {
	regex_t re;
	const char *glob;
	size_t max;
	size_t count;
	size_t files_skipped; /* binary or unreadable */
	bool capped;
	char *line; /* GREP_LINE_MAX + 1 bytes */
	char *chunk;
	struct strbuf out;
};

/* Match one line (NUL-terminated in s->line); returns non-zero to stop. */
static int grep_line(struct grep_state *s, const char *shown, size_t number, size_t len)
{
	size_t keep = len;

	if (regexec(&s->re, s->line, 0, NULL, 0) != 0)
		return 0;
	if (s->count == s->max) {
		s->capped = true;
		return 1;
	}
	s->count++;
	if (keep > GREP_SHOW_MAX) {
		keep = GREP_SHOW_MAX;
		while (keep > 0 && ((unsigned char)s->line[keep] & 0xc0) == 0x80)
			keep--;
	}
	strbuf_printf(&s->out, "%s:%zu:", shown, number);
	strbuf_append(&s->out, s->line, keep);
	if (keep < len)
		strbuf_append(&s->out, " [...]", 6);
	strbuf_append(&s->out, "\n", 1);
	return 0;
}

/* Search one file; returns non-zero to stop the walk. */
static int grep_file(struct grep_state *s, const char *path, const char *shown)
{
	size_t len = 0, number = 0, total = 0;
	int fd, stop = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		s->files_skipped++;
		return 0;
	}
	{
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return 0;
		}
	}
	for (;;) {
		ssize_t n = read(fd, s->chunk, GREP_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Binary: a NUL byte in the first probe bytes, as grep decides. */
		if (total < BUILTIN_BINARY_PROBE && memchr(s->chunk, '\0',
		                                           (size_t)n < BUILTIN_BINARY_PROBE - total
		                                               ? (size_t)n
		                                               : BUILTIN_BINARY_PROBE - total)) {
			s->files_skipped++;
			close(fd);
			return 0;
		}
		total += (size_t)n;
		for (ssize_t i = 0; i < n && !stop; i++) {
			char c = s->chunk[i];

			if (c == '\n') {
				number++;
				s->line[len] = '\0';
				stop = grep_line(s, shown, number, len);
				len = 0;
			} else if (len < GREP_LINE_MAX) {
				s->line[len++] = c == '\0' ? ' ' : c;
			}
		}
		if (stop)
			break;
	}
	if (!stop && len > 0) {
		number++;
		s->line[len] = '\0';
		stop = grep_line(s, shown, number, len);
	}
	close(fd);
	return stop;
}

static int grep_one(const char *shown, const char *rel, void *ctx)
{
	struct grep_state *s = ctx;

	if (s->glob != NULL && !builtin_glob_filter(s->glob, rel))
		return 0;
	return grep_file(s, shown, shown);
}

static int grep_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args);
	struct grep_state s = {0};
	const char *pattern = NULL, *path = ".";
	double max = GREP_MAX_DEFAULT;
	bool ignore_case = false, compiled = false;
	struct stat st;
	int rc, err;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "pattern", true, &pattern) != 0 ||
	    builtin_arg_string(call, json, "path", false, &path) != 0 ||
	    builtin_arg_string(call, json, "glob", false, &s.glob) != 0 ||
	    builtin_arg_bool(call, json, "ignore_case", &ignore_case) != 0 ||
	    builtin_arg_number(call, json, "max", 1, GREP_MAX_LIMIT, &max) != 0)
		goto out;
	if (path[0] == '\0')
		path = ".";
	s.max = (size_t)max;
	rc = regcomp(&s.re, pattern,
	             REG_EXTENDED | REG_NEWLINE | REG_NOSUB | (ignore_case ? REG_ICASE : 0));
	if (rc != 0) {
		char reason[256];

		regerror(rc, &s.re, reason, sizeof(reason));
		builtin_error(call,
		              "bad regular expression '%s': %s (grep uses POSIX extended "
		              "syntax)",
		              pattern, reason);
		goto out;
	}
	compiled = true;
	s.line = malloc(GREP_LINE_MAX + 1);
	s.chunk = malloc(GREP_CHUNK);
	if (s.line == NULL || s.chunk == NULL) {
		builtin_error(call, "out of memory");
		goto out;
	}
	if (stat(path, &st) != 0) {
		builtin_path_error(call, "search", path, errno);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = builtin_walk(path, grep_one, &s);
		if (err != 0) {
			builtin_path_error(call, "search", path, err);
			goto out;
		}
	} else {
		grep_file(&s, path, path);
	}
	if (s.out.failed) {
		builtin_error(call, "out of memory while searching %s", path);
		goto out;
	}
	if (s.count == 0)
		strbuf_printf(&s.out, "no matches for %s under %s\n", pattern, path);
	else if (s.capped)
		strbuf_printf(&s.out,
		              "[stopped at max=%zu matches; more lines match: narrow the "
		              "pattern, path or glob, or raise max]\n",
		              s.max);
	if (s.files_skipped > 0)
		strbuf_printf(&s.out, "(%zu binary or unreadable files skipped)\n",
		              s.files_skipped);
	builtin_host->add_text(call, s.out.buf, s.out.len);
out:
	if (compiled)
		regfree(&s.re);
	free(s.line);
	free(s.chunk);
	strbuf_release(&s.out);
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_grep_tool = {
    .size = sizeof(struct corral_tool),
    .name = "grep",
    .title = "Search files",
    .description = "Search files for lines matching a POSIX extended regular expression and "
                   "return them as `file:line:text`. Searches a directory recursively in "
                   "sorted order, skipping .git, .gitignored and binary files; `glob` narrows "
                   "the files. Stops at `max` matches (default 200) and says so.",
    .input_schema = grep_schema,
    .hints = CORRAL_TOOL_READ_ONLY | CORRAL_TOOL_IDEMPOTENT,
    .run = grep_run,
};
