/*
 * mcp.c - the Model Context Protocol server (mcp.h, docs/mcp.md).
 *
 * One line is one JSON-RPC message. The reader thread parses it and
 * answers everything but tools/call at once; a call goes to a worker
 * thread, which runs it through mcp_ops.call (session_call) with its own
 * cancel fd and sends its result. Request ids are echoed as the text the
 * client wrote, because cJSON keeps numbers as doubles and would turn
 * 9007199254740993 or 1.50 into something else.
 */
#define _GNU_SOURCE
#include "mcp.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The handshake revisions, oldest first; the last is the newest. */
static const char *const handshake_versions[] = {"2025-06-18", "2025-11-25"};
#define NHANDSHAKE (sizeof(handshake_versions) / sizeof(handshake_versions[0]))
/* The revision without a handshake: version and capabilities in _meta. */
#define MCP_STATELESS_VERSION "2026-07-28"
#define META_VERSION          "io.modelcontextprotocol/protocolVersion"
#define META_CAPABILITIES     "io.modelcontextprotocol/clientCapabilities"
/* The key of corral's approval question among a result's inputRequests. */
#define INPUT_APPROVAL          "dev.corral/approval"

#define ELICIT_MESSAGE_ARGS_MAX 1000 /* bytes of a call's arguments (or command) in a question */

/* The syslog levels of logging/setLevel, least severe first. */
static const char *const log_levels[] = {"debug", "info",     "notice", "warning",
                                         "error", "critical", "alert",  "emergency"};
#define NLOG_LEVELS (sizeof(log_levels) / sizeof(log_levels[0]))
enum { LOG_DEBUG_ = 0, LOG_NOTICE_ = 2, LOG_WARNING_ = 3, LOG_ERROR_ = 4 };

/* One tools/call, from the reader to a worker and back. */
struct mcp_job {
	struct mcp_job *next;
	struct mcp_server *s;
	char *id; /* the request id's text */
	char *tool;
	cJSON *args;
	char *progress_token; /* its text, or NULL when the client sent none */
	bool stateless;       /* the request used the 2026-07-28 revision */
	bool can_elicit;      /* stateless, and its _meta declares elicitation */
	cJSON *input_answer;  /* stateless: inputResponses[INPUT_APPROVAL], or NULL */
	char *request_state;  /* stateless: the requestState it carried, or NULL */
	cJSON *input_request; /* stateless: the question to return as input_required */
	char input_state[40]; /* the requestState that question goes with */
	int cancel_fd;        /* an eventfd: written to cancel the call */
	bool cancelled;       /* by the client: no result is sent (under s->lock) */
	uint64_t progress_at; /* ms of the last progress notification */
	double progress_last;
	bool progress_sent;
};

/* One message waiting for the writer thread: @len bytes of JSON. */
struct mcp_out {
	struct mcp_out *next;
	size_t len;
	char text[];
};

/* An elicitation/create the server sent and waits on. */
struct mcp_pending {
	struct mcp_pending *next;
	char id[32];
	bool answered;
	cJSON *result; /* the response's result, or NULL for an error response */
};

struct mcp_server {
	struct mcp_ops ops;
	struct approver approver;
	/* Messages go to a queue that one writer thread empties, so a client
	 * that stops reading blocks that thread only: the reader goes on
	 * reading (cancellations, stdin closing), and the workers wait for
	 * room past MCP_OUTPUT_MAX. */
	pthread_mutex_t out_lock; /* the output queue */
	pthread_cond_t out_more;  /* a message was queued, or the writer stops */
	pthread_cond_t out_room;  /* the writer took a message off the queue */
	struct mcp_out *out_head, *out_tail;
	size_t out_bytes;  /* bytes in the queue */
	bool out_stopping; /* the server stops: nobody waits for room */
	bool out_done;     /* the writer sends what is queued and ends */
	bool writer_started;
	pthread_t writer;
	unsigned long long out_dropped; /* reader replies dropped past MCP_OUTPUT_READER_MAX */
	pthread_mutex_t lock;           /* everything below */
	pthread_cond_t work;            /* a job was queued, or the server stops */
	pthread_cond_t answered;        /* a pending elicitation was answered, a call
	                                 * was cancelled, or the server stops */
	struct mcp_job *queue, *queue_tail;
	size_t queued;
	struct mcp_job *running;
	struct mcp_pending *pending;
	unsigned long long elicit_seq;
	bool stopping;
	char version[16]; /* the revision agreed in initialize, "" before */
	bool elicitation; /* the client declared the elicitation capability */
	char client[64];  /* clientInfo.name, for the audit log */
	unsigned log_level;
	unsigned nworkers;
	pthread_t threads[MCP_WORKERS_MAX];
};

/* The call the current worker thread runs, so that the approver, which
 * session_call() invokes without saying which request it serves, can tie
 * its question to that request's cancellation. */
static __thread struct mcp_job *current_job;
/* Set in the worker threads: they wait for room in the output queue, the
 * reader never does. */
static __thread bool in_worker;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- UTF-8 and raw JSON text ---- */

bool mcp_utf8_valid(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;

	while (i < len) {
		unsigned c = u[i], need, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += need + 1;
	}
	return true;
}

/* cJSON takes every byte up to and including space as white space. */
static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= ' ')
		p++;
	return p;
}

/* Past the string at @p (at its opening quote), or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past the value at @p, or NULL. Iterative: the text was parsed by cJSON
 * under its nesting limit already, but this must not recurse either. */
static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && (unsigned char)*p > ' ' && !strchr(",}]", *p))
			p++;
		return p;
	}
	while (p < end) {
		if (*p == '"') {
			p = skip_string(p, end);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* Does the JSON string token @p..@e name @key? */
static bool key_is(const char *p, const char *e, const char *key)
{
	size_t n = (size_t)(e - p);
	bool same;
	char *copy;
	cJSON *k;

	if (!memchr(p, '\\', n))
		return n - 2 == strlen(key) && memcmp(p + 1, key, n - 2) == 0;
	/* An escaped key ("\u0069d"): let cJSON decode it. */
	copy = strndup(p, n);
	k = copy ? cJSON_Parse(copy) : NULL;
	same = cJSON_IsString(k) && strcmp(k->valuestring, key) == 0;
	cJSON_Delete(k);
	free(copy);
	return same;
}

/*
 * The text of member @key of the object whose text is @p..@end (leading
 * white space allowed): *@val and *@vlen. The first member of that name,
 * as cJSON_GetObjectItemCaseSensitive() finds.
 */
static bool raw_member(const char *p, const char *end, const char *key, const char **val,
                       size_t *vlen)
{
	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return false;
	p = skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *k = p, *ke = skip_string(p, end), *v, *ve;
		if (!ke)
			return false;
		p = skip_ws(ke, end);
		if (p >= end || *p != ':')
			return false;
		v = skip_ws(p + 1, end);
		ve = skip_value(v, end);
		if (!ve)
			return false;
		if (key_is(k, ke, key)) {
			*val = v;
			*vlen = (size_t)(ve - v);
			return true;
		}
		p = skip_ws(ve, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	return false;
}

/* The text at the path @keys (@n of them) from the object @p..@end, as a
 * new string, or NULL. */
static char *raw_path(const char *p, const char *end, const char *const *keys, size_t n)
{
	const char *v = p;
	size_t vlen = (size_t)(end - p);

	for (size_t i = 0; i < n; i++) {
		if (!raw_member(v, v + vlen, keys[i], &v, &vlen))
			return NULL;
	}
	return vlen <= MCP_ID_MAX ? strndup(v, vlen) : NULL;
}

/* Is @p (@len bytes) a number as JSON writes one (RFC 8259 section 6)?
 * cJSON reads more than that, and what goes back out must be JSON. */
static bool json_number(const char *p, size_t len)
{
	const char *end = p + len;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return false;
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p == end;
}

/*
 * The text to echo for the id (or progress token) @item found at @path in
 * the message @line..@end. A number is echoed as the client wrote it, so
 * that no digit is lost to a double; a string is written again by cJSON,
 * the same value in strict JSON. New string, or NULL.
 */
static char *id_text(const cJSON *item, const char *line, const char *end, const char *const *path,
                     size_t n)
{
	if (cJSON_IsNumber(item)) {
		char *raw = raw_path(line, end, path, n);
		if (raw && json_number(raw, strlen(raw)))
			return raw;
		free(raw);
	}
	if (cJSON_IsNull(item))
		return strdup("null");
	return cJSON_PrintUnformatted(item);
}

/* Do two id texts name the same id? Strings compare by value (escapes
 * may differ), numbers by their text. */
static bool id_same(const char *a, const char *b)
{
	bool same;
	cJSON *ja, *jb;

	if (strcmp(a, b) == 0)
		return true;
	if (a[0] != '"' || b[0] != '"')
		return false;
	ja = cJSON_Parse(a);
	jb = cJSON_Parse(b);
	same = cJSON_IsString(ja) && cJSON_IsString(jb) &&
	       strcmp(ja->valuestring, jb->valuestring) == 0;
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return same;
}

/* ---- sending ---- */

/*
 * Queue @text (@len bytes) for the writer thread. A worker waits while the
 * queue holds more than MCP_OUTPUT_MAX bytes (a message larger than that
 * still goes when the queue is empty). The reader never waits: it must go
 * on reading cancellations and the end of stdin while the client does not
 * read. Its own replies are small, and past MCP_OUTPUT_READER_MAX queued
 * bytes (a client that sends requests without reading any reply) they are
 * dropped rather than grow the queue without end.
 */
static void out_push(struct mcp_server *s, const char *text, size_t len)
{
	struct mcp_out *m = malloc(sizeof(*m) + len);

	if (!m)
		return;
	m->next = NULL;
	m->len = len;
	memcpy(m->text, text, len);
	pthread_mutex_lock(&s->out_lock);
	if (in_worker)
		while (!s->out_stopping && s->out_bytes > 0 && s->out_bytes + len > MCP_OUTPUT_MAX)
			pthread_cond_wait(&s->out_room, &s->out_lock);
	else if (s->out_bytes + len > MCP_OUTPUT_READER_MAX) {
		s->out_dropped++;
		pthread_mutex_unlock(&s->out_lock);
		free(m);
		return;
	}
	if (s->out_tail)
		s->out_tail->next = m;
	else
		s->out_head = m;
	s->out_tail = m;
	s->out_bytes += len;
	pthread_cond_signal(&s->out_more);
	pthread_mutex_unlock(&s->out_lock);
}

/* The writer thread: every queued message, in order, through ops.write. */
static void *writer_main(void *arg)
{
	struct mcp_server *s = arg;

	pthread_mutex_lock(&s->out_lock);
	for (;;) {
		struct mcp_out *m;
		while (!s->out_head && !s->out_done)
			pthread_cond_wait(&s->out_more, &s->out_lock);
		if (!s->out_head)
			break;
		m = s->out_head;
		s->out_head = m->next;
		if (!s->out_head)
			s->out_tail = NULL;
		pthread_mutex_unlock(&s->out_lock);
		s->ops.write(s->ops.ctx, m->text, m->len);
		pthread_mutex_lock(&s->out_lock);
		s->out_bytes -= m->len;
		pthread_cond_broadcast(&s->out_room);
		free(m);
	}
	pthread_mutex_unlock(&s->out_lock);
	return NULL;
}

/* Send @msg (taken). Inline (no workers) it is written at once. */
static void send_msg(struct mcp_server *s, cJSON *msg)
{
	char *text = msg ? cJSON_PrintUnformatted(msg) : NULL;

	cJSON_Delete(msg);
	if (!text)
		return;
	if (s->writer_started) {
		out_push(s, text, strlen(text));
	} else {
		pthread_mutex_lock(&s->out_lock);
		s->ops.write(s->ops.ctx, text, strlen(text));
		pthread_mutex_unlock(&s->out_lock);
	}
	free(text);
}

static cJSON *envelope(const char *id)
{
	cJSON *m = cJSON_CreateObject();

	if (!m)
		return NULL;
	cJSON_AddStringToObject(m, "jsonrpc", "2.0");
	if (id)
		cJSON_AddItemToObject(m, "id", cJSON_CreateRaw(id));
	return m;
}

/* Answer request @id with @result (taken). */
static void send_result(struct mcp_server *s, const char *id, cJSON *result)
{
	cJSON *m = envelope(id);

	if (!m || !result) {
		cJSON_Delete(m);
		cJSON_Delete(result);
		return;
	}
	cJSON_AddItemToObject(m, "result", result);
	send_msg(s, m);
}

/* Answer request @id (NULL: the id could not be read) with an error. */
static void send_error(struct mcp_server *s, const char *id, int code, cJSON *data, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));

static void send_error(struct mcp_server *s, const char *id, int code, cJSON *data, const char *fmt,
                       ...)
{
	cJSON *m = envelope(id ? id : "null"), *e;
	char message[CORRAL_ERROR_MESSAGE_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	e = m ? cJSON_AddObjectToObject(m, "error") : NULL;
	if (!e) {
		cJSON_Delete(m);
		cJSON_Delete(data);
		return;
	}
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	if (data)
		cJSON_AddItemToObject(e, "data", data);
	send_msg(s, m);
}

static void send_notification(struct mcp_server *s, const char *method, cJSON *params)
{
	cJSON *m = envelope(NULL);

	if (!m || !params) {
		cJSON_Delete(m);
		cJSON_Delete(params);
		return;
	}
	cJSON_AddStringToObject(m, "method", method);
	cJSON_AddItemToObject(m, "params", params);
	send_msg(s, m);
}

/* A notifications/message at @level, when the client asked for that level. */
static void send_log(struct mcp_server *s, unsigned level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_log(struct mcp_server *s, unsigned level, const char *fmt, ...)
{
	char text[1024];
	cJSON *p;
	va_list ap;
	unsigned wanted;

	pthread_mutex_lock(&s->lock);
	wanted = s->log_level;
	pthread_mutex_unlock(&s->lock);
	if (level < wanted)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	p = cJSON_CreateObject();
	if (!p)
		return;
	cJSON_AddStringToObject(p, "level", log_levels[level]);
	cJSON_AddStringToObject(p, "logger", "corral");
	cJSON_AddStringToObject(p, "data", text);
	send_notification(s, "notifications/message", p);
}

/* ---- jobs ---- */

static void job_free(struct mcp_job *j)
{
	if (!j)
		return;
	if (j->cancel_fd >= 0)
		close(j->cancel_fd);
	free(j->id);
	free(j->tool);
	free(j->progress_token);
	free(j->request_state);
	cJSON_Delete(j->input_answer);
	cJSON_Delete(j->input_request);
	cJSON_Delete(j->args);
	free(j);
}

static void job_cancel_fd(struct mcp_job *j)
{
	uint64_t one = 1;

	if (j->cancel_fd >= 0 && write(j->cancel_fd, &one, sizeof(one)) < 0) {
		/* The counter is far from overflowing; nothing else can fail. */
	}
}

static void list_remove(struct mcp_job **head, struct mcp_job *j)
{
	for (struct mcp_job **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			return;
		}
}

/* Progress from the tool, in the worker's thread, before the call returns:
 * so a notification never follows the result of its request. */
static void job_progress(void *ctx, double done, double total, const char *message)
{
	struct mcp_job *j = ctx;
	uint64_t now = now_ms();
	bool cancelled;
	cJSON *p;

	pthread_mutex_lock(&j->s->lock);
	cancelled = j->cancelled;
	pthread_mutex_unlock(&j->s->lock);
	/* The spec wants progress to increase with each notification. */
	if (cancelled || (j->progress_sent &&
	                  (now - j->progress_at < MCP_PROGRESS_MS || done <= j->progress_last)))
		return;
	p = cJSON_CreateObject();
	if (!p)
		return;
	cJSON_AddItemToObject(p, "progressToken", cJSON_CreateRaw(j->progress_token));
	cJSON_AddNumberToObject(p, "progress", done);
	if (total > 0)
		cJSON_AddNumberToObject(p, "total", total);
	if (message)
		cJSON_AddStringToObject(p, "message", message);
	j->progress_sent = true;
	j->progress_at = now;
	j->progress_last = done;
	send_notification(j->s, "notifications/progress", p);
}

/* The line number read_file put before the last whole line of @text
 * (@len bytes, ending in a newline): "%6zu\t" at the start of each line. */
static unsigned long last_line_number(const char *text, size_t len)
{
	const char *p;
	size_t start;

	if (len < 2)
		return 0;
	start = len - 1;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	p = text + start;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	return strtoul(p, NULL, 10);
}

/*
 * @text cut to MCP_RESULT_TEXT_MAX bytes, or NULL when it fits (or memory
 * ran out: the text then goes whole). MCP clients cap what a tool result
 * may put in front of the model (Claude Code at about 25,000 tokens) and
 * drop or refuse a larger one, so corral cuts first, at a line end where
 * one is near (else at a UTF-8 character boundary), and says how many
 * bytes were left out and how to read them.
 */
static char *cut_text(const char *text, const char *tool)
{
	size_t len = strlen(text), keep = MCP_RESULT_TEXT_MAX;
	unsigned long line;
	char hint[160];
	char *out = NULL;

	if (len <= MCP_RESULT_TEXT_MAX)
		return NULL;
	for (size_t k = keep; k > MCP_RESULT_TEXT_MAX - MCP_RESULT_TEXT_MAX / 8; k--)
		if (text[k - 1] == '\n') {
			keep = k;
			break;
		}
	while (keep > 1 && ((unsigned char)text[keep] & 0xc0) == 0x80)
		keep--;
	line = strcmp(tool, "read_file") == 0 && text[keep - 1] == '\n'
	           ? last_line_number(text, keep)
	           : 0;
	if (line)
		snprintf(hint, sizeof(hint), "call read_file again with offset %lu (and a limit)",
		         line + 1);
	else
		snprintf(hint, sizeof(hint),
		         "ask for less: read_file with offset and limit, grep for what you need, "
		         "or a command whose output is filtered (head, tail, sed -n)");
	if (asprintf(&out,
	             "%.*s%s[corral: the result was cut here: %zu of its %zu bytes were left "
	             "out, because MCP clients cap a tool result at %u bytes; to see the rest, "
	             "%s.]",
	             (int)keep, text, text[keep - 1] == '\n' ? "" : "\n", len - keep, len,
	             MCP_RESULT_TEXT_MAX, hint) < 0)
		return NULL;
	return out;
}

/* Cut every string member of @structured longer than MCP_RESULT_TEXT_MAX
 * (exec's stdout and stderr), as cut_text() cuts the text. */
static void cut_structured(cJSON *structured, const char *tool)
{
	cJSON *m;

	cJSON_ArrayForEach(m, structured)
	{
		char *cut;
		if (!cJSON_IsString(m) || !(cut = cut_text(m->valuestring, tool)))
			continue;
		free(m->valuestring);
		m->valuestring = cut;
	}
}

static cJSON *call_result(struct mcp_server *s, const struct mcp_job *j,
                          const struct call_outcome *oc)
{
	const struct tool_result *r = &oc->result;
	const struct tool_registry *reg = s->ops.registry(s->ops.ctx);
	const struct tool *tool = tools_find(reg, j->tool);
	cJSON *o = cJSON_CreateObject(), *content, *block, *meta;
	char *structured_text = NULL, *cut;
	const char *text = r->text ? r->text : "";
	bool is_error = r->is_error;
	cJSON *structured;

	if (!o)
		return NULL;
	/* A client checks a successful result against the tool's outputSchema
	 * and treats a missing structuredContent as a broken server. */
	if (!is_error && tool && tool->output_schema && !r->structured) {
		is_error = true;
		text = "the tool returned no structured result although it declares an "
		       "output schema";
	}
	if (!*text && r->structured)
		text = structured_text = cJSON_PrintUnformatted(r->structured);
	cut = text ? cut_text(text, j->tool) : NULL;
	content = cJSON_AddArrayToObject(o, "content");
	block = cJSON_CreateObject();
	cJSON_AddStringToObject(block, "type", "text");
	cJSON_AddStringToObject(block, "text", cut ? cut : text ? text : "");
	cJSON_AddItemToArray(content, block);
	free(cut);
	if (r->structured && !is_error) {
		structured = cJSON_Duplicate(r->structured, 1);
		cut_structured(structured, j->tool);
		cJSON_AddItemToObject(o, "structuredContent", structured);
	}
	cJSON_AddBoolToObject(o, "isError", is_error);
	meta = cJSON_AddObjectToObject(o, "_meta");
	cJSON_AddStringToObject(meta, "dev.corral/call", oc->call_id);
	cJSON_AddStringToObject(meta, "dev.corral/outcome", call_stop_name(oc->stop));
	if (oc->checkpoint)
		cJSON_AddStringToObject(meta, "dev.corral/checkpoint", oc->checkpoint);
	if (j->stateless)
		cJSON_AddStringToObject(o, "resultType", "complete");
	free(structured_text);
	return o;
}

/* {resultType: "input_required", inputRequests: {INPUT_APPROVAL: the
 * elicitation}, requestState} for a stateless call that must be approved. */
static cJSON *input_required(struct mcp_job *j)
{
	cJSON *o = cJSON_CreateObject(), *reqs, *q;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "resultType", "input_required");
	reqs = cJSON_AddObjectToObject(o, "inputRequests");
	q = cJSON_AddObjectToObject(reqs, INPUT_APPROVAL);
	cJSON_AddStringToObject(q, "method", "elicitation/create");
	cJSON_AddItemToObject(q, "params", j->input_request);
	j->input_request = NULL;
	cJSON_AddStringToObject(o, "requestState", j->input_state);
	return o;
}

static void job_run(struct mcp_server *s, struct mcp_job *j)
{
	struct tool_call_opts opts = {.cancel_fd = j->cancel_fd};
	struct corral_error err = {0};
	struct call_outcome oc = {0};
	bool cancelled;
	int rc;

	if (j->progress_token) {
		opts.progress = job_progress;
		opts.progress_ctx = j;
	}
	current_job = j;
	rc = s->ops.call(s->ops.ctx, j->tool, j->args, &opts, &oc, &err);
	current_job = NULL;

	pthread_mutex_lock(&s->lock);
	list_remove(&s->running, j);
	cancelled = j->cancelled;
	pthread_mutex_unlock(&s->lock);

	/* A cancelled request gets no response (the client has forgotten it). */
	if (cancelled)
		send_log(s, LOG_DEBUG_, "call %s of %s cancelled by the client", j->id, j->tool);
	else if (rc == -CORRAL_E_NOTFOUND)
		send_error(s, j->id, MCP_INVALID_PARAMS, NULL, "%s", err.message);
	else if (rc < 0) {
		send_log(s, LOG_ERROR_, "corral could not run %s: %s", j->tool, err.message);
		send_error(s, j->id, MCP_INTERNAL_ERROR, NULL, "corral could not run %s: %s",
		           j->tool, err.message);
	} else if (oc.stop == CALL_NEEDS_APPROVAL && j->input_request) {
		send_result(s, j->id, input_required(j));
	} else {
		if (oc.stop != CALL_RAN)
			send_log(s, LOG_NOTICE_, "%s refused (%s): %s", j->tool,
			         call_stop_name(oc.stop), oc.result.text ? oc.result.text : "");
		send_result(s, j->id, call_result(s, j, &oc));
	}
	call_outcome_release(&oc);
}

static void *worker_main(void *arg)
{
	struct mcp_server *s = arg;

	in_worker = true;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct mcp_job *j;
		while (!s->stopping && !s->queue)
			pthread_cond_wait(&s->work, &s->lock);
		if (s->stopping)
			break;
		j = s->queue;
		s->queue = j->next;
		if (!s->queue)
			s->queue_tail = NULL;
		s->queued--;
		j->next = s->running;
		s->running = j;
		pthread_mutex_unlock(&s->lock);
		job_run(s, j);
		job_free(j);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- approval through elicitation ---- */

/* How much of @s to show within @max bytes, not splitting a UTF-8 character. */
static int shown_len(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

static char *question(const struct approval_request *req)
{
	char *text = NULL, rule[PATH_MAX + 128] = "";
	const char *cmd = req->command ? req->command : "";
	int shown = shown_len(req->args_json, ELICIT_MESSAGE_ARGS_MAX);
	int cmd_shown = shown_len(cmd, ELICIT_MESSAGE_ARGS_MAX);

	if (req->rule && req->loc.file)
		snprintf(rule, sizeof(rule), "\nRule: \"%s\" (%s:%d)", req->rule, req->loc.file,
		         req->loc.line);
	else if (req->rule)
		snprintf(rule, sizeof(rule), "\nRule: \"%s\"", req->rule);
	if (asprintf(&text,
	             "corral: allow %s%s%.*s%s?%s%s%s\nArguments: %.*s%s%s\nAnswer yes (this "
	             "call), always (every call this rule asks about in this run) or no.",
	             req->tool, req->command ? " to run " : "", cmd_shown, cmd,
	             cmd[cmd_shown] ? "..." : "", req->reason ? " " : "",
	             req->reason ? req->reason : "",
	             req->checkpoint ? " A checkpoint is taken first." : "", shown, req->args_json,
	             req->args_json[shown] ? "..." : "", rule) < 0)
		return NULL;
	return text;
}

static cJSON *elicit_params(bool form_mode, const struct approval_request *req)
{
	cJSON *p = cJSON_CreateObject(), *schema, *props, *d, *e, *req_arr;
	char *msg = question(req);

	if (!p || !msg) {
		cJSON_Delete(p);
		free(msg);
		return NULL;
	}
	/* The form mode is named from 2025-11-25 on; 2025-06-18 has only it. */
	if (form_mode)
		cJSON_AddStringToObject(p, "mode", "form");
	cJSON_AddStringToObject(p, "message", msg);
	free(msg);
	schema = cJSON_AddObjectToObject(p, "requestedSchema");
	cJSON_AddStringToObject(schema, "type", "object");
	props = cJSON_AddObjectToObject(schema, "properties");
	d = cJSON_AddObjectToObject(props, "decision");
	cJSON_AddStringToObject(d, "type", "string");
	cJSON_AddStringToObject(d, "title", "Allow this call?");
	cJSON_AddStringToObject(d, "description",
	                        "yes: this call; always: every call this rule asks about in "
	                        "this run; no: refuse it");
	e = cJSON_AddArrayToObject(d, "enum");
	cJSON_AddItemToArray(e, cJSON_CreateString("yes"));
	cJSON_AddItemToArray(e, cJSON_CreateString("always"));
	cJSON_AddItemToArray(e, cJSON_CreateString("no"));
	req_arr = cJSON_AddArrayToObject(schema, "required");
	cJSON_AddItemToArray(req_arr, cJSON_CreateString("decision"));
	return p;
}

static enum approval_answer elicit_answer(const cJSON *result, const char *client, char *detail,
                                          size_t detail_size)
{
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(result, "action");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(result, "content");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(content, "decision");
	const char *a = cJSON_IsString(action) ? action->valuestring : "";
	const char *v = cJSON_IsString(d) ? d->valuestring : "";

	snprintf(detail, detail_size, "%s: %s%s%s", client[0] ? client : "mcp client", a,
	         *v ? " " : "", v);
	if (strcmp(a, "accept") != 0)
		return APPROVAL_NO; /* decline, cancel, or nonsense */
	if (strcmp(v, "yes") == 0)
		return APPROVAL_YES;
	if (strcmp(v, "always") == 0)
		return APPROVAL_ALWAYS;
	return APPROVAL_NO;
}

/* The requestState of the question about @req: the same call (tool,
 * arguments, rule) gets the same state, so an answer given for one call
 * is not taken for another. FNV-1a is enough: the client is the one being
 * asked, so it gains nothing by forging a state. */
static void input_state(const struct approval_request *req, char out[40])
{
	const char *parts[] = {req->tool, req->args_json, req->rule ? req->rule : ""};
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < 3; i++)
		for (const char *c = parts[i];; c++) {
			h = (h ^ (unsigned char)*c) * 0x100000001b3u;
			if (!*c)
				break;
		}
	snprintf(out, 40, "corral-approval-%016llx", (unsigned long long)h);
}

/*
 * The 2026-07-28 revision has no server-to-client requests: the result of
 * the call says resultType "input_required" with the question, and the
 * client sends the call again with the answer in inputResponses and the
 * requestState it was given. The first try is recorded as needing
 * approval; the retry is approved or declined by that answer.
 */
static enum approval_answer ask_stateless(struct mcp_job *job, const struct approval_request *req,
                                          char *detail, size_t detail_size)
{
	char state[40];

	input_state(req, state);
	if (job->input_answer && job->request_state && strcmp(job->request_state, state) == 0)
		return elicit_answer(job->input_answer, "mcp client (input_required)", detail,
		                     detail_size);
	if (!job->can_elicit)
		return APPROVAL_UNAVAILABLE;
	cJSON_Delete(job->input_request);
	job->input_request = elicit_params(true, req);
	memcpy(job->input_state, state, sizeof(state));
	snprintf(detail, detail_size, "asked the client through input_required");
	return APPROVAL_UNAVAILABLE;
}

static enum approval_answer mcp_ask(void *ctx, const struct approval_request *req, char *detail,
                                    size_t detail_size)
{
	struct mcp_server *s = ctx;
	struct mcp_job *job = current_job;
	struct mcp_pending p = {0};
	enum approval_answer answer;
	char client[sizeof(s->client)];
	cJSON *msg, *params;
	bool gone = false, stopping;

	if (job && job->stateless)
		return ask_stateless(job, req, detail, detail_size);
	pthread_mutex_lock(&s->lock);
	if (s->nworkers == 0 || !s->elicitation || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return APPROVAL_UNAVAILABLE;
	}
	snprintf(p.id, sizeof(p.id), "\"corral-elicit-%llu\"", ++s->elicit_seq);
	memcpy(client, s->client, sizeof(client));
	p.next = s->pending;
	s->pending = &p;
	pthread_mutex_unlock(&s->lock);

	params = elicit_params(strcmp(s->version, "2025-06-18") != 0, req);
	msg = envelope(p.id);
	if (!params || !msg) {
		cJSON_Delete(params);
		cJSON_Delete(msg);
		answer = APPROVAL_UNAVAILABLE;
		pthread_mutex_lock(&s->lock);
		goto out;
	}
	cJSON_AddStringToObject(msg, "method", "elicitation/create");
	cJSON_AddItemToObject(msg, "params", params);
	send_msg(s, msg);

	pthread_mutex_lock(&s->lock);
	while (!p.answered && !s->stopping && !(job && job->cancelled))
		pthread_cond_wait(&s->answered, &s->lock);
	gone = !p.answered;
	if (gone)
		answer = s->stopping ? APPROVAL_UNAVAILABLE : APPROVAL_NO;
	else if (!p.result)
		answer = APPROVAL_UNAVAILABLE; /* the client answered with an error */
	else
		answer = elicit_answer(p.result, client, detail, detail_size);
out:
	for (struct mcp_pending **pp = &s->pending; *pp; pp = &(*pp)->next)
		if (*pp == &p) {
			*pp = p.next;
			break;
		}
	stopping = s->stopping;
	if (stopping)
		pthread_cond_broadcast(&s->answered); /* mcp_server_free() waits for this */
	pthread_mutex_unlock(&s->lock);
	if (gone && !stopping) {
		/* Tell the client to close the question nobody waits on. */
		cJSON *n = cJSON_CreateObject();
		if (n) {
			cJSON_AddItemToObject(n, "requestId", cJSON_CreateRaw(p.id));
			cJSON_AddStringToObject(n, "reason", "the call was cancelled");
			send_notification(s, "notifications/cancelled", n);
		}
	}
	cJSON_Delete(p.result);
	return answer;
}

/* ---- methods ---- */

struct request {
	const char *id; /* its text; NULL for a notification */
	const char *method;
	const cJSON *params; /* NULL when absent */
	const char *line, *end;
	bool stateless;
};

static cJSON *capabilities(void)
{
	cJSON *c = cJSON_CreateObject(), *tools;

	if (!c)
		return NULL;
	tools = cJSON_AddObjectToObject(c, "tools");
	cJSON_AddBoolToObject(tools, "listChanged", false);
	cJSON_AddObjectToObject(c, "logging");
	return c;
}

static cJSON *server_info(const struct mcp_server *s)
{
	cJSON *i = cJSON_CreateObject();

	if (!i)
		return NULL;
	cJSON_AddStringToObject(i, "name", "corral");
	cJSON_AddStringToObject(i, "title", "corral: sandboxed, policy-checked tools");
	cJSON_AddStringToObject(i, "version", s->ops.version ? s->ops.version : "0");
	return i;
}

static const char instructions[] =
    "Every tool runs in corral's sandbox under the workspace's policy. A call the policy "
    "refuses, or a tool that fails, returns a result with isError set and one sentence "
    "saying what was refused and by which rule: adapt the call rather than retry it "
    "unchanged.";

static void method_initialize(struct mcp_server *s, const struct request *r)
{
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(r->params, "protocolVersion");
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(r->params, "capabilities");
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(r->params, "clientInfo");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(info, "name");
	const char *chosen = handshake_versions[NHANDSHAKE - 1];
	cJSON *res;

	if (!cJSON_IsString(pv)) {
		send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
		           "initialize needs params.protocolVersion (a string)");
		return;
	}
	for (size_t i = 0; i < NHANDSHAKE; i++)
		if (strcmp(pv->valuestring, handshake_versions[i]) == 0)
			chosen = handshake_versions[i];
	pthread_mutex_lock(&s->lock);
	snprintf(s->version, sizeof(s->version), "%s", chosen);
	s->elicitation = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "elicitation"));
	snprintf(s->client, sizeof(s->client), "%s", cJSON_IsString(name) ? name->valuestring : "");
	pthread_mutex_unlock(&s->lock);
	res = cJSON_CreateObject();
	if (!res)
		return;
	cJSON_AddStringToObject(res, "protocolVersion", chosen);
	cJSON_AddItemToObject(res, "capabilities", capabilities());
	cJSON_AddItemToObject(res, "serverInfo", server_info(s));
	cJSON_AddStringToObject(res, "instructions", instructions);
	send_result(s, r->id, res);
}

/* @res (taken) with the resultType the 2026-07-28 revision requires on
 * every result of a request made under it, and on server/discover's. */
static cJSON *complete(const struct request *r, cJSON *res, bool always)
{
	if (res && (r->stateless || always) && !cJSON_HasObjectItem(res, "resultType"))
		cJSON_AddStringToObject(res, "resultType", "complete");
	return res;
}

static void method_discover(struct mcp_server *s, const struct request *r)
{
	cJSON *res = cJSON_CreateObject(), *v;

	if (!res)
		return;
	v = cJSON_AddArrayToObject(res, "supportedVersions");
	for (size_t i = 0; i < NHANDSHAKE; i++)
		cJSON_AddItemToArray(v, cJSON_CreateString(handshake_versions[i]));
	cJSON_AddItemToArray(v, cJSON_CreateString(MCP_STATELESS_VERSION));
	cJSON_AddItemToObject(res, "capabilities", capabilities());
	cJSON_AddItemToObject(res, "serverInfo", server_info(s));
	cJSON_AddStringToObject(res, "instructions", instructions);
	send_result(s, r->id, complete(r, res, true));
}

static void method_tools_list(struct mcp_server *s, const struct request *r)
{
	const struct tool_registry *reg = s->ops.registry(s->ops.ctx);
	const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(r->params, "cursor");
	cJSON *res, *arr;

	/* Every tool fits on one page, so no cursor was ever handed out. */
	if (cursor && !cJSON_IsNull(cursor)) {
		send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
		           "unknown cursor: tools/list returns every tool on one page");
		return;
	}
	res = cJSON_CreateObject();
	arr = res ? cJSON_AddArrayToObject(res, "tools") : NULL;
	if (!arr) {
		cJSON_Delete(res);
		send_error(s, r->id, MCP_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < reg->count; i++)
		cJSON_AddItemToArray(arr, tool_to_json(&reg->tools[i]));
	if (r->stateless)
		cJSON_AddStringToObject(res, "resultType", "complete");
	send_result(s, r->id, res);
}

static void method_tools_call(struct mcp_server *s, const struct request *r)
{
	static const char *const token_path[] = {"params", "_meta", "progressToken"};
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(r->params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(r->params, "arguments");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r->params, "_meta");
	const cJSON *token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
	struct mcp_job *j;

	if (!cJSON_IsString(name)) {
		send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
		           "tools/call needs params.name (a string)");
		return;
	}
	if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args)) {
		send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
		           "the arguments of %.64s must be a JSON object", name->valuestring);
		return;
	}
	if (token && !cJSON_IsString(token) && !cJSON_IsNumber(token)) {
		send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
		           "params._meta.progressToken must be a string or a number");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		goto nomem;
	j->s = s;
	j->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	j->id = strdup(r->id);
	j->tool = strdup(name->valuestring);
	j->args = args && cJSON_IsObject(args) ? cJSON_Duplicate(args, 1) : cJSON_CreateObject();
	j->stateless = r->stateless;
	if (r->stateless) {
		const cJSON *caps = cJSON_GetObjectItemCaseSensitive(meta, META_CAPABILITIES);
		const cJSON *answers =
		    cJSON_GetObjectItemCaseSensitive(r->params, "inputResponses");
		const cJSON *answer = cJSON_GetObjectItemCaseSensitive(answers, INPUT_APPROVAL);
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(r->params, "requestState");
		j->can_elicit =
		    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(caps, "elicitation"));
		if (cJSON_IsObject(answer) && cJSON_IsString(state)) {
			j->input_answer = cJSON_Duplicate(answer, 1);
			j->request_state = strdup(state->valuestring);
			if (!j->input_answer || !j->request_state)
				goto nomem;
		}
	}
	if (token) {
		j->progress_token = id_text(token, r->line, r->end, token_path, 3);
		if (!j->progress_token)
			goto nomem;
	}
	if (j->cancel_fd < 0 || !j->id || !j->tool || !j->args)
		goto nomem;

	pthread_mutex_lock(&s->lock);
	for (struct mcp_job *q = s->running; q; q = q->next)
		if (id_same(q->id, j->id))
			goto duplicate;
	for (struct mcp_job *q = s->queue; q; q = q->next)
		if (id_same(q->id, j->id))
			goto duplicate;
	if (s->nworkers == 0) {
		j->next = s->running;
		s->running = j;
		pthread_mutex_unlock(&s->lock);
		job_run(s, j);
		job_free(j);
		return;
	}
	if (s->queued >= MCP_QUEUE_MAX) {
		pthread_mutex_unlock(&s->lock);
		send_error(s, r->id, MCP_SERVER_BUSY, NULL,
		           "%d calls are already waiting for one of %u workers; wait for a "
		           "result before sending more",
		           MCP_QUEUE_MAX, s->nworkers);
		job_free(j);
		return;
	}
	if (s->queue_tail)
		s->queue_tail->next = j;
	else
		s->queue = j;
	s->queue_tail = j;
	s->queued++;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);
	return;
duplicate:
	pthread_mutex_unlock(&s->lock);
	send_error(s, r->id, MCP_INVALID_REQUEST, NULL,
	           "a request with the id %s is still running: ids must be unique", r->id);
	job_free(j);
	return;
nomem:
	send_error(s, r->id, MCP_INTERNAL_ERROR, NULL, "out of memory");
	job_free(j);
}

static void method_set_level(struct mcp_server *s, const struct request *r)
{
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(r->params, "level");

	for (unsigned i = 0; cJSON_IsString(level) && i < NLOG_LEVELS; i++)
		if (strcmp(level->valuestring, log_levels[i]) == 0) {
			pthread_mutex_lock(&s->lock);
			s->log_level = i;
			pthread_mutex_unlock(&s->lock);
			send_result(s, r->id, complete(r, cJSON_CreateObject(), false));
			return;
		}
	send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
	           "logging/setLevel needs params.level: one of debug, info, notice, warning, "
	           "error, critical, alert, emergency");
}

/* notifications/cancelled: kill that call's sandbox; it sends no result. */
static void notify_cancelled(struct mcp_server *s, const struct request *r)
{
	static const char *const path[] = {"params", "requestId"};
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(r->params, "requestId");
	char *id;

	if (!cJSON_IsString(rid) && !cJSON_IsNumber(rid))
		return;
	id = id_text(rid, r->line, r->end, path, 2);
	if (!id)
		return;
	pthread_mutex_lock(&s->lock);
	for (struct mcp_job *q = s->queue, *prev = NULL; q; prev = q, q = q->next)
		if (id_same(q->id, id)) {
			/* Not started yet: it never runs. */
			if (prev)
				prev->next = q->next;
			else
				s->queue = q->next;
			if (s->queue_tail == q)
				s->queue_tail = prev;
			s->queued--;
			pthread_mutex_unlock(&s->lock);
			job_free(q);
			free(id);
			return;
		}
	for (struct mcp_job *q = s->running; q; q = q->next)
		if (id_same(q->id, id)) {
			q->cancelled = true;
			job_cancel_fd(q);
		}
	pthread_cond_broadcast(&s->answered);
	pthread_mutex_unlock(&s->lock);
	free(id);
}

/* A response from the client: the answer to an elicitation. */
static void handle_response(struct mcp_server *s, const char *id, const cJSON *msg)
{
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(msg, "result");

	pthread_mutex_lock(&s->lock);
	for (struct mcp_pending *p = s->pending; p; p = p->next)
		if (!p->answered && id_same(p->id, id)) {
			p->answered = true;
			p->result = cJSON_IsObject(result) ? cJSON_Duplicate(result, 1) : NULL;
			pthread_cond_broadcast(&s->answered);
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

/* The 2026-07-28 revision puts the version in every request's _meta. */
static int check_meta(struct mcp_server *s, struct request *r)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r->params, "_meta");
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(meta, META_VERSION);
	cJSON *data, *arr;

	if (!pv)
		return 0;
	if (cJSON_IsString(pv) && strcmp(pv->valuestring, MCP_STATELESS_VERSION) == 0) {
		r->stateless = true;
		return 0;
	}
	for (size_t i = 0; cJSON_IsString(pv) && i < NHANDSHAKE; i++)
		if (strcmp(pv->valuestring, handshake_versions[i]) == 0)
			return 0;
	if (!r->id)
		return -1;
	data = cJSON_CreateObject();
	arr = data ? cJSON_AddArrayToObject(data, "supported") : NULL;
	for (size_t i = 0; arr && i < NHANDSHAKE; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(handshake_versions[i]));
	if (arr)
		cJSON_AddItemToArray(arr, cJSON_CreateString(MCP_STATELESS_VERSION));
	if (data && cJSON_IsString(pv))
		cJSON_AddStringToObject(data, "requested", pv->valuestring);
	send_error(s, r->id, MCP_UNSUPPORTED_VERSION, data, "Unsupported protocol version %.32s",
	           cJSON_IsString(pv) ? pv->valuestring : "(not a string)");
	return -1;
}

static void dispatch(struct mcp_server *s, struct request *r)
{
	if (r->params && !cJSON_IsObject(r->params)) {
		if (r->id)
			send_error(s, r->id, MCP_INVALID_PARAMS, NULL,
			           "params of %.64s must be an object", r->method);
		return;
	}
	if (check_meta(s, r) < 0)
		return;
	if (!r->id) {
		if (strcmp(r->method, "notifications/cancelled") == 0)
			notify_cancelled(s, r);
		/* notifications/initialized and anything else: nothing to do. */
		return;
	}
	if (strcmp(r->method, "initialize") == 0)
		method_initialize(s, r);
	else if (strcmp(r->method, "server/discover") == 0)
		method_discover(s, r);
	else if (strcmp(r->method, "ping") == 0)
		send_result(s, r->id, complete(r, cJSON_CreateObject(), false));
	else if (strcmp(r->method, "tools/list") == 0)
		method_tools_list(s, r);
	else if (strcmp(r->method, "tools/call") == 0)
		method_tools_call(s, r);
	else if (strcmp(r->method, "logging/setLevel") == 0)
		method_set_level(s, r);
	else
		send_error(s, r->id, MCP_METHOD_NOT_FOUND, NULL, "no method named %.64s",
		           r->method);
}

void mcp_handle_line(struct mcp_server *s, const char *line, size_t len)
{
	const char *end = line + len, *p = skip_ws(line, end);
	const cJSON *jsonrpc, *method, *idj;
	char *copy, *id = NULL;
	cJSON *msg;

	if (p == end)
		return; /* a blank line: nothing was said */
	if (memchr(line, '\0', len) || !mcp_utf8_valid(line, len)) {
		send_error(s, NULL, MCP_PARSE_ERROR, NULL,
		           "the message is not valid UTF-8 JSON text");
		return;
	}
	copy = malloc(len + 1);
	if (!copy) {
		send_error(s, NULL, MCP_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	msg = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, true);
	if (!msg) {
		send_error(s, NULL, MCP_PARSE_ERROR, NULL,
		           "the message is not JSON (or nests deeper than %d levels)",
		           CJSON_NESTING_LIMIT);
		goto out;
	}
	if (cJSON_IsArray(msg)) {
		/* Batching was removed in 2025-06-18. */
		send_error(s, NULL, MCP_INVALID_REQUEST, NULL,
		           "batches (JSON arrays) are not supported: send one message per line");
		goto out;
	}
	if (!cJSON_IsObject(msg)) {
		send_error(s, NULL, MCP_INVALID_REQUEST, NULL, "a message must be a JSON object");
		goto out;
	}
	idj = cJSON_GetObjectItemCaseSensitive(msg, "id");
	if (idj) {
		static const char *const path[] = {"id"};
		if (!cJSON_IsString(idj) && !cJSON_IsNumber(idj) && !cJSON_IsNull(idj)) {
			send_error(s, NULL, MCP_INVALID_REQUEST, NULL,
			           "the id must be a string or a number");
			goto out;
		}
		id = id_text(idj, copy, copy + len, path, 1);
		if (!id || strlen(id) > MCP_ID_MAX) {
			send_error(s, NULL, MCP_INVALID_REQUEST, NULL,
			           "the id is longer than %u bytes", MCP_ID_MAX);
			goto out;
		}
	}
	jsonrpc = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
	if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0) {
		send_error(s, id, MCP_INVALID_REQUEST, NULL,
		           "the message needs \"jsonrpc\": \"2.0\"");
		goto out;
	}
	method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	if (!method) {
		if (id && (cJSON_HasObjectItem(msg, "result") || cJSON_HasObjectItem(msg, "error")))
			handle_response(s, id, msg);
		else
			send_error(s, id, MCP_INVALID_REQUEST, NULL,
			           "the message has no method and is not a response");
		goto out;
	}
	if (!cJSON_IsString(method)) {
		send_error(s, id, MCP_INVALID_REQUEST, NULL, "the method must be a string");
		goto out;
	}
	/* MCP forbids a null id; JSON-RPC would make it a request all the same. */
	if (idj && cJSON_IsNull(idj)) {
		send_error(s, id, MCP_INVALID_REQUEST, NULL,
		           "the id of a request must be a string or a number, not null");
		goto out;
	}
	{
		struct request r = {
		    .id = id,
		    .method = method->valuestring,
		    .params = cJSON_GetObjectItemCaseSensitive(msg, "params"),
		    .line = copy,
		    .end = copy + len,
		};
		dispatch(s, &r);
	}
out:
	cJSON_Delete(msg);
	free(copy);
	free(id);
}

void mcp_reject_oversized(struct mcp_server *s)
{
	send_error(s, NULL, MCP_INVALID_REQUEST, NULL,
	           "the message is longer than %u bytes and was discarded", MCP_LINE_MAX);
}

/* ---- life ---- */

int mcp_server_new(const struct mcp_ops *ops, unsigned workers, struct mcp_server **out,
                   struct corral_error *err)
{
	struct mcp_server *s;
	int e;

	if (workers > MCP_WORKERS_MAX)
		return corral_error_set(err, CORRAL_E_USAGE, 0,
		                        "%u workers asked for; at most %d calls run at once",
		                        workers, MCP_WORKERS_MAX);
	s = calloc(1, sizeof(*s));
	if (!s)
		return corral_error_set(err, CORRAL_E_NOMEM, ENOMEM, "out of memory");
	s->ops = *ops;
	s->approver = (struct approver){.name = "mcp-elicitation", .ask = mcp_ask, .ctx = s};
	s->log_level = LOG_WARNING_;
	pthread_mutex_init(&s->out_lock, NULL);
	pthread_cond_init(&s->out_more, NULL);
	pthread_cond_init(&s->out_room, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->answered, NULL);
	if (workers > 0) {
		e = pthread_create(&s->writer, NULL, writer_main, s);
		if (e) {
			mcp_server_free(s);
			return corral_error_set(err, CORRAL_E_IO, e,
			                        "cannot start the output thread: %s", strerror(e));
		}
		s->writer_started = true;
	}
	for (; s->nworkers < workers; s->nworkers++) {
		e = pthread_create(&s->threads[s->nworkers], NULL, worker_main, s);
		if (e) {
			mcp_server_free(s);
			return corral_error_set(err, CORRAL_E_IO, e,
			                        "cannot start a worker thread: %s", strerror(e));
		}
	}
	*out = s;
	return 0;
}

void mcp_server_free(struct mcp_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	for (struct mcp_job *j = s->running; j; j = j->next)
		job_cancel_fd(j);
	while (s->queue) {
		struct mcp_job *j = s->queue;
		s->queue = j->next;
		job_free(j);
	}
	s->queue_tail = NULL;
	s->queued = 0;
	pthread_cond_broadcast(&s->work);
	pthread_cond_broadcast(&s->answered);
	pthread_mutex_unlock(&s->lock);
	/* Workers stopping must not wait for room: their last results are
	 * queued whatever the size, and the writer sends them all. */
	pthread_mutex_lock(&s->out_lock);
	s->out_stopping = true;
	pthread_cond_broadcast(&s->out_room);
	pthread_mutex_unlock(&s->out_lock);
	/* A question being asked ends now (an asker blocked on output room
	 * was just let go). Wait until every asker has left it, since the
	 * approver may run in a thread the server does not join (a front
	 * end's own), which must not touch a freed server. */
	pthread_mutex_lock(&s->lock);
	while (s->pending)
		pthread_cond_wait(&s->answered, &s->lock);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->threads[i], NULL);
	if (s->writer_started) {
		pthread_mutex_lock(&s->out_lock);
		s->out_done = true;
		pthread_cond_signal(&s->out_more);
		pthread_mutex_unlock(&s->out_lock);
		pthread_join(s->writer, NULL);
	}
	while (s->out_head) {
		struct mcp_out *m = s->out_head;
		s->out_head = m->next;
		free(m);
	}
	pthread_cond_destroy(&s->out_more);
	pthread_cond_destroy(&s->out_room);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->answered);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->out_lock);
	free(s);
}

const struct approver *mcp_server_approver(struct mcp_server *s)
{
	return &s->approver;
}
