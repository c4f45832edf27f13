/*
 * mcp.h - the Model Context Protocol server: JSON-RPC 2.0 messages in, one
 * per line, responses and notifications out (docs/mcp.md).
 *
 * This is the protocol only. It reads nothing and writes nothing itself:
 * the front end (cmd_serve.c) reads stdin and hands each line to
 * mcp_handle_line(); every message the server sends goes through
 * mcp_ops.write. Tool calls reach the session through mcp_ops.call, so a
 * fuzzer can put a fake runner there and no sandbox is spawned.
 *
 * Revisions: 2025-06-18 and 2025-11-25 (the `initialize` handshake) and
 * 2026-07-28 (`server/discover`, the version and capabilities in each
 * request's `_meta`, `resultType` on results), in one server.
 *
 * Threads: with workers > 0, tools/call runs in a pool of that many
 * threads, each call with its own cancel fd, so calls run concurrently;
 * mcp_handle_line() must be called from one thread (the reader) only, and
 * never blocks on output: messages are queued for a writer thread. With
 * workers == 0 each call runs inside mcp_handle_line() (for the fuzzer and
 * for tests); an approval can then not be answered and is unavailable.
 */
#ifndef CORRAL_MCP_H
#define CORRAL_MCP_H

#include "session.h"
#include "tools.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The longest message line: the largest arguments a call may carry, plus
 * room for the envelope around them. A longer line is refused whole. */
#define MCP_LINE_MAX    (TOOL_ARGS_MAX + (1u << 20))
#define MCP_WORKERS_MAX 16   /* tool calls that run at once (policy limits.calls) */
#define MCP_QUEUE_MAX   64   /* calls accepted but waiting for a worker */
#define MCP_PROGRESS_MS 100u /* at least this long between two progress notifications */
#define MCP_ID_MAX      512u /* bytes of the text of a request id */
/* Bytes of messages waiting for a client that does not read its stdout:
 * past MCP_OUTPUT_MAX the workers wait (the reader never does), and past
 * MCP_OUTPUT_READER_MAX the reader's own replies are dropped. */
/* Bytes of a tool result's text (and of each string of its structured
 * content) sent to the client; past it the text is cut with a note saying
 * how much was left out and how to read it. Claude Code caps a result at
 * about 25,000 tokens. */
#define MCP_RESULT_TEXT_MAX   100000u
#define MCP_OUTPUT_MAX        (4u << 20)
#define MCP_OUTPUT_READER_MAX (64u << 20)

/* JSON-RPC error codes. */
#define MCP_PARSE_ERROR      -32700
#define MCP_INVALID_REQUEST  -32600
#define MCP_METHOD_NOT_FOUND -32601
#define MCP_INVALID_PARAMS   -32602
#define MCP_INTERNAL_ERROR   -32603
#define MCP_SERVER_BUSY      -32000 /* MCP_QUEUE_MAX calls are already waiting */
/* A request of the 2026-07-28 revision names a version the server lacks
 * (UnsupportedProtocolVersionError, with data.supported and data.requested). */
#define MCP_UNSUPPORTED_VERSION -32022

/* What the server needs from the outside world. */
struct mcp_ops {
	/* Send one message (@len bytes of compact JSON, no newline); it may
	 * block. With workers, called from the server's one writer thread
	 * only, so messages never interleave and a blocked write stops
	 * neither the reader nor the calls; inline, from the caller of
	 * mcp_handle_line(). A failure is ignored: the client is gone and
	 * the reader will see stdin close. */
	void (*write)(void *ctx, const char *msg, size_t len);
	/* The tools to list. Borrowed; must stay valid while the server lives. */
	const struct tool_registry *(*registry)(void *ctx);
	/* Run one call: session_call()'s contract. */
	int (*call)(void *ctx, const char *tool, const cJSON *args,
	            const struct tool_call_opts *opts, struct call_outcome *out,
	            struct corral_error *err);
	void *ctx;
	const char *version; /* corral's version for serverInfo */
};

struct mcp_server;

/*
 * A new server that sends through @ops (copied; ops->ctx borrowed) and
 * runs calls in @workers threads (at most MCP_WORKERS_MAX; 0: inline).
 * On success *@out owns it (free with mcp_server_free()).
 */
int mcp_server_new(const struct mcp_ops *ops, unsigned workers, struct mcp_server **out,
                   struct corral_error *err);

/*
 * Stop: every call in flight is cancelled (its sandbox killed), calls not
 * yet started are dropped, a pending approval is answered "unavailable",
 * and the worker threads are joined. Results of killed calls are still
 * written. Then release everything. Accepts NULL.
 */
void mcp_server_free(struct mcp_server *s);

/*
 * The approver that asks the client through elicitation/create (borrowed
 * from @s; for session_opts.approver). Its ask() blocks the calling worker
 * until the client answers, the call is cancelled or the server stops; it
 * answers APPROVAL_UNAVAILABLE when the client did not declare the
 * elicitation capability and when the server runs calls inline. For a
 * request of the 2026-07-28 revision it does not block: it takes the
 * answer from the request's inputResponses, or answers UNAVAILABLE and the
 * call's result asks the question (resultType "input_required").
 */
const struct approver *mcp_server_approver(struct mcp_server *s);

/*
 * Handle one message line (@len bytes, without its newline; need not be
 * NUL-terminated and may hold any bytes). Replies are sent through
 * ops->write, at once for everything but tools/call, whose result follows
 * when the call ends. Never fails: a bad message gets a JSON-RPC error.
 */
void mcp_handle_line(struct mcp_server *s, const char *line, size_t len);

/* Answer a line longer than MCP_LINE_MAX that the reader discarded. */
void mcp_reject_oversized(struct mcp_server *s);

/* Is @p (@len bytes) valid UTF-8 (no overlong forms, surrogates or code
 * points beyond U+10FFFF)? */
bool mcp_utf8_valid(const char *p, size_t len);

#endif
