/*
 * cmd_gc.c - `corral gc`: bound the checkpoint store.
 */
#include "ckpt.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>

const char cmd_gc_usage[] =
    "usage: corral gc [--json] [--policy FILE|NAME] [--workspace DIR]\n"
    "\n"
    "Apply the retention policy (checkpoint.keep, checkpoint.max_age), pack what\n"
    "the remaining checkpoints need, delete the rest, and remove lock and temp\n"
    "files that killed processes left, all under the store's lock.\n"
    "\n"
    "Options:\n"
    "  --json                   print the counts as JSON\n"
    "  -p, --policy FILE|NAME   the policy whose checkpoint section applies\n"
    "  -w, --workspace DIR      the workspace (default: the current directory)\n";

int cmd_gc(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"policy", required_argument, NULL, 'p'},
	    {"workspace", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *policy_name = cli_default_policy(), *workspace = ".";
	struct corral_error err = {0};
	struct ckpt_gc_report rep = {0};
	struct ckpt_store *s = NULL;
	bool json = false;
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
			return cli_bad_option("gc", argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("gc", "unexpected argument '%s'", argv[optind]);
	if ((status = cli_ckpt_open("gc", workspace, policy_name, &s)) != CLI_EXIT_OK)
		return status;
	if (ckpt_gc(s, &rep, &err) < 0) {
		fprintf(stderr, "corral gc: %s\n", err.message);
		ckpt_close(s);
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "kept", (double)rep.kept);
		cJSON_AddNumberToObject(o, "dropped", (double)rep.dropped);
		cJSON_AddNumberToObject(o, "packed", (double)rep.packed);
		cJSON_AddNumberToObject(o, "removed", (double)rep.removed);
		cli_print_json(o);
	} else {
		printf("kept %zu checkpoints, dropped %zu; packed %zu objects, removed %zu files\n",
		       rep.kept, rep.dropped, rep.packed, rep.removed);
	}
	ckpt_close(s);
	return CLI_EXIT_OK;
}
