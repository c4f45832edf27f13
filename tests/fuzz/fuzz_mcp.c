/*
 * fuzz_mcp.c - libFuzzer target for the MCP server's message handling:
 * JSON-RPC parsing, id echoing, every method, notifications and responses.
 *
 * The input is split into lines and each is handed to one server, as the
 * reader would; the server runs calls inline (no worker threads) through a
 * fake runner, so no sandbox is spawned. Every message the server sends
 * must be one line of valid UTF-8 JSON with "jsonrpc": "2.0".
 */
#include "mcp.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tool fake_tools[2];
static struct tool_registry fake_reg = {.tools = fake_tools, .count = 2};

static void fake_write(void *ctx, const char *msg, size_t len)
{
	cJSON *m, *v;

	(void)ctx;
	/* One line of JSON: cJSON escapes every control character. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] < ' ')
			abort();
	if (!mcp_utf8_valid(msg, len))
		abort();
	m = cJSON_ParseWithLength(msg, len);
	v = cJSON_GetObjectItemCaseSensitive(m, "jsonrpc");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0") != 0)
		abort();
	cJSON_Delete(m);
}

static const struct tool_registry *fake_registry(void *ctx)
{
	(void)ctx;
	return &fake_reg;
}

static struct mcp_server *the_server;

/* The fuzzer's stand-in for session_call(): echo the arguments; with an
 * "ask" member, put the call to the approver first, as an ask rule does. */
static int fake_call(void *ctx, const char *tool, const cJSON *args,
                     const struct tool_call_opts *opts, struct call_outcome *out,
                     struct corral_error *err)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	if (!tools_find(&fake_reg, tool))
		return corral_error_set(err, CORRAL_E_NOTFOUND, 0, "no tool named '%.64s'.", tool);
	if (opts->progress) {
		opts->progress(opts->progress_ctx, 1, 2, "half");
		opts->progress(opts->progress_ctx, 2, 2, NULL);
	}
	out->stop = cJSON_GetObjectItemCaseSensitive(args, "deny") ? CALL_DENIED : CALL_RAN;
	if (cJSON_GetObjectItemCaseSensitive(args, "ask")) {
		const struct approver *ap = mcp_server_approver(the_server);
		char *json = cJSON_PrintUnformatted(args), detail[128];
		struct approval_request req = {
		    .run = "r", .call_id = "c", .tool = tool, .args_json = json ? json : "{}"};
		enum approval_answer a = ap->ask(ap->ctx, &req, detail, sizeof(detail));
		free(json);
		if (a == APPROVAL_NO)
			out->stop = CALL_DECLINED;
		else if (a == APPROVAL_UNAVAILABLE)
			out->stop = CALL_NEEDS_APPROVAL;
	}
	out->result.text = cJSON_PrintUnformatted(args);
	out->result.is_error = out->stop != CALL_RAN;
	if (strcmp(tool, "shaped") == 0 && cJSON_GetObjectItemCaseSensitive(args, "shape"))
		out->result.structured = cJSON_Duplicate(args, 1);
	return out->result.text ? 0 : corral_error_set(err, CORRAL_E_NOMEM, 0, "out of memory");
}

static struct mcp_server *server(void)
{
	struct mcp_server *s = the_server;
	struct mcp_ops ops = {
	    .write = fake_write, .registry = fake_registry, .call = fake_call, .version = "fuzz"};
	struct corral_error err;

	if (s)
		return s;
	fake_tools[0] = (struct tool){.name = "echo",
	                              .description = "echo",
	                              .input_schema = cJSON_Parse("{\"type\":\"object\"}")};
	fake_tools[1] = (struct tool){.name = "shaped",
	                              .description = "shaped",
	                              .input_schema = cJSON_Parse("{\"type\":\"object\"}"),
	                              .output_schema = cJSON_Parse("{\"type\":\"object\"}")};
	if (mcp_server_new(&ops, 0, &s, &err) < 0)
		abort();
	the_server = s;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcp_server *s = server();
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		mcp_handle_line(s, p, len);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}
