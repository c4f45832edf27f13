/*
 * cmd_log.c - `corral log`: runs and their checkpoints, newest first.
 */
#include "ckpt.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_log_usage[] =
    "usage: corral log [--json] [--policy FILE|NAME] [--workspace DIR]\n"
    "\n"
    "List the runs of the workspace and their checkpoints, newest first: the\n"
    "checkpoint id, when, the call that followed it and what that call changed\n"
    "(a diff stat against the next checkpoint, or the workspace for the last).\n"
    "\n"
    "Options:\n"
    "  --json                   print the runs as JSON\n"
    "  -p, --policy FILE|NAME   the policy whose checkpoint section applies\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

static const char *kind_word(enum ckpt_kind k)
{
	return k == CKPT_KIND_ROLLBACK ? "rollback" : k == CKPT_KIND_MANUAL ? "manual" : "call";
}

static void when(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

int cmd_log(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".";
	struct corral_error err = {0};
	struct ckpt_store *s = NULL;
	struct ckpt_stat *stats = NULL;
	struct ckpt_log log = {0};
	cJSON *root = NULL, *runs = NULL;
	bool json = false, *done = NULL;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+p:w:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			policy_name = optarg;
			break;
		case 'w':
			workspace = optarg;
			break;
		default:
			return cli_bad_option("log", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("log", "unexpected argument '%s'", argv[optind]);
	if ((status = cli_ckpt_open("log", workspace, policy_name, &s)) != CLI_EXIT_OK)
		return status;
	if (ckpt_log_read(s, &log, &err) < 0)
		goto fail;
	stats = calloc(log.count + 1, sizeof(*stats));
	done = calloc(log.count + 1, sizeof(*done));
	if (!stats || !done) {
		corral_error_set(&err, CORRAL_E_NOMEM, 0, "out of memory");
		goto fail;
	}
	/* What each call changed: from its checkpoint to the state the next
	 * entry found (or to the workspace now, for the last). */
	for (size_t i = 0; i < log.count; i++) {
		const struct ckpt_entry *e = &log.entries[i];
		const char *from = e->kind == CKPT_KIND_ROLLBACK ? e->target : e->commit;
		const char *to = i + 1 < log.count ? log.entries[i + 1].commit : NULL;
		if (ckpt_diffstat(s, from, to, &stats[i], &err) < 0)
			goto fail;
	}
	if (json) {
		root = cJSON_CreateObject();
		runs = cJSON_AddArrayToObject(root, "runs");
	}
	if (!json && log.count == 0)
		printf("No checkpoints of %s yet.\n", ckpt_workspace(s));
	/* Runs ordered by their newest entry, newest first. */
	for (size_t i = log.count; i-- > 0;) {
		const char *run = log.entries[i].run;
		cJSON *jrun = NULL, *jck = NULL;
		if (done[i])
			continue;
		if (json) {
			jrun = cJSON_CreateObject();
			cJSON_AddStringToObject(jrun, "run", run);
			jck = cJSON_AddArrayToObject(jrun, "checkpoints");
			cJSON_AddItemToArray(runs, jrun);
		} else {
			printf("run %s\n", run);
		}
		for (size_t j = i + 1; j-- > 0;) {
			const struct ckpt_entry *e = &log.entries[j];
			char t[32];
			if (done[j] || strcmp(e->run, run) != 0)
				continue;
			done[j] = true;
			when(e->time_ms, t, sizeof(t));
			if (json) {
				cJSON *c = cJSON_CreateObject();
				char id[CKPT_ID_LEN + 1];
				snprintf(id, sizeof(id), "%.*s", CKPT_ID_LEN, e->commit);
				cJSON_AddStringToObject(c, "id", id);
				cJSON_AddStringToObject(c, "commit", e->commit);
				cJSON_AddNumberToObject(c, "seq", (double)e->seq);
				cJSON_AddStringToObject(c, "kind", kind_word(e->kind));
				cJSON_AddNumberToObject(c, "time_ms", (double)e->time_ms);
				cJSON_AddStringToObject(c, "call", e->call_id);
				cJSON_AddStringToObject(c, "tool", e->tool);
				cJSON_AddStringToObject(c, "args", e->args);
				cJSON_AddBoolToObject(c, "created", e->created);
				if (e->target[0])
					cJSON_AddStringToObject(c, "target", e->target);
				if (e->head[0])
					cJSON_AddStringToObject(c, "head", e->head);
				cJSON *st = cJSON_AddObjectToObject(c, "stat");
				cJSON_AddNumberToObject(st, "files", (double)stats[j].files);
				cJSON_AddNumberToObject(st, "insertions",
				                        (double)stats[j].insertions);
				cJSON_AddNumberToObject(st, "deletions",
				                        (double)stats[j].deletions);
				cJSON_AddItemToArray(jck, c);
			} else {
				const char *what = e->kind == CKPT_KIND_ROLLBACK ? "rollback"
				                   : e->tool[0]                  ? e->tool
				                                                 : "manual";
				printf("  %.*s %s %-4s %-12s", CKPT_ID_LEN, e->commit, t,
				       e->call_id, what);
				if (e->kind == CKPT_KIND_ROLLBACK)
					printf(" to %.12s", e->target);
				else if (e->args[0])
					printf(" %.40s", e->args);
				printf("  %zu file%s, +%zu -%zu\n", stats[j].files,
				       stats[j].files == 1 ? "" : "s", stats[j].insertions,
				       stats[j].deletions);
			}
		}
	}
	if (json)
		cli_print_json(root);
	free(stats);
	free(done);
	ckpt_log_release(&log);
	ckpt_close(s);
	return CLI_EXIT_OK;
fail:
	fprintf(stderr, "corral log: %s\n", err.message);
	cJSON_Delete(root);
	free(stats);
	free(done);
	ckpt_log_release(&log);
	ckpt_close(s);
	return CLI_EXIT_FAILURE;
}
