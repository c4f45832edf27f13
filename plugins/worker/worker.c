/*
 * corral-worker - loads one plugin and runs it, inside the sandbox of a call.
 *
 * The contract with corral is docs/worker.md: the plugin is on fd 3, the
 * verb and tool on the command line, the arguments on stdin, exactly one JSON
 * document on stdout. Everything the plugin can influence (tool definitions,
 * text, structured results) is validated and copied here, and every buffer it
 * can grow has a cap, because the plugin is untrusted code.
 *
 * The worker starts on every call's path, so it links only libdl and cJSON.
 */
#define _GNU_SOURCE
#include <corral/plugin.h>

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit status when the worker itself fails (docs/worker.md). */
#define WORKER_EXIT_FAILURE  3

#define WORKER_PLUGIN_PATH   "/proc/self/fd/3"
#define WORKER_ARGS_MAX      (16u * 1024 * 1024)
#define WORKER_OUTPUT_CAP    (1024u * 1024)
#define WORKER_TOOL_NAME_MAX 64
#define WORKER_TOOLS_MAX     1024
/* Tool descriptions and schemas are model-facing text; a plugin that
 * registers megabytes of it is broken. */
#define WORKER_TOOL_TEXT_MAX (256u * 1024)
#define WORKER_MESSAGE_MAX   4096
/* Structured results: what corral accepts of the worker's whole answer
 * (runtime/tools.c: six bytes of JSON per byte of output, the worst case
 * of escapes). */
#define WORKER_STRUCTURED_MAX(cap) ((size_t)(cap)*6)
#define WORKER_PROGRESS_GAP_NS     100000000LL /* at most 10 progress lines a second */

/* A tool as registered, every string owned by the worker. */
struct worker_tool {
	char *name;
	char *title;
	char *description;
	cJSON *input_schema;
	cJSON *output_schema;
	uint32_t hints;
	corral_tool_fn run;
	void *data;
};

struct corral_call {
	char *text; /* add_text content, at most output_cap bytes */
	size_t text_len;
	size_t text_size;
	size_t output_cap;
	size_t dropped;
	cJSON *structured;
	char *error;
	int progress_fd;
	long long progress_last_ns;
};

/*
 * The worker's state. Host functions other than the per-call ones take no
 * context argument, so this one instance is reachable from them.
 */
static struct worker {
	struct worker_tool *tools;
	size_t tools_len;
	bool in_init;
	char register_error[WORKER_MESSAGE_MAX]; /* the first invalid definition */
	char workspace[PATH_MAX];
	const char *script;
} worker;

/* ---- output ---- */

/* Length of the valid UTF-8 sequence at @s (at most @len bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	size_t need;
	unsigned int cp;

	if (s[0] < 0x80)
		return s[0] != 0 ? 1 : 0; /* NUL cannot travel in a C string */
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/*
 * A NUL-terminated copy of @len bytes at @s in which every byte that is not
 * part of valid UTF-8 (and every NUL) is replaced by U+FFFD, so that the
 * JSON the worker prints is valid. Returns NULL when out of memory.
 */
static char *utf8_sanitize(const char *s, size_t len)
{
	const unsigned char *in = (const unsigned char *)s;
	char *out, *p;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(in + i, len - i);

		if (n == 0) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			i++;
		} else {
			memcpy(p, in + i, n);
			p += n;
			i += n;
		}
	}
	*p = '\0';
	return out;
}

/* Print @doc as the worker's one JSON document and free it. */
static int worker_print(cJSON *doc)
{
	char *text = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
	int rc = 0;

	cJSON_Delete(doc);
	if (text == NULL) {
		/* Out of memory: still keep the promise of one JSON document. */
		fputs("{\"isError\":true,\"content\":[{\"type\":\"text\",\"text\":\"the worker ran "
		      "out of memory\"}],\"workerError\":\"load\"}\n",
		      stdout);
		return -ENOMEM;
	}
	if (puts(text) == EOF || fflush(stdout) != 0)
		rc = -EIO;
	free(text);
	return rc;
}

/* Print the failure document of docs/worker.md and return the exit status. */
__attribute__((format(printf, 2, 3))) static int worker_fail(const char *kind, const char *fmt, ...)
{
	char message[WORKER_MESSAGE_MAX];
	char *clean;
	cJSON *doc, *content, *block;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	clean = utf8_sanitize(message, strlen(message));

	doc = cJSON_CreateObject();
	cJSON_AddBoolToObject(doc, "isError", 1);
	content = cJSON_AddArrayToObject(doc, "content");
	block = cJSON_CreateObject();
	cJSON_AddItemToArray(content, block);
	cJSON_AddStringToObject(block, "type", "text");
	cJSON_AddStringToObject(block, "text", clean != NULL ? clean : "worker failure");
	cJSON_AddStringToObject(doc, "workerError", kind);
	free(clean);
	worker_print(doc);
	return WORKER_EXIT_FAILURE;
}

/* ---- host functions ---- */

static bool tool_name_valid(const char *name)
{
	size_t len = 0;

	for (const char *p = name; *p != '\0'; p++, len++) {
		char c = *p;

		if (len >= WORKER_TOOL_NAME_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return len > 0;
}

/* Parse JSON text the plugin gave, at most @max bytes; NULL unless it is a
 * JSON object. */
static cJSON *object_parse(const char *text, size_t max)
{
	char *clean;
	cJSON *json;

	if (strnlen(text, max + 1) > max)
		return NULL;
	clean = utf8_sanitize(text, strlen(text));
	if (clean == NULL)
		return NULL;
	json = cJSON_Parse(clean);
	free(clean);
	if (json != NULL && !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		json = NULL;
	}
	return json;
}

/* A schema the plugin gave: model-facing text, capped like descriptions. */
static cJSON *schema_parse(const char *text)
{
	return object_parse(text, WORKER_TOOL_TEXT_MAX);
}

static void worker_tool_release(struct worker_tool *t)
{
	free(t->name);
	free(t->title);
	free(t->description);
	cJSON_Delete(t->input_schema);
	cJSON_Delete(t->output_schema);
}

__attribute__((format(printf, 2, 3))) static int register_fail(const char *name, const char *fmt,
                                                               ...)
{
	char reason[WORKER_MESSAGE_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* The first failure is the one reported; later ones are often its
	 * consequences. */
	if (worker.register_error[0] == '\0')
		snprintf(worker.register_error, sizeof(worker.register_error), "tool '%.64s': %s",
		         name != NULL ? name : "(null)", reason);
	return -EINVAL;
}

static int host_register_tool(const struct corral_tool *tool)
{
	struct worker_tool t = {0}, *grown;
	size_t base = offsetof(struct corral_tool, run) + sizeof(tool->run);

	if (tool == NULL)
		return register_fail(NULL, "the tool definition is NULL");
	if (!worker.in_init)
		return register_fail(tool->name, "register_tool is allowed only during "
		                                 "corral_plugin_init");
	if (tool->size < base)
		return register_fail(tool->name,
		                     "size %zu is smaller than any known struct "
		                     "corral_tool",
		                     tool->size);
	if (tool->name == NULL || !tool_name_valid(tool->name))
		return register_fail(tool->name, "name must match [A-Za-z0-9_-]{1,64}");
	for (size_t i = 0; i < worker.tools_len; i++)
		if (strcmp(worker.tools[i].name, tool->name) == 0)
			return register_fail(tool->name, "name is registered twice");
	if (worker.tools_len >= WORKER_TOOLS_MAX)
		return register_fail(tool->name, "more than %d tools", WORKER_TOOLS_MAX);
	if (tool->description == NULL || tool->description[0] == '\0')
		return register_fail(tool->name, "description is required");
	if (strnlen(tool->description, WORKER_TOOL_TEXT_MAX + 1) > WORKER_TOOL_TEXT_MAX)
		return register_fail(tool->name, "description is longer than %u bytes",
		                     WORKER_TOOL_TEXT_MAX);
	if (tool->title != NULL &&
	    strnlen(tool->title, WORKER_TOOL_TEXT_MAX + 1) > WORKER_TOOL_TEXT_MAX)
		return register_fail(tool->name, "title is longer than %u bytes",
		                     WORKER_TOOL_TEXT_MAX);
	if (tool->input_schema == NULL)
		return register_fail(tool->name, "input_schema is required");
	if (tool->run == NULL)
		return register_fail(tool->name, "run is required");

	t.hints = tool->hints;
	t.run = tool->run;
	t.data = tool->size >= offsetof(struct corral_tool, data) + sizeof(tool->data) ? tool->data
	                                                                               : NULL;
	t.input_schema = schema_parse(tool->input_schema);
	if (t.input_schema == NULL) {
		worker_tool_release(&t);
		return register_fail(tool->name, "input_schema is not a JSON object");
	}
	if (tool->output_schema != NULL) {
		t.output_schema = schema_parse(tool->output_schema);
		if (t.output_schema == NULL) {
			worker_tool_release(&t);
			return register_fail(tool->name, "output_schema is not a JSON object");
		}
	}
	t.name = strdup(tool->name);
	t.description = utf8_sanitize(tool->description, strlen(tool->description));
	if (tool->title != NULL)
		t.title = utf8_sanitize(tool->title, strlen(tool->title));
	grown = reallocarray(worker.tools, worker.tools_len + 1, sizeof(*worker.tools));
	if (t.name == NULL || t.description == NULL || (tool->title != NULL && t.title == NULL) ||
	    grown == NULL) {
		if (grown != NULL)
			worker.tools = grown;
		worker_tool_release(&t);
		return -ENOMEM;
	}
	worker.tools = grown;
	worker.tools[worker.tools_len++] = t;
	return 0;
}

/* The longest prefix of @len bytes at @s, at most @room, that does not end
 * in the middle of a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t room)
{
	size_t n = len < room ? len : room;

	if (n == len)
		return n;
	/* Back off over continuation bytes to the start of the cut sequence. */
	for (size_t back = 0; back < 4 && n > 0; back++) {
		if (((unsigned char)s[n] & 0xc0) != 0x80)
			break;
		n--;
	}
	return n;
}

static int host_add_text(struct corral_call *call, const char *text, size_t len)
{
	size_t room, keep;

	if (call == NULL || (text == NULL && len > 0))
		return -EINVAL;
	room = call->output_cap - call->text_len;
	keep = call->dropped > 0 ? 0 : utf8_cut(text, len, room);
	if (keep > 0) {
		if (call->text_len + keep + 1 > call->text_size) {
			size_t size = call->text_size > 0 ? call->text_size : 4096;
			char *grown;

			while (size < call->text_len + keep + 1)
				size *= 2;
			grown = realloc(call->text, size);
			if (grown == NULL)
				return -ENOMEM;
			call->text = grown;
			call->text_size = size;
		}
		memcpy(call->text + call->text_len, text, keep);
		call->text_len += keep;
		call->text[call->text_len] = '\0';
	}
	call->dropped += len - keep;
	return keep < len ? -E2BIG : 0;
}

static int host_set_structured(struct corral_call *call, const char *json)
{
	cJSON *parsed;

	if (call == NULL || json == NULL)
		return -EINVAL;
	/* A result, not a schema: it may carry what the tool captured (exec's
	 * two streams, each up to the output cap), with JSON escapes. corral
	 * caps the worker's whole answer at the same bound. */
	if (strnlen(json, WORKER_STRUCTURED_MAX(call->output_cap) + 1) >
	    WORKER_STRUCTURED_MAX(call->output_cap))
		return -E2BIG;
	parsed = object_parse(json, WORKER_STRUCTURED_MAX(call->output_cap));
	if (parsed == NULL)
		return -EINVAL;
	cJSON_Delete(call->structured);
	call->structured = parsed;
	return 0;
}

static int host_set_error(struct corral_call *call, const char *message)
{
	char *copy;

	if (call == NULL || message == NULL)
		return -EINVAL;
	copy = utf8_sanitize(message, strnlen(message, WORKER_MESSAGE_MAX));
	if (copy == NULL)
		return -ENOMEM;
	free(call->error);
	call->error = copy;
	return 0;
}

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int host_progress(struct corral_call *call, double done, double total, const char *message)
{
	cJSON *line;
	char *text;
	long long now;
	int rc = 0;

	if (call == NULL)
		return -EINVAL;
	if (call->progress_fd < 0)
		return 0;
	now = monotonic_ns();
	if (call->progress_last_ns != 0 && now - call->progress_last_ns < WORKER_PROGRESS_GAP_NS)
		return 0;
	call->progress_last_ns = now;

	line = cJSON_CreateObject();
	cJSON_AddNumberToObject(line, "progress", done);
	cJSON_AddNumberToObject(line, "total", total);
	if (message != NULL) {
		char *clean = utf8_sanitize(message, strnlen(message, WORKER_MESSAGE_MAX));

		cJSON_AddStringToObject(line, "message", clean != NULL ? clean : "");
		free(clean);
	}
	text = cJSON_PrintUnformatted(line);
	cJSON_Delete(line);
	if (text == NULL)
		return -ENOMEM;
	/* One write per line so that lines never interleave; a short write on
	 * a pipe of this size does not happen, and progress is best effort. */
	size_t len = strlen(text);
	text[len] = '\n';
	if (write(call->progress_fd, text, len + 1) < 0)
		rc = -errno;
	free(text);
	return rc;
}

/* corral cancels a call with SIGTERM, then kills the sandbox a second later. */
static volatile sig_atomic_t cancel_requested;

static void on_sigterm(int sig)
{
	(void)sig;
	cancel_requested = 1;
}

static int host_cancelled(struct corral_call *call)
{
	(void)call;
	return cancel_requested != 0;
}

static void *host_alloc(size_t size)
{
	return malloc(size);
}

static void host_free(void *ptr)
{
	free(ptr);
}

/* The last error a plugin logged: a failing corral_plugin_init has no other
 * way to say why (the Lua host logs the script's error and traceback). */
static char last_error[512];

__attribute__((format(printf, 2, 3))) static void host_log(int level, const char *fmt, ...)
{
	static const char *const prefix[] = {"debug", "info", "warning", "error"};
	va_list ap;

	if (fmt == NULL)
		return;
	fprintf(stderr, "%s: ", level >= 0 && level <= CORRAL_LOG_ERROR ? prefix[level] : "info");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (level >= CORRAL_LOG_ERROR) {
		va_start(ap, fmt);
		vsnprintf(last_error, sizeof(last_error), fmt, ap);
		va_end(ap);
	}
}

static const char *host_workspace(void)
{
	return worker.workspace;
}

static const char *host_script(void)
{
	return worker.script;
}

static size_t host_output_cap(struct corral_call *call)
{
	return call != NULL ? call->output_cap : WORKER_OUTPUT_CAP;
}

static const struct corral_host worker_host = {
    .size = sizeof(struct corral_host),
    .abi_version = CORRAL_PLUGIN_ABI_VERSION,
    .register_tool = host_register_tool,
    .add_text = host_add_text,
    .set_structured = host_set_structured,
    .set_error = host_set_error,
    .progress = host_progress,
    .cancelled = host_cancelled,
    .alloc = host_alloc,
    .free = host_free,
    .log = host_log,
    .workspace = host_workspace,
    .script = host_script,
    .output_cap = host_output_cap,
};

/* ---- describe and call ---- */

static int worker_describe(const struct corral_plugin *plugin)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *info = cJSON_AddObjectToObject(doc, "plugin");
	cJSON *tools = cJSON_AddArrayToObject(doc, "tools");
	char *name = utf8_sanitize(plugin->name, strnlen(plugin->name, WORKER_TOOL_NAME_MAX));
	char *version = utf8_sanitize(plugin->version, strnlen(plugin->version, 64));

	cJSON_AddStringToObject(info, "name", name != NULL ? name : "");
	cJSON_AddStringToObject(info, "version", version != NULL ? version : "");
	free(name);
	free(version);
	for (size_t i = 0; i < worker.tools_len; i++) {
		const struct worker_tool *t = &worker.tools[i];
		cJSON *item = cJSON_CreateObject(), *notes;

		cJSON_AddItemToArray(tools, item);
		cJSON_AddStringToObject(item, "name", t->name);
		if (t->title != NULL)
			cJSON_AddStringToObject(item, "title", t->title);
		cJSON_AddStringToObject(item, "description", t->description);
		cJSON_AddItemToObject(item, "inputSchema", cJSON_Duplicate(t->input_schema, 1));
		if (t->output_schema != NULL)
			cJSON_AddItemToObject(item, "outputSchema",
			                      cJSON_Duplicate(t->output_schema, 1));
		notes = cJSON_AddObjectToObject(item, "annotations");
		cJSON_AddBoolToObject(notes, "readOnlyHint",
		                      (t->hints & CORRAL_TOOL_READ_ONLY) != 0);
		cJSON_AddBoolToObject(notes, "destructiveHint",
		                      (t->hints & CORRAL_TOOL_DESTRUCTIVE) != 0);
		cJSON_AddBoolToObject(notes, "idempotentHint",
		                      (t->hints & CORRAL_TOOL_IDEMPOTENT) != 0);
		cJSON_AddBoolToObject(notes, "openWorldHint",
		                      (t->hints & CORRAL_TOOL_OPEN_WORLD) != 0);
	}
	return worker_print(doc) == 0 ? 0 : WORKER_EXIT_FAILURE;
}

/*
 * Read all of stdin into a NUL-terminated buffer, at most WORKER_ARGS_MAX
 * bytes. Returns 0, -E2BIG when there is more, or another negative errno.
 */
static int args_read(char **out, size_t *out_len)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size);

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == size) {
			char *grown;

			if (size > WORKER_ARGS_MAX + 1) {
				free(buf);
				return -E2BIG;
			}
			size *= 2;
			grown = realloc(buf, size);
			if (grown == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(STDIN_FILENO, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > WORKER_ARGS_MAX) {
			free(buf);
			return -E2BIG;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static int worker_call(const struct worker_tool *tool, const char *args, size_t output_cap,
                       int progress_fd)
{
	struct corral_call call = {.output_cap = output_cap, .progress_fd = progress_fd};
	char failed[64] = "";
	cJSON *doc, *content;
	int rc, status;

	rc = tool->run(&call, args, tool->data);

	doc = cJSON_CreateObject();
	content = cJSON_AddArrayToObject(doc, "content");
	if (rc != 0)
		snprintf(failed, sizeof(failed), "the tool failed with code %d", rc);
	if (call.error != NULL || rc != 0) {
		cJSON *block = cJSON_CreateObject();
		char *message = NULL;

		if (call.error != NULL && rc != 0 &&
		    asprintf(&message, "%s (%s)", call.error, failed) < 0)
			message = NULL;
		cJSON_AddItemToArray(content, block);
		cJSON_AddStringToObject(block, "type", "text");
		cJSON_AddStringToObject(block, "text",
		                        message != NULL      ? message
		                        : call.error != NULL ? call.error
		                                             : failed);
		free(message);
	}
	if (call.text_len > 0) {
		cJSON *block = cJSON_CreateObject();
		char *clean = utf8_sanitize(call.text, call.text_len);

		cJSON_AddItemToArray(content, block);
		cJSON_AddStringToObject(block, "type", "text");
		cJSON_AddStringToObject(block, "text", clean != NULL ? clean : "");
		free(clean);
	}
	if (call.structured != NULL) {
		cJSON_AddItemToObject(doc, "structuredContent", call.structured);
		call.structured = NULL;
	}
	cJSON_AddBoolToObject(doc, "isError", call.error != NULL || rc != 0);
	if (call.dropped > 0) {
		cJSON *truncated = cJSON_AddObjectToObject(doc, "truncated");

		cJSON_AddNumberToObject(truncated, "dropped_bytes", (double)call.dropped);
	}
	status = worker_print(doc) == 0 ? 0 : WORKER_EXIT_FAILURE;
	free(call.text);
	free(call.error);
	return status;
}

/* ---- main ---- */

struct worker_options {
	const char *verb;
	const char *tool;
	size_t output_cap;
	int progress_fd;
};

static int parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

#define USAGE                                                                                      \
	"usage: corral-worker describe [--script PATH] | corral-worker call TOOL [--script PATH] " \
	"[--output-cap BYTES] [--progress-fd N]"

static int options_parse(int argc, char **argv, struct worker_options *o)
{
	unsigned long long v;
	int i = 2;

	if (argc < 2)
		return worker_fail("usage", "no command; " USAGE);
	o->verb = argv[1];
	if (strcmp(o->verb, "call") == 0) {
		if (argc < 3 || argv[2][0] == '-')
			return worker_fail("usage", "call needs a tool name; " USAGE);
		o->tool = argv[2];
		i = 3;
	} else if (strcmp(o->verb, "describe") != 0) {
		return worker_fail("usage", "unknown command '%s'; " USAGE, o->verb);
	}
	for (; i < argc; i++) {
		const char *opt = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--script") == 0 && value != NULL) {
			worker.script = value;
		} else if (strcmp(opt, "--output-cap") == 0) {
			if (parse_number(value, SIZE_MAX / 4, &v) != 0)
				return worker_fail("usage", "--output-cap needs a number of bytes");
			o->output_cap = (size_t)v;
		} else if (strcmp(opt, "--progress-fd") == 0) {
			if (parse_number(value, INT_MAX, &v) != 0)
				return worker_fail("usage",
				                   "--progress-fd needs a file descriptor");
			o->progress_fd = (int)v;
		} else {
			return worker_fail("usage", "unexpected argument '%s'; " USAGE, opt);
		}
		i++;
	}
	return 0;
}

static int worker_run(int argc, char **argv)
{
	struct worker_options o = {.output_cap = WORKER_OUTPUT_CAP, .progress_fd = -1};
	struct corral_plugin plugin = {.size = sizeof(plugin)};
	int (*init)(const struct corral_host *, struct corral_plugin *);
	const struct worker_tool *tool = NULL;
	const uint32_t *abi;
	void *handle;
	char *args = NULL;
	size_t args_len = 0;
	cJSON *parsed;
	int rc;

	rc = options_parse(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (getcwd(worker.workspace, sizeof(worker.workspace)) == NULL)
		return worker_fail("load", "cannot read the working directory: %s",
		                   strerror(errno));

	handle = dlopen(WORKER_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		return worker_fail("load", "cannot load the plugin: %s", dlerror());
	/* The ABI check comes before any of the plugin's functions is called. */
	abi = dlsym(handle, "corral_plugin_abi");
	if (abi == NULL) {
		rc = worker_fail("abi",
		                 "the plugin exports no corral_plugin_abi (it was not built with "
		                 "CORRAL_PLUGIN_DEFINE_ABI); this corral speaks ABI %u",
		                 CORRAL_PLUGIN_ABI_VERSION);
		goto out;
	}
	if (*abi != CORRAL_PLUGIN_ABI_VERSION) {
		rc = worker_fail("abi", "plugin built for ABI %u, this corral speaks ABI %u", *abi,
		                 CORRAL_PLUGIN_ABI_VERSION);
		goto out;
	}
	*(void **)&init = dlsym(handle, "corral_plugin_init");
	if (init == NULL) {
		rc = worker_fail("load", "the plugin exports no corral_plugin_init");
		goto out;
	}

	worker.in_init = true;
	rc = init(&worker_host, &plugin);
	worker.in_init = false;
	if (rc != 0) {
		rc = worker_fail(
		    "init", "the plugin's corral_plugin_init failed with code %d%s%.*s", rc,
		    last_error[0] ? ": " : "", (int)strcspn(last_error, "\n"), last_error);
		goto out;
	}
	if (worker.register_error[0] != '\0') {
		rc = worker_fail("register", "invalid tool definition: %s", worker.register_error);
		goto out;
	}
	if (plugin.name == NULL || plugin.name[0] == '\0')
		plugin.name = "unnamed";
	if (plugin.version == NULL)
		plugin.version = "";

	if (o.tool == NULL) {
		rc = worker_describe(&plugin);
		goto out;
	}
	for (size_t i = 0; i < worker.tools_len && tool == NULL; i++)
		if (strcmp(worker.tools[i].name, o.tool) == 0)
			tool = &worker.tools[i];
	if (tool == NULL) {
		rc = worker_fail("unknown_tool", "the plugin %.64s has no tool named '%.64s'",
		                 plugin.name, o.tool);
		goto out;
	}

	rc = args_read(&args, &args_len);
	if (rc == -E2BIG) {
		rc = worker_fail("arguments", "arguments larger than 16 MiB");
		goto out;
	} else if (rc < 0) {
		rc = worker_fail("arguments", "cannot read the arguments: %s", strerror(-rc));
		goto out;
	}
	parsed =
	    memchr(args, '\0', args_len) == NULL ? cJSON_ParseWithLength(args, args_len) : NULL;
	if (!cJSON_IsObject(parsed)) {
		cJSON_Delete(parsed);
		free(args);
		rc = worker_fail("arguments", "the arguments are not a JSON object");
		goto out;
	}
	cJSON_Delete(parsed);
	rc = worker_call(tool, args, o.output_cap, o.progress_fd);
	free(args);
out:
	dlclose(handle);
	return rc;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * In sanitizer builds: LeakSanitizer stops the world with ptrace, which the
 * sandbox denies, and would abort every call. Leaks are checked when the
 * worker runs outside a sandbox (tests/plugins sets ASAN_OPTIONS for that).
 * A plugin's crash stays a crash (SIGSEGV, as without sanitizers), so that
 * corral reports it the same way in every build.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0";
}
#endif

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_sigterm};
	int rc;

	/* No SA_RESTART: a tool blocked in a system call sees EINTR and can
	 * check cancelled(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	rc = worker_run(argc, argv);

	for (size_t i = 0; i < worker.tools_len; i++)
		worker_tool_release(&worker.tools[i]);
	free(worker.tools);
	return rc;
}
