/*
 * host_tools.h - corral's own tools: checkpoint_list and checkpoint_diff,
 * served by corral itself rather than by a plugin in a sandbox.
 *
 * They read corral's checkpoint store, which lives in the state directory
 * and which no sandbox can see, so they cannot run in one. They are
 * read-only: they read the store's journal and commits and the workspace,
 * and change neither. A policy offers them by naming them in tools.corral
 * (none by default); a call of one still goes through session_call()'s
 * rules and audit records like any other tool. Their output is capped
 * (HOST_LIST_MAX, HOST_DIFF_MAX), and checkpoint_diff leaves out every file
 * the policy's filesystem.hide masks in the sandbox, so the tool shows no
 * more than a tool in the sandbox could read.
 */
#ifndef CORRAL_HOST_TOOLS_H
#define CORRAL_HOST_TOOLS_H

#include "ckpt.h"
#include "policy.h"
#include "tools.h"

#include <cjson/cJSON.h>

#define HOST_LIST_MAX       200         /* checkpoints checkpoint_list returns, newest first */
#define HOST_DIFF_MAX       (64u << 10) /* bytes of diff checkpoint_diff returns */
#define HOST_DIFF_PATHS_MAX 64          /* paths one checkpoint_diff call may name */

/*
 * Add the tools @p names in tools.corral to @reg, marked host (struct
 * tool.host). A name a plugin already uses is an error (CORRAL_E_POLICY,
 * naming the tool): which of the two a call reaches must not be a guess.
 */
int host_tools_add(struct tool_registry *reg, const struct policy *p, struct corral_error *err);

/* What a host tool reads. Every pointer is borrowed for the call. */
struct host_call {
	struct ckpt_store *store; /* the workspace's checkpoint store */
	const char *run;          /* the session's run: checkpoint_diff's default start */
	const struct policy *policy;
	const char *workspace; /* its real path */
};

/*
 * Run the host tool @tool with @args (already checked against its input
 * schema). Fills @out as tool_call() does: text and structured content, or
 * is_error with one sentence for the model (an unknown checkpoint, a store
 * that cannot be read). Returns a negative code only when memory ran out;
 * @out is then released.
 */
int host_tool_run(const struct tool *tool, const cJSON *args, const struct host_call *hc,
                  struct tool_result *out, struct corral_error *err);

#endif
