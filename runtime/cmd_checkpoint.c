/*
 * cmd_checkpoint.c - `corral checkpoint`: snapshot the workspace by hand, and
 * the store opening the checkpoint commands share.
 */
#include "ckpt.h"
#include "cli.h"
#include "policy.h"
#include "state.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

const char cmd_checkpoint_usage[] =
    "usage: corral checkpoint [--run NAME] [-m MESSAGE] [--call ID] [--json]\n"
    "                         [--policy FILE|NAME] [--workspace DIR]\n"
    "\n"
    "Snapshot the workspace into corral's own store (never the workspace's .git).\n"
    "When nothing changed since the last checkpoint, no new one is made and the\n"
    "entry is linked to the current one. Ignored files, files over\n"
    "checkpoint.max_file_size and nested repositories are skipped and listed.\n"
    "\n"
    "Options:\n"
    "  --run NAME               the run this checkpoint belongs to (default: a new run)\n"
    "  -m, --message MESSAGE    recorded with the checkpoint\n"
    "  --call ID                the call id to record (default: cN)\n"
    "  --json                   print the checkpoint as JSON\n"
    "  -p, --policy FILE|NAME   the policy whose checkpoint section applies\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

int cli_ckpt_open(const char *cmd, const char *workspace, const char *policy_name,
                  struct ckpt_store **out)
{
	struct corral_error err = {0};
	struct policy *p = NULL;
	struct ckpt_config cfg = {0};
	const char **exclude = NULL;
	char *state = state_dir_path();
	int rc;

	if (!state) {
		fprintf(stderr,
		        "corral %s: neither XDG_STATE_HOME nor HOME is an absolute path; "
		        "there is nowhere to keep checkpoints\n",
		        cmd);
		return CLI_EXIT_FAILURE;
	}
	if (policy_load(policy_name, &p, &err) < 0 ||
	    ckpt_config_from_policy(&cfg, p, &exclude, &err) < 0) {
		fprintf(stderr, "corral %s: %s\n", cmd, err.message);
		policy_free(p);
		free(state);
		return CLI_EXIT_FAILURE;
	}
	rc = ckpt_open(state, workspace, &cfg, out, &err);
	free(exclude);
	policy_free(p);
	free(state);
	if (rc < 0) {
		fprintf(stderr, "corral %s: %s\n", cmd, err.message);
		return CLI_EXIT_FAILURE;
	}
	if (ckpt_recovered(*out))
		fprintf(stderr, "corral %s: %s\n", cmd, ckpt_recovered(*out));
	return CLI_EXIT_OK;
}

cJSON *cli_skips_json(const struct ckpt_skiplist *l)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < l->count; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", l->items[i].path);
		cJSON_AddStringToObject(o, "reason", ckpt_skip_reason_name(l->items[i].reason));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void cli_print_json(cJSON *o)
{
	char *text = o ? cJSON_Print(o) : NULL;

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(o);
}

int cmd_checkpoint(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"run", required_argument, NULL, 'r'},
	    {"message", required_argument, NULL, 'm'},
	    {"call", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".";
	struct ckpt_call call = {0};
	struct corral_error err = {0};
	struct ckpt_info info = {0};
	struct ckpt_store *s = NULL;
	bool json = false;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+m:p:w:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			call.run = optarg;
			break;
		case 'm':
			call.args_digest = optarg;
			break;
		case 'c':
			call.call_id = optarg;
			break;
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
			return cli_bad_option("checkpoint", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("checkpoint", "unexpected argument '%s'", argv[optind]);
	if ((status = cli_ckpt_open("checkpoint", workspace, policy_name, &s)) != CLI_EXIT_OK)
		return status;
	if (ckpt_take(s, &call, &info, &err) < 0) {
		fprintf(stderr, "corral checkpoint: %s\n", err.message);
		ckpt_close(s);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", info.id);
		cJSON_AddStringToObject(o, "commit", info.commit);
		cJSON_AddStringToObject(o, "run", info.run);
		cJSON_AddStringToObject(o, "call", info.call_id);
		cJSON_AddBoolToObject(o, "created", info.created);
		cJSON_AddNumberToObject(o, "files", (double)info.files);
		cJSON_AddNumberToObject(o, "hashed", (double)info.hashed);
		cJSON_AddItemToObject(o, "skipped", cli_skips_json(&info.skipped));
		cJSON_AddNumberToObject(o, "skipped_total", (double)info.skipped.total);
		cli_print_json(o);
	} else {
		printf("checkpoint %s%s (run %s, call %s): %zu files\n", info.id,
		       info.created ? "" : " (unchanged)", info.run, info.call_id, info.files);
		for (size_t i = 0; i < info.skipped.count; i++)
			printf("  skipped (%s): %s\n",
			       ckpt_skip_reason_name(info.skipped.items[i].reason),
			       info.skipped.items[i].path);
		if (info.skipped.total > info.skipped.count)
			printf("  ... and %zu more skipped\n",
			       info.skipped.total - info.skipped.count);
	}
	ckpt_info_release(&info);
	ckpt_close(s);
	return CLI_EXIT_OK;
}
