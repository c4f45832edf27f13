/*
 * write_file.c - the write_file tool: create or replace a file atomically.
 */
#include "builtin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char write_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"path\",\"content\"],"
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"description\":\"The file, relative to the workspace or "
    "absolute. Missing parent directories are created.\"},"
    "\"content\":{\"type\":\"string\",\"description\":\"The file's complete new content.\"}}}";

static int write_file_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args);
	const char *path = NULL, *content = NULL;
	bool created = false;
	char text[4200];
	size_t len;
	int err;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "path", true, &path) != 0 ||
	    builtin_arg_string(call, json, "content", true, &content) != 0)
		goto out;
	if (path[0] == '\0') {
		builtin_error(call, "the argument 'path' is empty");
		goto out;
	}
	len = strlen(content);
	err = builtin_mkdir_parents(path);
	if (err != 0) {
		builtin_path_error(call, "create the directories of", path, err);
		goto out;
	}
	err = builtin_file_write_atomic(path, content, len, &created);
	if (err == EISDIR) {
		builtin_error(call, "%s is a directory", path);
		goto out;
	} else if (err != 0) {
		builtin_path_error(call, "write", path, err);
		goto out;
	}
	snprintf(text, sizeof(text), "wrote %zu bytes to %s (%s)\n", len, path,
	         created ? "created" : "replaced");
	builtin_host->add_text(call, text, strlen(text));
out:
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_write_file_tool = {
    .size = sizeof(struct corral_tool),
    .name = "write_file",
    .title = "Write a file",
    .description = "Create a file or replace its whole content. The write is atomic (a "
                   "temporary file renamed over the old one), an existing file keeps its "
                   "permissions, and missing parent directories are created. To change part "
                   "of a file, use edit_file.",
    .input_schema = write_schema,
    .hints = CORRAL_TOOL_DESTRUCTIVE | CORRAL_TOOL_IDEMPOTENT,
    .run = write_file_run,
};
