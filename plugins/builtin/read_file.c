/*
 * read_file.c - the read_file tool: a text file as numbered lines.
 */
#include "builtin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define READ_LIMIT_DEFAULT 2000
#define READ_LINE_MAX      2000 /* bytes shown of one line */

static const char read_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"path\"],"
    "\"properties\":{"
    "\"path\":{\"type\":\"string\",\"description\":\"The file, relative to the workspace or "
    "absolute.\"},"
    "\"offset\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"The first line to show, "
    "1-based (default 1).\"},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"How many lines to show "
    "(default 2000).\"}}}";

/* Cut a line at READ_LINE_MAX bytes, on a UTF-8 character boundary. */
static size_t line_cut(const char *s, size_t len)
{
	size_t n = READ_LINE_MAX;

	if (len <= n)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int read_file_run(struct corral_call *call, const char *args, void *data)
{
	cJSON *json = builtin_args_parse(call, args);
	const char *path = NULL;
	double offset = 1, limit = READ_LIMIT_DEFAULT;
	struct strbuf out = {0};
	char *text = NULL;
	size_t len, line = 0, shown = 0, remaining = 0;
	int err;

	if (json == NULL)
		return 0;
	if (builtin_arg_string(call, json, "path", true, &path) != 0 ||
	    builtin_arg_number(call, json, "offset", 1, 1e12, &offset) != 0 ||
	    builtin_arg_number(call, json, "limit", 1, 1e12, &limit) != 0)
		goto out;

	err = builtin_file_read(path, BUILTIN_FILE_MAX, &text, &len, NULL);
	if (err == EFBIG) {
		builtin_error(call,
		              "%s is larger than %u MiB; read_file shows smaller files only "
		              "(use grep to find what you need)",
		              path, BUILTIN_FILE_MAX / (1024 * 1024));
		goto out;
	} else if (err == EISDIR) {
		builtin_error(call, "%s is a directory; use list_files to see what it holds", path);
		goto out;
	} else if (err == EINVAL) {
		builtin_error(call, "%s is not a regular file", path);
		goto out;
	} else if (err != 0) {
		builtin_path_error(call, "open", path, err);
		goto out;
	}
	if (memchr(text, '\0', len < BUILTIN_BINARY_PROBE ? len : BUILTIN_BINARY_PROBE) != NULL) {
		builtin_error(call, "%s looks binary (NUL bytes); read_file shows text only", path);
		goto out;
	}
	if (!builtin_utf8_valid(text, len)) {
		builtin_error(call, "%s looks binary (not valid UTF-8); read_file shows text only",
		              path);
		goto out;
	}
	if (len == 0) {
		strbuf_printf(&out, "%s is empty\n", path);
		goto done;
	}

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (line >= (size_t)offset && shown < (size_t)limit) {
			size_t keep = line_cut(p, n);

			strbuf_printf(&out, "%6zu\t", line);
			strbuf_append(&out, p, keep);
			if (keep < n)
				strbuf_printf(&out, " [... line cut: %zu more bytes]", n - keep);
			strbuf_append(&out, "\n", 1);
			shown++;
		} else if (line >= (size_t)offset) {
			remaining++;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (shown == 0) {
		builtin_error(call, "offset %.0f is past the end of %s (%zu lines)", offset, path,
		              line);
		goto out;
	}
	if (remaining > 0)
		strbuf_printf(&out, "... %zu more lines; use offset %zu to read on\n", remaining,
		              (size_t)offset + shown);
done:
	if (out.failed)
		builtin_error(call, "out of memory while reading %s", path);
	else
		builtin_host->add_text(call, out.buf, out.len);
out:
	strbuf_release(&out);
	free(text);
	cJSON_Delete(json);
	return 0;
}

const struct corral_tool builtin_read_file_tool = {
    .size = sizeof(struct corral_tool),
    .name = "read_file",
    .title = "Read a file",
    .description = "Read a UTF-8 text file and return its lines numbered like `cat -n` "
                   "(line number, tab, text). Shows up to `limit` lines (default 2000) from "
                   "line `offset` (default 1) and says how many lines remain. Lines longer "
                   "than 2000 bytes are cut with a marker. Refuses binary files and files "
                   "over 10 MiB.",
    .input_schema = read_schema,
    .hints = CORRAL_TOOL_READ_ONLY | CORRAL_TOOL_IDEMPOTENT,
    .run = read_file_run,
};
