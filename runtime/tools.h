/*
 * tools.h - the tool registry and the call path.
 *
 * Tools come from plugins: shared objects on the ABI of
 * include/corral/plugin.h (the built-in tools are one) and Lua scripts run
 * by the Lua host plugin. corral never loads a plugin itself: it asks the
 * worker (plugins/worker, docs/worker.md), exec'd in a sandbox, to describe
 * a plugin's tools or to run one.
 *
 * Discovery order: the shipped plugin directory, then each directory of
 * $CORRAL_PLUGIN_PATH (colon-separated). Two tools with one name are an
 * error that names both files.
 */
#ifndef CORRAL_TOOLS_H
#define CORRAL_TOOLS_H

#include "policy.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define TOOLS_MAX            256         /* tools in one registry */
#define TOOL_ARGS_MAX        (16u << 20) /* bytes of arguments for one call */
#define TOOL_RESULT_SLACK    (64u << 10)
#define TOOL_CANCEL_GRACE_MS 1000u /* from SIGTERM to SIGKILL on cancellation */

struct tool {
	char *name;
	char *title; /* NULL when the plugin gave none */
	char *description;
	cJSON *input_schema;
	cJSON *output_schema; /* NULL when none */
	bool read_only, destructive, idempotent, open_world;
	char *plugin; /* the shared object that runs it; NULL for a host tool */
	char *script; /* the Lua script for the Lua host, or NULL */
	bool host;    /* served by corral itself, not in a sandbox (host_tools.h) */
};

struct tool_registry {
	struct tool *tools;
	size_t count;
	char *worker;     /* path of corral-worker */
	char *plugin_dir; /* the shipped plugins */
	/* Descriptions kept between runs in the state directory, keyed by the
	 * plugin's (and script's and worker's) identity: device, inode, size
	 * and mtime. A changed file is described again. */
	cJSON *cache;
	char *cache_path;
	bool cache_dirty;
};

/* Where the worker and the shipped plugins are, next to corral's binary.
 * Fills @reg's worker and plugin_dir. */
int tools_locate(struct tool_registry *reg, struct corral_error *err);

/*
 * Discover every plugin and ask each, in a sandbox built from @p for
 * @workspace (read-only), to describe its tools. On success @reg holds
 * them; release with tools_release().
 */
int tools_load(struct tool_registry *reg, const struct policy *p, const char *workspace,
               struct corral_error *err);

const struct tool *tools_find(const struct tool_registry *reg, const char *name);

void tools_release(struct tool_registry *reg);

/* The tool as MCP describes one: {name, title, description, inputSchema,
 * outputSchema, annotations}. New object; NULL when out of memory. */
cJSON *tool_to_json(const struct tool *t);

struct tool_result {
	bool is_error;
	char *text;        /* the text content, NUL-terminated (never NULL on success) */
	cJSON *structured; /* structuredContent, or NULL */
	uint64_t dropped;  /* bytes of text content dropped at the output cap */
	int exit_code;     /* the worker's, -1 when killed by a signal */
	int signal;
	uint64_t duration_ms;
	unsigned limits_hit; /* SBX_LIMIT_* */
	bool cancelled;
	size_t nviolations;
	char **violations;
};

/*
 * Run @tool with @args (a JSON object, validated against the input schema
 * here first) in a sandbox built from @p for @workspace. A tool failure —
 * bad arguments, the tool's error, a crash, a limit — is a result with
 * is_error set and a message in text, and returns 0; a negative return
 * means corral itself could not run the call (sandbox set-up, memory).
 * When opts->cancel_fd (borrowed) becomes readable the call's sandbox is
 * killed and the result says the call was cancelled. @opts may be NULL.
 */
/* How a call is watched while it runs. Zeroed (cancel_fd -1) for none. */
struct tool_call_opts {
	int cancel_fd; /* -1, or an fd whose readability cancels the call */
	/* Called from the caller's thread for each progress report of the
	 * tool (throttled by the worker), never after the call returned. */
	void (*progress)(void *ctx, double done, double total, const char *message);
	void *progress_ctx;
};

int tool_call(const struct tool_registry *reg, const struct tool *tool, const cJSON *args,
              const struct policy *p, const char *workspace, const struct tool_call_opts *opts,
              struct tool_result *res, struct corral_error *err);

void tool_result_release(struct tool_result *res);

#endif
