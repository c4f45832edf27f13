/*
 * session.h - one run of tool calls, and the life of each call in it.
 *
 *   request -> resolve the tool -> check the arguments -> decide (rules)
 *           -> approve (an "ask" rule) -> checkpoint (a tool that can mutate)
 *           -> run in the sandbox -> audit record -> result
 *
 * A session is one run: one `corral call`, one `corral serve`, one agent
 * loop. It owns the policy, the tool registry and the audit log of its
 * workspace, loaded once when it opens, so a long-lived process pays for
 * them once. session_call() is the only way a front end (the CLI, the MCP
 * server) runs a tool, so every front end gets the same rules, approvals,
 * checkpoints and records.
 *
 * Threads: session_call() may run in several threads of one process at
 * once (the MCP server runs concurrent calls); the session serialises what
 * must not interleave (approval prompts, checkpoints, audit records).
 * session_open() and session_close() must not race with a call.
 */
#ifndef CORRAL_SESSION_H
#define CORRAL_SESSION_H

#include "policy.h"
#include "tools.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#define SESSION_RUN_MAX     65   /* bytes of a run name, NUL included */
#define SESSION_CALL_MAX    24   /* bytes of a call id, NUL included */
#define SESSION_ALWAYS_MAX  1024 /* "always" answers remembered in one run */
#define SESSION_SUMMARY_MAX 200  /* bytes of a call's summary in a checkpoint */

/* An answer to an approval request. */
enum approval_answer {
	APPROVAL_NO = 0,     /* the call is denied */
	APPROVAL_YES,        /* this call may run */
	APPROVAL_ALWAYS,     /* this call, and every later one this rule asks about in the run */
	APPROVAL_UNAVAILABLE /* nobody could be asked: the call is denied as needing approval */
};

/* What a human is asked to approve. Every pointer is borrowed for the call. */
struct approval_request {
	const char *run;
	const char *call_id;
	const char *tool;
	const char *args_json; /* the call's arguments, compact JSON */
	const char *command;   /* exec: the command string; NULL otherwise */
	const char *rule;      /* the pattern of the rule that asked, or NULL for the default */
	struct policy_loc loc; /* where that rule is written (file NULL for the default) */
	const char *reason;    /* the rules' sentence for this decision */
	bool checkpoint;       /* a checkpoint is taken before the call runs */
};

/*
 * The one interface through which a call is approved: a terminal prompt in
 * the CLI, an MCP elicitation in the server. ask() returns the answer; it
 * may block. @name is recorded in the audit log as the approver ("tty",
 * "mcp-elicitation"); @detail, when ask() sets it (up to 128 bytes), adds
 * who answered.
 */
struct approver {
	const char *name;
	enum approval_answer (*ask)(void *ctx, const struct approval_request *req, char *detail,
	                            size_t detail_size);
	void *ctx;
};

struct session_opts {
	const char *policy;    /* a profile name or a file; NULL: "workspace-write" */
	const char *workspace; /* NULL: the current directory */
	const char *run;       /* the run's name; NULL: a new one ("20261204-031500-3fa9") */
	/* Who answers "ask" rules. NULL: nobody, and an ask is a denial that
	 * says approval is needed and how to give it. */
	const struct approver *approver;
	bool approve_all; /* --yes: every ask is approved; a deny still denies */
	bool no_tools;    /* do not load the plugins (a front end that runs no tool) */
	/* How a user gives approval with this front end, for the refusal of a
	 * call nobody could be asked about ("pass --yes, or ..."). NULL: the
	 * CLI's words. Copied. */
	const char *approval_hint;
};

struct session;

/*
 * Open a session: load the policy and every plugin's description for
 * @opts->workspace, open the audit log. On success *@out owns the session
 * (close it with session_close()). On failure returns a negative
 * corral_code and @err says what could not be loaded (file:line:col for a
 * policy error); *@out is untouched.
 */
int session_open(const struct session_opts *opts, struct session **out, struct corral_error *err);

/* Close @s and release everything it owns. Accepts NULL. */
void session_close(struct session *s);

/* The session's run name, policy, registry and resolved workspace (borrowed). */
const char *session_run(const struct session *s);
const struct policy *session_policy(const struct session *s);
const struct tool_registry *session_registry(const struct session *s);
const char *session_workspace(const struct session *s);

/* Why a call did not run, when it did not. */
enum call_stop {
	CALL_RAN = 0,        /* the tool ran; its result is in @result */
	CALL_BAD_ARGUMENTS,  /* the arguments do not fit the tool's input schema */
	CALL_DENIED,         /* a deny rule or the default denied it */
	CALL_NEEDS_APPROVAL, /* an ask rule, and nobody could be asked */
	CALL_DECLINED,       /* an ask rule, and the human said no */
	CALL_NO_CHECKPOINT,  /* the checkpoint before a mutating call failed */
};

/* Everything about one call, for the front end and the audit log. */
struct call_outcome {
	char call_id[SESSION_CALL_MAX];
	enum call_stop stop;
	enum policy_decision decision; /* what the rules decided (ask even when approved) */
	char *rule;                    /* the deciding rule's pattern, NULL for the default */
	struct policy_loc rule_loc;    /* file points into the session's policy */
	char *approver;                /* who approved an ask, NULL when none did */
	char *checkpoint;              /* the checkpoint taken before the call, or NULL */
	size_t checkpoint_skipped;     /* paths that checkpoint left out (ignored, too large,
	                                * nested repositories): `corral checkpoint` lists them */
	/* The result the agent sees. When the call did not run, result.is_error
	 * is set and result.text is one sentence for the agent to act on: what
	 * was refused, by which rule (FILE:LINE), and the rule's hint. */
	struct tool_result result;
};

/*
 * Run one call of the tool @tool_name with @args (a JSON object) through
 * the whole path above. Returns 0 with @out filled whenever there is a
 * result for the agent, including a refusal or a tool failure. Returns
 * CORRAL_E_NOTFOUND (with "no tool named ..." in @err) for an unknown
 * tool, and another negative code when corral itself could not run the
 * call (sandbox set-up, memory); @out is then released and empty.
 * @opts (cancellation, progress) may be NULL. Release @out with
 * call_outcome_release().
 */
int session_call(struct session *s, const char *tool_name, const cJSON *args,
                 const struct tool_call_opts *opts, struct call_outcome *out,
                 struct corral_error *err);

void call_outcome_release(struct call_outcome *o);

/*
 * The steps of session_call() around the run itself, for a front end that
 * runs the tool its own way (`corral exec` runs a command with the
 * terminal as its stdio, not through the worker). @tool need not be in the
 * registry: its name, input schema (NULL: any object) and read_only hint
 * are what count.
 *
 * session_begin() checks the arguments, decides, asks, takes the
 * checkpoint and writes the start record. It returns 0 when the call may
 * run under *@run_policy (the session's policy with the deciding rules'
 * overrides; a shallow copy valid while the session is open), 1 when it
 * was refused (the outcome holds the refusal, already recorded), or a
 * negative code (@out released). @out must be zeroed, or carry a call id
 * chosen by the caller.
 *
 * After the run, the caller fills out->result and calls session_end(),
 * which writes the end record (a record that cannot be written is noted
 * in the result's text).
 */
int session_begin(struct session *s, const struct tool *tool, const cJSON *args,
                  struct call_outcome *out, struct policy *run_policy, struct corral_error *err);
void session_end(struct session *s, const struct tool *tool, const cJSON *args,
                 struct call_outcome *out);

/* "ran", "bad-arguments", "denied", ... Never NULL. */
const char *call_stop_name(enum call_stop stop);

#endif
