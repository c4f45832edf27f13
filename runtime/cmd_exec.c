/*
 * cmd_exec.c - `corral exec`: run one command in the sandbox a policy
 * describes.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "compile.h"
#include "policy.h"
#include "state.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_POLICY "workspace-write"

const char cmd_exec_usage[] =
    "usage: corral exec [--policy FILE|NAME] [--workspace DIR] [--timeout DUR] [--json]\n"
    "                   -- CMD [ARGS...]\n"
    "\n"
    "Run CMD in a new sandbox built from a policy: new user, mount, pid, ipc, uts,\n"
    "cgroup and network namespaces, a fresh root holding only the policy's paths,\n"
    "Landlock, a seccomp filter, no capabilities, a clean environment and limits.\n"
    "The workspace is mounted at its own absolute path and is the working directory.\n"
    "\n"
    "Options:\n"
    "  -p, --policy FILE|NAME   policy file or shipped profile (default: workspace-write)\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n"
    "  -t, --timeout DUR        wall-clock limit, e.g. 30s, 2m (default: the policy's)\n"
    "      --json               capture output (up to the policy's limits.output) and\n"
    "                           print {exit_code, signal, stdout, stderr, truncated,\n"
    "                           duration_ms, limits_hit, violations}\n"
    "\n"
    "Exit status: the command's own; 128+N when it was killed by signal N;\n"
    "  121 denied by policy, 122 a limit was hit (timeout, memory, processes),\n"
    "  125 the sandbox could not be set up, 126 not executable, 127 not found.\n"
    "\n"
    "Examples:\n"
    "  corral exec -- make test\n"
    "  corral exec --policy read-only --timeout 10s -- grep -r TODO .\n";

static char *result_json(const struct sbx_result *res)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *text;

	if (!o)
		return NULL;
	if (res->signal)
		cJSON_AddNullToObject(o, "exit_code");
	else
		cJSON_AddNumberToObject(o, "exit_code", res->exit_code);
	if (res->signal)
		cJSON_AddStringToObject(
		    o, "signal", sigabbrev_np(res->signal) ? sigabbrev_np(res->signal) : "?");
	else
		cJSON_AddNullToObject(o, "signal");
	for (int i = 0; i < 2; i++) {
		const struct sbx_output *out = i == 0 ? &res->out : &res->err;
		char *clean = util_utf8_sanitize(out->data ? out->data : "", out->len);
		if (!clean || !cJSON_AddStringToObject(o, i == 0 ? "stdout" : "stderr", clean)) {
			free(clean);
			cJSON_Delete(o);
			return NULL;
		}
		free(clean);
	}
	arr = cJSON_AddObjectToObject(o, "truncated");
	cJSON_AddBoolToObject(arr, "stdout", res->out.truncated);
	cJSON_AddBoolToObject(arr, "stderr", res->err.truncated);
	cJSON_AddNumberToObject(arr, "stdout_bytes", (double)res->out.total);
	cJSON_AddNumberToObject(arr, "stderr_bytes", (double)res->err.total);
	cJSON_AddNumberToObject(o, "duration_ms", (double)res->duration_ms);
	arr = cJSON_AddArrayToObject(o, "limits_hit");
	for (unsigned bit = 1; sbx_limit_name(bit); bit <<= 1)
		if (res->limits_hit & bit)
			cJSON_AddItemToArray(arr, cJSON_CreateString(sbx_limit_name(bit)));
	arr = cJSON_AddArrayToObject(o, "violations");
	for (size_t i = 0; i < res->nviolations; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(res->violations[i]));
	if (res->violations_dropped) {
		char line[64];
		snprintf(line, sizeof(line), "... and %zu more", res->violations_dropped);
		cJSON_AddItemToArray(arr, cJSON_CreateString(line));
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = DEFAULT_POLICY, *workspace = ".", *why = NULL;
	struct compile_opts copts = {0};
	struct corral_error err = {0};
	struct sandbox_plan plan;
	struct policy *policy = NULL;
	struct sbx_result res;
	bool json = false;
	char *state_dir = NULL;
	struct cli_cancel cancel;
	int opt, rc, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+p:w:t:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			policy_name = optarg;
			break;
		case 'w':
			workspace = optarg;
			break;
		case 't':
			if (policy_parse_duration(optarg, &copts.timeout_ms, &why) < 0)
				return cli_usage_error("exec", "bad --timeout '%s': %s", optarg,
				                       why);
			if (!copts.timeout_ms)
				return cli_usage_error("exec", "--timeout must be more than 0");
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_bad_option("exec", argc, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("exec", "no command given (use: corral exec -- CMD ...)");

	rc = policy_load(policy_name, &policy, &err);
	if (rc < 0) {
		fprintf(stderr, "corral exec: %s\n", err.message);
		return CLI_EXIT_SANDBOX;
	}
	state_dir = state_dir_path();
	copts.workspace = workspace;
	copts.argv = argv + optind;
	copts.state_dir = state_dir;
	rc = sandbox_compile(policy, &copts, &plan, &err);
	if (rc < 0) {
		fprintf(stderr, "corral exec: %s\n", err.message);
		policy_free(policy);
		free(state_dir);
		return rc == -CORRAL_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_SANDBOX;
	}
	if (json) {
		plan.cfg.stdin_mode = SBX_IO_NULL;
		plan.cfg.stdout_mode = plan.cfg.stderr_mode = SBX_IO_CAPTURE;
	} else {
		plan.cfg.stdin_mode = plan.cfg.stdout_mode = plan.cfg.stderr_mode = SBX_IO_INHERIT;
		plan.cfg.stdin_fd = 0;
		plan.cfg.stdout_fd = 1;
		plan.cfg.stderr_fd = 2;
	}

	plan.cfg.cancel_fd = cli_cancel_begin(&cancel);
	rc = sbx_run(&plan.cfg, &res, &err);
	cli_cancel_end(&cancel);

	if (rc < 0) {
		if (rc == -CORRAL_E_NOTFOUND || res.exit_code == 126) {
			fprintf(stderr, "corral exec: %s\n", err.message);
			status = res.exit_code > 0 ? res.exit_code : 127;
		} else {
			fprintf(stderr, "corral exec: sandbox could not be set up: %s\n",
			        err.message);
			status = CLI_EXIT_SANDBOX;
		}
		goto out;
	}
	if (json) {
		char *text = result_json(&res);
		if (!text) {
			fprintf(stderr, "corral exec: out of memory\n");
			status = CLI_EXIT_FAILURE;
			goto out;
		}
		puts(text);
		free(text);
	}
	if (res.cancelled)
		status = 130;
	else if (res.limits_hit & (SBX_LIMIT_TIMEOUT | SBX_LIMIT_MEMORY | SBX_LIMIT_PROCESSES))
		status = CLI_EXIT_LIMIT;
	else if (res.signal)
		status = 128 + res.signal;
	else
		status = res.exit_code;
	/* On a terminal, denials are news only when the command failed: a
	 * successful `ls -l` whose user lookup could not reach nscd needs no
	 * report. --json always carries them. */
	if (!json && status != 0) {
		for (size_t i = 0; i < res.nviolations; i++)
			fprintf(stderr, "corral: %s\n", res.violations[i]);
		if (res.violations_dropped)
			fprintf(stderr, "corral: ... and %zu more\n", res.violations_dropped);
	}
out:
	sbx_result_release(&res);
	sandbox_plan_release(&plan);
	policy_free(policy);
	free(state_dir);
	return status;
}
