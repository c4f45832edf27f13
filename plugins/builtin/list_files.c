/*
 * list_files.c - the list_files tool: the files under a directory.
 */
#include "builtin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LIST_MAX_DEFAULT 1000
#define LIST_MAX_LIMIT   100000

static const char list_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"description\":\"The directory to list, relative to the "
    "workspace or absolute (default \\\".\\\").\"},"
    "\"pattern\":{\"type\":\"string\",\"description\":\"A glob the files must match: `*`, `?`, "
    "`[...]` within a name, `**` for any number of directories. Without a `/` it matches the "
    "file name at any depth (\\\"*.c\\\"); with one, the path relative to `path` "
    "(\\\"src/**/*.h\\\").\"},"
    "\"max\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100000,\"description\":\"The most "
    "files to list (default 1000).\"}}}";

struct list_state {
	const char *pattern;
	size_t max;
	size_t count;
	bool capped;
	struct strbuf out;
};

static int list_one(const char *shown, const char *rel, void *ctx)
{
	struct list_state *s = ctx;

	if (s->pattern != NULL && !builtin_glob_filter(s->pattern, rel))
		return 0;
	if (s->count == s->max) {
		s->capped = true;
		return 1;
	}
	s->count++;
	strbuf_append(&s->out, shown, strlen(shown));
	strbuf_append(&s->out, "\n", 1);
	return 0;
}

static int list_files_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args);
	struct list_state s = {0};
	const char *path = ".";
	double max = LIST_MAX_DEFAULT;
	int err;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "path", false, &path) != 0 ||
	    builtin_arg_string(call, json, "pattern", false, &s.pattern) != 0 ||
	    builtin_arg_number(call, json, "max", 1, LIST_MAX_LIMIT, &max) != 0)
		goto out;
	if (path[0] == '\0')
		path = ".";
	s.max = (size_t)max;
	err = builtin_walk(path, list_one, &s);
	if (err == ENOTDIR) {
		builtin_error(call, "%s is not a directory", path);
		goto out;
	} else if (err != 0) {
		builtin_path_error(call, "list", path, err);
		goto out;
	}
	if (s.out.failed) {
		builtin_error(call, "out of memory while listing %s", path);
		goto out;
	}
	if (s.count == 0)
		strbuf_printf(&s.out, "no files%s%s under %s\n", s.pattern != NULL ? " match " : "",
		              s.pattern != NULL ? s.pattern : "", path);
	else if (s.capped)
		strbuf_printf(&s.out,
		              "[listing stopped at max=%zu files; more match: narrow path or "
		              "pattern, or raise max]\n",
		              s.max);
	builtin_host->add_text(call, s.out.buf, s.out.len);
out:
	strbuf_release(&s.out);
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_list_files_tool = {
    .size = sizeof(struct corral_tool),
    .name = "list_files",
    .title = "List files",
    .description = "List the files under a directory, recursively and sorted, one path per "
                   "line, optionally filtered by a glob. Skips .git and everything the "
                   ".gitignore files exclude. Stops at `max` files (default 1000) and says so.",
    .input_schema = list_schema,
    .hints = CORRAL_TOOL_READ_ONLY | CORRAL_TOOL_IDEMPOTENT,
    .run = list_files_run,
};
