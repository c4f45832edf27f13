/*
 * compile.h - turn a policy and a workspace into a sandbox configuration.
 *
 * This is where policy meets mechanism: paths are resolved against the
 * workspace and the user's home, hidden globs are expanded by walking the
 * workspace, protected paths are prepared, the environment is assembled.
 * The sandbox module (sandbox/sbx.h) then builds exactly what the plan says.
 */
#ifndef CORRAL_COMPILE_H
#define CORRAL_COMPILE_H

#include "policy.h"

#include <sbx.h>

/* Entries a hide-glob walk of the workspace may visit before it gives up. */
#define COMPILE_WALK_MAX 1000000u
/* Mounts one plan may hold. */
#define COMPILE_MOUNTS_MAX 4096u

struct compile_opts {
	const char *workspace; /* required; resolved with realpath */
	const char *cwd;       /* inside the sandbox; default: the workspace */
	char *const *argv;     /* the command */
	uint64_t timeout_ms;   /* overrides the policy when non-zero */
	const char *state_dir; /* corral's state directory, protected when visible */
};

struct sandbox_plan {
	struct sbx_config cfg; /* points into the fields below */
	char *workspace;       /* realpath of the workspace */
	struct sbx_mount *mounts;
	size_t nmounts;
	char **env;
	size_t nenv;
	char **strings; /* every string the mounts point at */
	size_t nstrings;
	char **created; /* protected paths created for this run (removed by release) */
	size_t ncreated;
	size_t hidden; /* paths masked by hide globs */
};

/*
 * Compile @p for @opts into @plan. On success the plan owns everything it
 * points at; release it with sandbox_plan_release(), which also removes
 * the protected mount points created for the run. On failure @plan is
 * released and @err says why.
 */
int sandbox_compile(const struct policy *p, const struct compile_opts *opts,
                    struct sandbox_plan *plan, struct corral_error *err);

void sandbox_plan_release(struct sandbox_plan *plan);

/*
 * Resolve a path as policies write them — "." the workspace @ws, relative
 * paths inside it, "~" and "~/..." the home directory, absolute paths as
 * they are — into @out, normalised ("a/./b/../c"). Fails with
 * CORRAL_E_POLICY naming @loc when it is too long or needs an unset $HOME.
 */
int compile_resolve_path(const char *ws, const char *in, char *out, size_t outlen,
                         const struct policy_loc *loc, struct corral_error *err);

#endif
