/*
 * cmd_exec.c - `corral exec`: run one command in the sandbox a policy
 * describes.
 */
#define _GNU_SOURCE
#include "approve.h"
#include "cli.h"
#include "compile.h"
#include "policy.h"
#include "session.h"
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

const char cmd_exec_usage[] =
    "usage: corral exec [--policy FILE|NAME] [--workspace DIR] [--timeout DUR] [--run NAME]\n"
    "                   [--yes] [--json] -- CMD [ARGS...]\n"
    "\n"
    "Run CMD in a new sandbox built from a policy: new user, mount, pid, ipc, uts,\n"
    "cgroup and network namespaces, a fresh root holding only the policy's paths,\n"
    "Landlock, a seccomp filter, no capabilities, a clean environment and limits.\n"
    "The workspace is mounted at its own absolute path and is the working directory.\n"
    "\n"
    "It is a call of the exec tool like any other: the policy's rules decide the\n"
    "command first (an 'ask' is put to you on the terminal), a checkpoint of the\n"
    "workspace is taken when the policy lets the command write there, and the\n"
    "call is recorded in the audit log.\n"
    "\n"
    "Options:\n"
    "  -p, --policy FILE|NAME   policy file or shipped profile (default: $CORRAL_POLICY,\n"
    "                           else workspace-write)\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n"
    "  -t, --timeout DUR        wall-clock limit, e.g. 30s, 2m (default: the policy's)\n"
    "      --run NAME           the run the call belongs to (default: $CORRAL_RUN, else\n"
    "                           a new run)\n"
    "  -y, --yes                approve what an 'ask' rule matches (never a deny)\n"
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

/* @argv as one shell command string, for the rules and the record: each
 * word single-quoted unless it is plain. A new string; NULL on ENOMEM. */
static char *command_string(char *const *argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	for (size_t i = 0; argv[i]; i++) {
		const char *w = argv[i];
		bool plain = *w != '\0';
		for (const char *c = w; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			            "0123456789-_./=:,+@%",
			            *c))
				plain = false;
		if (i)
			fputc(' ', out);
		if (plain) {
			fputs(w, out);
			continue;
		}
		fputc('\'', out);
		for (const char *c = w; *c; c++) {
			if (*c == '\'')
				fputs("'\\''", out);
			else
				fputc(*c, out);
		}
		fputc('\'', out);
	}
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The sandbox's result as the outcome of the exec call, for the record. */
static void outcome_from(struct call_outcome *oc, const struct sbx_result *res)
{
	oc->result.exit_code = res->signal ? -1 : 0;
	oc->result.signal = res->signal;
	oc->result.duration_ms = res->duration_ms;
	oc->result.limits_hit = res->limits_hit;
	oc->result.cancelled = res->cancelled;
	oc->result.is_error = res->signal || res->exit_code != 0;
	oc->result.structured = cJSON_CreateObject();
	if (oc->result.structured && !res->signal)
		cJSON_AddNumberToObject(oc->result.structured, "exit_code", res->exit_code);
	if (res->nviolations && (oc->result.violations = calloc(res->nviolations, sizeof(char *))))
		for (size_t i = 0; i < res->nviolations; i++)
			if ((oc->result.violations[i] = strdup(res->violations[i])))
				oc->result.nviolations++;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"run", required_argument, NULL, 'r'},
	    {"yes", no_argument, NULL, 'y'},
	    {NULL, 0, NULL, 0},
	};
	struct session_opts sopts = {
	    .policy = cli_default_policy(), .workspace = ".", .no_tools = true};
	const struct tool exec_tool = {.name = (char *)"exec"};
	struct approve_tty tty = {.cancel_fd = -1};
	struct compile_opts copts = {0};
	struct corral_error err = {0};
	struct call_outcome oc = {0};
	struct session *session = NULL;
	struct sandbox_plan plan = {0};
	struct policy run_policy;
	struct sbx_result res = {0};
	cJSON *args = NULL;
	const char *why = NULL;
	bool json = false, ran = false, begun = false;
	char *state_dir = NULL, *command = NULL;
	struct cli_cancel cancel;
	int opt, rc, status;

	/* A harness that runs one corral per call groups them into one run
	 * by exporting CORRAL_RUN; --run overrides it. */
	if (getenv("CORRAL_RUN") && *getenv("CORRAL_RUN"))
		sopts.run = getenv("CORRAL_RUN");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+p:w:t:y", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			sopts.policy = optarg;
			break;
		case 'w':
			sopts.workspace = optarg;
			break;
		case 'r':
			sopts.run = optarg;
			break;
		case 'y':
			sopts.approve_all = true;
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

	command = command_string(argv + optind);
	args = cJSON_CreateObject();
	if (!command || !args || !cJSON_AddStringToObject(args, "command", command)) {
		fprintf(stderr, "corral exec: out of memory\n");
		status = CLI_EXIT_FAILURE;
		goto out;
	}
	sopts.approver = approve_tty_init(&tty);
	rc = session_open(&sopts, &session, &err);
	if (rc < 0) {
		fprintf(stderr, "corral exec: %s\n", err.message);
		status = rc == -CORRAL_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_SANDBOX;
		goto out;
	}
	rc = session_begin(session, &exec_tool, args, &oc, &run_policy, &err);
	if (rc < 0) {
		fprintf(stderr, "corral exec: %s\n", err.message);
		status = CLI_EXIT_SANDBOX;
		goto out;
	}
	if (rc > 0) {
		fprintf(stderr, "corral exec: %s\n", oc.result.text ? oc.result.text : "refused");
		status = oc.stop == CALL_NO_CHECKPOINT ? CLI_EXIT_FAILURE : CLI_EXIT_DENIED;
		goto out;
	}
	begun = true;
	state_dir = state_dir_path();
	copts.workspace = session_workspace(session);
	copts.argv = argv + optind;
	copts.state_dir = state_dir;
	rc = sandbox_compile(&run_policy, &copts, &plan, &err);
	if (rc < 0) {
		fprintf(stderr, "corral exec: %s\n", err.message);
		status = rc == -CORRAL_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_SANDBOX;
		oc.result.is_error = true;
		goto out;
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
	ran = true;
	outcome_from(&oc, &res);

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
	/* A call that was begun is recorded as ended, however it ended. */
	if (begun)
		session_end(session, &exec_tool, args, &oc);
	if (ran)
		sbx_result_release(&res);
	sandbox_plan_release(&plan);
	call_outcome_release(&oc);
	session_close(session);
	cJSON_Delete(args);
	free(command);
	free(state_dir);
	return status;
}
