/*
 * rules.h - decide a tool call against a policy's rules: allow, ask, deny.
 *
 * This is the host-side layer of enforcement (the sandbox is the other).
 * The call path asks rules_decide() before it runs anything:
 *
 *	struct rules_decision d;
 *	if (rules_decide(policy, workspace, tool, args, &d, &err) < 0)
 *		fail with err.message;
 *	switch (d.decision) {
 *	case POLICY_DECISION_DENY:  refuse the call, telling the agent d.reason;
 *	case POLICY_DECISION_ASK:   show d.reason to a human, run only on yes;
 *	case POLICY_DECISION_ALLOW: run it, applying d.has_timeout/d.timeout_ms and
 *	                            d.has_network/d.network_* over the policy's;
 *	}
 *	rules_decision_release(&d);
 *
 * Rule patterns (docs/policy.md has the full text):
 *   TOOL              every call of TOOL (for exec, even a command string that
 *                     cannot be parsed)
 *   exec(WORDS)       a simple command, word by word: a word is a glob within
 *                     that word ('*' matches any characters, '/' included); a
 *                     word that is a bare '*' matches zero or more words
 *                     ("git push *" matches "git push" and "git push origin
 *                     main", never "git pushx"; "git push * --force" matches
 *                     "git push origin main --force"); quotes in the pattern
 *                     make a literal word ('*' quoted is a star). Without a
 *                     '*' word, the command must have exactly those words.
 *   read_file(GLOB), write_file, edit_file, list_files, grep: the call's
 *                     "path" (list_files and grep default to "."), normalised
 *                     lexically; GLOB is relative to the workspace, or
 *                     anchored with "/" or "~/"; '**' spans directories; a
 *                     GLOB without '/' matches a name at any depth.
 *   TOOL(KEY=GLOB)    any other tool: the string argument KEY matches GLOB.
 * Precedence: the first matching deny rule, else ask, else allow, else
 * rules.default. An exec call is split into simple commands (shell.h), each
 * decided alone; the call is denied if any is denied, asked about if any is
 * asked about, allowed only if every one is allowed. A command string that
 * cannot be parsed matches only bare "exec" rules, else rules.default.
 * A word computed at run time ($X, $(...)) matches any word of a deny or
 * ask pattern, and only a bare '*' of an allow pattern. Likewise a command
 * run by a path outside the system directories (./git, /tmp/x/git) is
 * matched by its base name only by deny and ask patterns (an allow pattern
 * must name the path);
 * and a command whose environment the string changes (FOO=1 cmd, env
 * FOO=1 cmd, export FOO=1; cmd) is never matched by allow patterns, since
 * PATH or LD_PRELOAD can make it run anything.
 *
 * Pure code: no side effects. getenv("HOME") is read to resolve "~/".
 */
#ifndef CORRAL_RULES_H
#define CORRAL_RULES_H

#include "policy.h"

#include <cjson/cJSON.h>
#include <corral/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The workspace and home directory that examples are decided in (see
 * rules_validate()): fixed, so that a policy that loads on one machine
 * loads on every other. */
#define RULES_EXAMPLE_WORKSPACE "/workspace"
#define RULES_EXAMPLE_HOME      "/home/user"

/* How one simple command of an exec call was decided. */
struct rules_verdict {
	char *text; /* the normalised command, for messages; owned */
	enum policy_decision decision;
	const struct policy_rule *rule; /* NULL: rules.default decided */
};

struct rules_decision {
	enum policy_decision decision;  /* ALLOW, ASK or DENY, never UNSET */
	const struct policy_rule *rule; /* the deciding rule; NULL when rules.default did */
	char *reason;                   /* one sentence for the agent; owned */

	/* exec only: each simple command, in the order they appear. */
	struct rules_verdict *commands;
	size_t ncommands;
	bool unparsable;            /* exec: the command string could not be split */
	const char *unparsable_why; /* static text, when unparsable */

	/* Sandbox overrides, from the object-form rules that decided an allowed
	 * or asked-about call (never set for a denied one). Several rules
	 * combine to the widest: the longest timeout, the most open network
	 * mode (none < proxy < host), the union of their allow lists. */
	bool has_timeout;
	uint64_t timeout_ms;
	bool has_network;
	enum policy_net_mode network_mode;
	const char **network_allow; /* array owned, strings borrowed from the policy */
	size_t network_nallow;
};

/*
 * Decide the call of @tool with @args (a JSON object, or NULL for none)
 * under the rules of @p, in the workspace @workspace (an absolute path,
 * against which relative paths in the call are read). On success fills
 * *@out, which the caller releases with rules_decision_release(); its rule
 * pointers and network_allow strings point into @p, which must outlive it.
 * Fails with CORRAL_E_USAGE when @workspace is not absolute,
 * CORRAL_E_POLICY when a rule does not compile (policy_load() has already
 * refused such a policy), CORRAL_E_NOMEM. *@out is untouched on failure.
 */
int rules_decide(const struct policy *p, const char *workspace, const char *tool, const cJSON *args,
                 struct rules_decision *out, struct corral_error *err);

/* Release what @d owns and zero it. Accepts NULL. */
void rules_decision_release(struct rules_decision *d);

/*
 * Check every rule of @p: its pattern compiles, each of its examples.match
 * is matched by it and each of its examples.not_match is not (decided in
 * the workspace RULES_EXAMPLE_WORKSPACE with the home RULES_EXAMPLE_HOME,
 * whatever $HOME is). On failure returns
 * -CORRAL_E_POLICY with @err as "FILE:LINE:COL: rule 'exec(git push *)':
 * example 'exec(git pushx)' should not match but does". policy_load()
 * calls this on every policy it loads.
 */
int rules_validate(const struct policy *p, struct corral_error *err);

/*
 * Does the rule @r match the call of @tool with @args in @workspace? (One
 * simple command is enough for an exec pattern.) Sets *@matched. Errors as
 * for rules_decide().
 */
int rules_match(const struct policy_rule *r, const char *workspace, const char *tool,
                const cJSON *args, bool *matched, struct corral_error *err);

/*
 * Read a call written as in examples: "TOOL" or "TOOL(ARG)". ARG is exec's
 * command string, the path of a path tool, and for any other tool a JSON
 * object of arguments or KEY=VALUE for one string argument. On success
 * *@tool (owned, caller frees) is the tool name and *@args (owned, free
 * with cJSON_Delete) its arguments. Fails with CORRAL_E_USAGE naming what
 * is wrong, or CORRAL_E_NOMEM.
 */
int rules_parse_call(const char *call, char **tool, cJSON **args, struct corral_error *err);

#endif
