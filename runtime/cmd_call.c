/*
 * cmd_call.c - `corral call`: run one tool call and print its result.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "approve.h"
#include "policy.h"
#include "session.h"
#include "tools.h"
#include <sbx.h>
#include "util.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_call_usage[] =
    "usage: corral call TOOL [--args JSON | --args-file FILE | -] [--policy FILE|NAME]\n"
    "                   [--workspace DIR] [--run NAME] [--yes] [--json] [--progress]\n"
    "\n"
    "Run one call of TOOL in a sandbox built from the policy and print its result.\n"
    "The arguments (a JSON object; default {}) are checked against the tool's input\n"
    "schema first. '-' reads them from standard input. --progress prints the tool's\n"
    "progress reports to stderr as they come.\n"
    "\n"
    "The policy's rules decide the call first. A call an 'ask' rule matches is put\n"
    "to you on the terminal (yes / no / always for this run); without a terminal it\n"
    "is refused as needing approval, unless --yes approves every ask (a deny rule\n"
    "still denies). --run NAME groups calls into one run for checkpoints, rollback\n"
    "and the audit log (default: $CORRAL_RUN, else a new run for each call).\n"
    "\n"
    "Exit status: 0 for a result, 1 for an error result (bad arguments, the tool's\n"
    "error, a crash, a limit), 2 for bad usage, 121 when the policy refused the\n"
    "call (denied, declined or needing approval), 125 when the sandbox could not be\n"
    "set up, 130 when the call was cancelled (Ctrl-C, SIGTERM).\n"
    "\n"
    "Examples:\n"
    "  corral call read_file --args '{\"path\": \"README.md\", \"limit\": 20}'\n"
    "  echo '{\"command\": \"make test\"}' | corral call exec -\n";

static void print_progress(void *ctx, double done, double total, const char *message)
{
	(void)ctx;
	if (total > 0)
		fprintf(stderr, "progress: %g/%g%s%s\n", done, total, message ? ": " : "",
		        message ? message : "");
	else
		fprintf(stderr, "progress: %g%s%s\n", done, message ? ": " : "",
		        message ? message : "");
}

static char *result_json(const struct call_outcome *oc)
{
	const struct tool_result *r = &oc->result;
	cJSON *o = cJSON_CreateObject(), *content, *block, *arr;
	char *text;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "call", oc->call_id);
	cJSON_AddStringToObject(o, "outcome", call_stop_name(oc->stop));
	cJSON_AddStringToObject(o, "decision", policy_decision_name(oc->decision));
	if (oc->rule)
		cJSON_AddStringToObject(o, "rule", oc->rule);
	if (oc->checkpoint) {
		cJSON_AddStringToObject(o, "checkpoint", oc->checkpoint);
		cJSON_AddNumberToObject(o, "checkpoint_skipped", (double)oc->checkpoint_skipped);
	}
	content = cJSON_AddArrayToObject(o, "content");
	block = cJSON_CreateObject();
	cJSON_AddStringToObject(block, "type", "text");
	cJSON_AddStringToObject(block, "text", r->text ? r->text : "");
	cJSON_AddItemToArray(content, block);
	if (r->structured)
		cJSON_AddItemToObject(o, "structuredContent", cJSON_Duplicate(r->structured, 1));
	cJSON_AddBoolToObject(o, "isError", r->is_error);
	/* The sandboxed worker's own status: 0 when the tool ran to a result,
	 * null when a signal ended it. */
	if (r->signal || r->exit_code < 0)
		cJSON_AddNullToObject(o, "exit_status");
	else
		cJSON_AddNumberToObject(o, "exit_status", r->exit_code);
	if (r->signal)
		cJSON_AddStringToObject(o, "signal", sigabbrev_np(r->signal) ?: "?");
	cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
	if (r->dropped)
		cJSON_AddNumberToObject(o, "dropped_bytes", (double)r->dropped);
	arr = cJSON_AddArrayToObject(o, "limits_hit");
	for (unsigned bit = 1; sbx_limit_name(bit); bit <<= 1)
		if (r->limits_hit & bit)
			cJSON_AddItemToArray(arr, cJSON_CreateString(sbx_limit_name(bit)));
	arr = cJSON_AddArrayToObject(o, "violations");
	for (size_t i = 0; i < r->nviolations; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(r->violations[i]));
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int cmd_call(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"args", required_argument, NULL, 'a'},
	    {"args-file", required_argument, NULL, 'f'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {"run", required_argument, NULL, 'r'},
	    {"yes", no_argument, NULL, 'y'},
	    {"json", no_argument, NULL, 'j'},
	    {"progress", no_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	struct session_opts sopts = {.policy = cli_default_policy(), .workspace = "."};
	const char *args_text = NULL, *args_file = NULL, *tool_name = NULL;
	struct corral_error err = {0};
	struct call_outcome oc = {0};
	struct session *session = NULL;
	struct approve_tty tty = {.cancel_fd = -1};
	cJSON *args = NULL;
	char *owned = NULL;
	bool json = false;
	struct tool_call_opts copts = {.cancel_fd = -1};
	struct cli_cancel cancel;
	bool progress = false;
	size_t len;
	int opt, status, rc;

	/* A harness that runs one corral per call groups them into one run
	 * by exporting CORRAL_RUN; --run overrides it. */
	if (getenv("CORRAL_RUN") && *getenv("CORRAL_RUN"))
		sopts.run = getenv("CORRAL_RUN");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "a:f:p:w:y", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			args_text = optarg;
			break;
		case 'f':
			args_file = optarg;
			break;
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
		case 'j':
			json = true;
			break;
		case 'P':
			progress = true;
			break;
		default:
			return cli_bad_option("call", argc, argv);
		}
	}
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "-") == 0 && !args_file && !args_text)
			args_file = "/dev/stdin";
		else if (!tool_name)
			tool_name = argv[optind];
		else
			return cli_usage_error("call", "unexpected argument '%s'", argv[optind]);
	}
	if (!tool_name)
		return cli_usage_error("call", "no tool named (see 'corral tools')");
	if (args_text && args_file)
		return cli_usage_error("call", "give the arguments once: --args, --args-file or -");
	if (args_file) {
		if (util_read_file(args_file, TOOL_ARGS_MAX, &owned, &len, &err) < 0) {
			fprintf(stderr, "corral call: %s\n", err.message);
			return CLI_EXIT_USAGE;
		}
		args_text = owned;
	}
	args = cJSON_Parse(args_text ? args_text : "{}");
	if (!cJSON_IsObject(args)) {
		fprintf(stderr, "corral call: the arguments are not a JSON object\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	sopts.approver = approve_tty_init(&tty);
	rc = session_open(&sopts, &session, &err);
	if (rc < 0) {
		fprintf(stderr, "corral call: %s\n", err.message);
		status = rc == -CORRAL_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_SANDBOX;
		goto out;
	}
	copts.cancel_fd = cli_cancel_begin(&cancel);
	tty.cancel_fd = copts.cancel_fd;
	if (progress)
		copts.progress = print_progress;
	rc = session_call(session, tool_name, args, &copts, &oc, &err);
	cli_cancel_end(&cancel);
	if (rc == -CORRAL_E_NOTFOUND) {
		fprintf(stderr, "corral call: %s See 'corral tools'.\n", err.message);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (rc < 0) {
		fprintf(stderr, "corral call: %s\n", err.message);
		status = CLI_EXIT_SANDBOX;
		goto out;
	}
	if (json) {
		char *text = result_json(&oc);
		if (text)
			puts(text);
		free(text);
	} else {
		const struct tool_result *res = &oc.result;
		FILE *out = res->is_error ? stderr : stdout;
		if (res->text && *res->text) {
			fputs(res->text, out);
			if (res->text[strlen(res->text) - 1] != '\n')
				fputc('\n', out);
		} else if (res->structured) {
			char *s = cJSON_Print(res->structured);
			if (s)
				fprintf(out, "%s\n", s);
			free(s);
		}
	}
	switch (oc.stop) {
	case CALL_RAN:
		status = oc.result.cancelled  ? 130
		         : oc.result.is_error ? CLI_EXIT_FAILURE
		                              : CLI_EXIT_OK;
		break;
	case CALL_BAD_ARGUMENTS:
	case CALL_NO_CHECKPOINT:
		status = CLI_EXIT_FAILURE;
		break;
	default:
		status = CLI_EXIT_DENIED;
		break;
	}
out:
	call_outcome_release(&oc);
	session_close(session);
	approve_tty_release(&tty);
	cJSON_Delete(args);
	free(owned);
	return status;
}
