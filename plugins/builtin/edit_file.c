/*
 * edit_file.c - the edit_file tool: replace an exact string in a file.
 */
#define _GNU_SOURCE
#include "builtin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char edit_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"path\",\"old_string\",\"new_string\"],"
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"description\":\"The file, relative to the workspace or "
    "absolute.\"},"
    "\"old_string\":{\"type\":\"string\",\"description\":\"The exact text to replace, byte for "
    "byte, whitespace included. It must occur once unless replace_all is set.\"},"
    "\"new_string\":{\"type\":\"string\",\"description\":\"The text to put in its place.\"},"
    "\"replace_all\":{\"type\":\"boolean\",\"description\":\"Replace every occurrence "
    "(default false).\"}}}";

static int edit_file_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args);
	const char *path = NULL, *old_s = NULL, *new_s = NULL;
	bool replace_all = false, created;
	struct strbuf out = {0};
	char *text = NULL, msg[4200];
	size_t len, old_len, count = 0;
	int err;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "path", true, &path) != 0 ||
	    builtin_arg_string(call, json, "old_string", true, &old_s) != 0 ||
	    builtin_arg_string(call, json, "new_string", true, &new_s) != 0 ||
	    builtin_arg_bool(call, json, "replace_all", &replace_all) != 0)
		goto out;
	old_len = strlen(old_s);
	if (old_len == 0) {
		builtin_error(call, "old_string is empty; use write_file to write a whole file");
		goto out;
	}
	if (strcmp(old_s, new_s) == 0) {
		builtin_error(call, "old_string and new_string are the same; nothing to change");
		goto out;
	}
	err = builtin_file_read(path, BUILTIN_FILE_MAX, &text, &len, NULL);
	if (err == EFBIG) {
		builtin_error(call, "%s is larger than %u MiB; edit_file edits smaller files only",
		              path, BUILTIN_FILE_MAX / (1024 * 1024));
		goto out;
	} else if (err == EISDIR) {
		builtin_error(call, "%s is a directory", path);
		goto out;
	} else if (err == EINVAL) {
		builtin_error(call, "%s is not a regular file", path);
		goto out;
	} else if (err != 0) {
		builtin_path_error(call, "open", path, err);
		goto out;
	}
	for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), old_s, old_len));
	     p += old_len)
		count++;
	if (count == 0) {
		builtin_error(call, "old_string not found in %s", path);
		goto out;
	}
	if (count > 1 && !replace_all) {
		builtin_error(call,
		              "old_string matches %zu times in %s; add context or set replace_all",
		              count, path);
		goto out;
	}
	{
		const char *p = text, *hit;

		while ((hit = memmem(p, len - (size_t)(p - text), old_s, old_len)) != NULL) {
			strbuf_append(&out, p, (size_t)(hit - p));
			strbuf_append(&out, new_s, strlen(new_s));
			p = hit + old_len;
		}
		strbuf_append(&out, p, len - (size_t)(p - text));
	}
	if (out.failed) {
		builtin_error(call, "out of memory while editing %s", path);
		goto out;
	}
	err = builtin_file_write_atomic(path, out.buf != NULL ? out.buf : "", out.len, &created);
	if (err != 0) {
		builtin_path_error(call, "write", path, err);
		goto out;
	}
	snprintf(msg, sizeof(msg), "replaced %zu occurrence(s) in %s\n", count, path);
	builtin_host->add_text(call, msg, strlen(msg));
out:
	strbuf_release(&out);
	free(text);
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_edit_file_tool = {
    .size = sizeof(struct corral_tool),
    .name = "edit_file",
    .title = "Edit a file",
    .description = "Replace an exact string in a file with another. old_string must match the "
                   "file byte for byte and occur exactly once (include surrounding lines to "
                   "make it unique), or set replace_all to replace every occurrence. The "
                   "write is atomic and keeps the file's permissions.",
    .input_schema = edit_schema,
    .hints = CORRAL_TOOL_DESTRUCTIVE,
    .run = edit_file_run,
};
