/*
 * cmd_audit.c - `corral audit`: show the audit log readably.
 */
#define _GNU_SOURCE
#include "audit.h"
#include "cli.h"
#include "policy.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls started and not yet ended that one reading keeps track of. */
#define AUDIT_OPEN_MAX 4096u

const char cmd_audit_usage[] =
    "usage: corral audit [--run RUN] [--workspace DIR | --all] [--policy FILE|NAME] [--json]\n"
    "\n"
    "Show the audit log: every tool call corral decided, one entry per call, oldest\n"
    "first — when, the run and call ids, the tool and its arguments (secrets\n"
    "redacted), the decision and the rule that made it, who approved it, the\n"
    "checkpoint taken before it, and how it ended (exit status, signal, limits hit,\n"
    "sandbox violations, duration). A call whose corral was killed before it ended\n"
    "is shown as interrupted.\n"
    "\n"
    "Options:\n"
    "   --run RUN         only the calls of RUN\n"
    "   --workspace DIR   only the calls in DIR (default: the current directory)\n"
    "   --all             the calls in every workspace\n"
    "   --policy P        read the log that policy P names (audit.path)\n"
    "   --json            one JSON object per call, one per line\n";

struct reader {
	const char *run;
	const char *workspace; /* NULL: every one */
	bool json;
	cJSON *open[AUDIT_OPEN_MAX];
	size_t nopen;
	size_t shown;
};

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void print_call(struct reader *r, const cJSON *c)
{
	const char *outcome = str(c, "outcome"), *rule = str(c, "rule");
	const cJSON *exit_status = cJSON_GetObjectItemCaseSensitive(c, "exit_status");
	const cJSON *limits = cJSON_GetObjectItemCaseSensitive(c, "limits_hit");
	const cJSON *viol = cJSON_GetObjectItemCaseSensitive(c, "violations");
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(c, "duration_ms");
	char *args = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "arguments"));
	const cJSON *item;

	r->shown++;
	if (r->json) {
		char *text = cJSON_PrintUnformatted(c);
		if (text)
			puts(text);
		free(text);
		free(args);
		return;
	}
	printf("%s  %s  %s  %s\n", str(c, "ts") ?: "?", str(c, "run") ?: "?", str(c, "call") ?: "?",
	       str(c, "tool") ?: "?");
	printf("    arguments: %.500s%s\n", args ? args : "{}",
	       args && strlen(args) > 500 ? "..." : "");
	printf("    decision:  %s", str(c, "decision") ?: "?");
	if (rule)
		printf(" by %s (%s)", rule, str(c, "rule_at") ?: "?");
	else
		printf(" by the default");
	if (str(c, "approver"))
		printf(", approved by %s", str(c, "approver"));
	putchar('\n');
	if (str(c, "checkpoint"))
		printf("    checkpoint: %s\n", str(c, "checkpoint"));
	printf("    outcome:   %s", outcome ?: "interrupted (corral ended before the call did)");
	if (outcome && strcmp(outcome, "ran") == 0) {
		if (cJSON_IsNumber(exit_status))
			printf(", exit status %d", exit_status->valueint);
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(c, "command_exit_status");
		if (cJSON_IsNumber(cmd))
			printf(", command exit status %d", cmd->valueint);
		if (str(c, "signal"))
			printf(", killed by SIG%s", str(c, "signal"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "is_error")))
			printf(", an error result");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "cancelled")))
			printf(", cancelled");
		cJSON_ArrayForEach(item, limits) if (cJSON_IsString(item))
		    printf(", limit %s", item->valuestring);
		if (cJSON_IsNumber(dur))
			printf(", %.0f ms", dur->valuedouble);
	} else if (str(c, "reason")) {
		printf(": %s", str(c, "reason"));
	}
	putchar('\n');
	cJSON_ArrayForEach(item, viol) if (cJSON_IsString(item))
	    printf("    violation: %s\n", item->valuestring);
	free(args);
}

static int on_record(void *ctx, const cJSON *rec)
{
	struct reader *r = ctx;
	const char *event = str(rec, "event"), *call = str(rec, "call");
	const cJSON *item;

	if (!event || !call)
		return 0;
	if (r->run && (!str(rec, "run") || strcmp(str(rec, "run"), r->run) != 0))
		return 0;
	if (r->workspace &&
	    (!str(rec, "workspace") || strcmp(str(rec, "workspace"), r->workspace) != 0))
		return 0;
	if (strcmp(event, "start") == 0) {
		cJSON *copy = cJSON_Duplicate(rec, 1);
		if (!copy)
			return 0;
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "event");
		if (r->nopen == AUDIT_OPEN_MAX) {
			/* More calls in flight than anyone runs: the oldest
			 * must have been interrupted. */
			print_call(r, r->open[0]);
			cJSON_Delete(r->open[0]);
			memmove(r->open, r->open + 1, (r->nopen - 1) * sizeof(r->open[0]));
			r->nopen--;
		}
		r->open[r->nopen++] = copy;
		return 0;
	}
	for (size_t i = 0; i < r->nopen; i++) {
		if (strcmp(str(r->open[i], "call"), call) != 0)
			continue;
		/* The end record has the outcome; the start record's time is
		 * when the call began. */
		cJSON *merged = r->open[i];
		cJSON_ArrayForEach(item, rec)
		{
			if (strcmp(item->string, "event") == 0 || strcmp(item->string, "ts") == 0)
				continue;
			cJSON_DeleteItemFromObjectCaseSensitive(merged, item->string);
			cJSON_AddItemToObject(merged, item->string, cJSON_Duplicate(item, 1));
		}
		cJSON_AddStringToObject(merged, "ended", str(rec, "ts") ?: "?");
		print_call(r, merged);
		cJSON_Delete(merged);
		memmove(r->open + i, r->open + i + 1, (r->nopen - i - 1) * sizeof(r->open[0]));
		r->nopen--;
		return 0;
	}
	/* Refused before it ran: the end record is the whole story. */
	cJSON *copy = cJSON_Duplicate(rec, 1);
	if (copy) {
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "event");
		print_call(r, copy);
		cJSON_Delete(copy);
	}
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"run", required_argument, NULL, 'r'}, {"workspace", required_argument, NULL, 'w'},
	    {"all", no_argument, NULL, 'A'},       {"policy", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},      {NULL, 0, NULL, 0},
	};
	struct reader r = {0};
	const char *ws = ".", *policy_name = NULL;
	struct corral_error err = {0};
	struct policy *p = NULL;
	char real[PATH_MAX], *path = NULL;
	bool all = false;
	size_t bad = 0;
	int opt, rc, status = CLI_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "r:w:p:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			r.run = optarg;
			break;
		case 'w':
			ws = optarg;
			break;
		case 'A':
			all = true;
			break;
		case 'p':
			policy_name = optarg;
			break;
		case 'j':
			r.json = true;
			break;
		default:
			return cli_bad_option("audit", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("audit", "unexpected argument '%s'", argv[optind]);
	if (!all) {
		if (!realpath(ws, real)) {
			fprintf(stderr, "corral audit: the workspace %s: %m\n", ws);
			return CLI_EXIT_USAGE;
		}
		r.workspace = real;
	}
	if (policy_name && policy_load(policy_name, &p, &err) < 0) {
		fprintf(stderr, "corral audit: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	path = audit_default_path(p, &err);
	if (!path) {
		fprintf(stderr, "corral audit: %s\n", err.message);
		status = CLI_EXIT_FAILURE;
		goto out;
	}
	rc = audit_read(path, on_record, &r, &bad, &err);
	if (rc < 0) {
		fprintf(stderr, "corral audit: %s\n", err.message);
		status = CLI_EXIT_FAILURE;
	}
	/* What is still open was interrupted. */
	for (size_t i = 0; i < r.nopen; i++) {
		print_call(&r, r.open[i]);
		cJSON_Delete(r.open[i]);
	}
	if (bad)
		fprintf(stderr,
		        "corral audit: %s: %zu line%s that are not JSON records were skipped\n",
		        path, bad, bad == 1 ? "" : "s");
	if (!r.json && r.shown == 0 && status == CLI_EXIT_OK)
		fprintf(stderr, "corral audit: no calls recorded%s%s in %s\n",
		        r.run ? " for run " : "", r.run ? r.run : "", path);
out:
	free(path);
	policy_free(p);
	return status;
}
